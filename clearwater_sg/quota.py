"""Quota pre-flight: what a plan costs against the target cloud's limits.

Clouds refuse a deployment half-way when it exceeds a limit, leaving some groups with
rules and some without. The component checks the plan before registering anything; the
offline render shows the same counts, taken from what the program registered.

What counts, per cloud:
- AWS: inbound rules per group, per family, and outbound likewise (a group reference
  counts once for IPv4 and once for IPv6, whatever families the deployment uses); groups
  per network interface; and AWS's own bound rules-per-group x groups-per-interface <= 1000.
- OpenStack (Neutron): groups and rules project-wide, including the project's `default`
  group (created by Neutron with 4 rules, which count) and the 2 egress rules Neutron adds
  to every new group; those are removed right after creation (`delete_default_rules`), but
  count against the rule quota until then, and a group cannot be created without room
  for them.

Groups given by `existingGroups` are counted with the rules the plan puts on them; the
rules they already hold count too, and only the cloud knows those, so each check that
involves them says so.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from clearwater_sg.options import Limits
from clearwater_sg.plan import Plan, PrefixListPeer, RuleSpec
from clearwater_sg.types import Cloud

AWS_RULES_TIMES_GROUPS = 1000
NEUTRON_DEFAULT_GROUP_RULES = 4
NEUTRON_NEW_GROUP_RULES = 2
GROUPS_PER_NODE = 2  # all-nodes + the node's role


@dataclass(frozen=True)
class RuleUse:
    """One cloud rule: its group, direction, and the families it counts against."""

    group: str
    direction: str  # "ingress" / "egress"
    families: tuple[int, ...]
    weight: int = 1  # an AWS managed prefix list counts as its max entries
    setting: str = ""  # the stack setting the rule comes from


def _costliest(rules: Iterable[RuleUse], count: Callable[[RuleUse], int]) -> str:
    """The settings that cost the most rules, most first: what to narrow."""
    cost: Counter[str] = Counter()
    for rule in rules:
        cost[rule.setting or "the plan"] += count(rule)
    ranked = [f"{setting} ({n})" for setting, n in cost.most_common(3) if n]
    return "Most rules come from " + ", then ".join(ranked) if ranked else ""


@dataclass(frozen=True)
class QuotaCheck:
    limit: str
    used: int
    allowed: int
    where: str  # which group/family reaches `used`, when the limit is per group
    fix: str

    @property
    def fits(self) -> bool:
        return self.used <= self.allowed


class QuotaExceededError(ValueError):
    def __init__(self, checks: list[QuotaCheck]) -> None:
        self.checks = checks
        failures = [check for check in checks if not check.fits]
        super().__init__(
            "the plan does not fit the target's limits:\n  "
            + "\n  ".join(
                f"{check.limit}: {check.used} needed{_at(check)}, {check.allowed} allowed. "
                f"{check.fix}"
                for check in failures
            )
        )


def _at(check: QuotaCheck) -> str:
    return f" ({check.where})" if check.where else ""


EXISTING_RULES_COUNT = (
    "the rules existing groups (existingGroups) already hold count too: leave room for them"
)


def quota_checks(
    cloud: Cloud,
    limits: Limits,
    groups: Iterable[str],
    rules: Iterable[RuleUse],
    existing: Iterable[str] = (),
) -> list[QuotaCheck]:
    """The checks of `groups` to create and `existing` groups, holding `rules`."""
    groups, rules, existing = list(groups), list(rules), list(existing)
    if cloud is Cloud.AWS:
        return _aws_checks(limits, rules, existing)
    return _openstack_checks(limits, groups, rules, existing)


def require_fit(checks: list[QuotaCheck]) -> None:
    if not all(check.fits for check in checks):
        raise QuotaExceededError(checks)


def _aws_checks(limits: Limits, rules: list[RuleUse], existing: list[str]) -> list[QuotaCheck]:
    checks = []
    for direction, word in (("ingress", "inbound"), ("egress", "outbound")):
        per_group: Counter[tuple[str, int]] = Counter()
        for rule in rules:
            if rule.direction == direction:
                per_group.update({(rule.group, family): rule.weight for family in rule.families})
        (group, family), used = max(
            per_group.items(), key=lambda item: item[1], default=(("", 4), 0)
        )
        there = [r for r in rules if (r.group, r.direction) == (group, direction)]
        costliest = _costliest([r for r in there if family in r.families], lambda rule: rule.weight)
        fix = (
            f"{costliest}: narrow those, or have AWS raise 'Inbound or outbound rules per "
            "security group' and set clearwater-sg:limits.rulesPerGroup."
        )
        checks.append(
            QuotaCheck(
                limit=f"AWS {word} rules per security group, per family",
                used=used,
                allowed=limits.rules_per_group,
                where=f"{group}, IPv{family}" if group else "",
                fix=fix if not existing else f"{fix} Also, {EXISTING_RULES_COUNT}.",
            )
        )
    checks.append(
        QuotaCheck(
            limit="AWS security groups per network interface",
            used=GROUPS_PER_NODE,
            allowed=limits.groups_per_interface,
            where="all-nodes + the node's role",
            fix="Set clearwater-sg:limits.groupsPerInterface to your account's quota.",
        )
    )
    checks.append(
        QuotaCheck(
            limit="AWS rules per group x groups per interface",
            used=limits.rules_per_group * limits.groups_per_interface,
            allowed=AWS_RULES_TIMES_GROUPS,
            where="limits.rulesPerGroup x limits.groupsPerInterface",
            fix="AWS caps the product of these two quotas at 1000; lower one of them.",
        )
    )
    return checks


def _openstack_peak(
    groups: list[str], rules: list[RuleUse], existing: list[str]
) -> tuple[int, int]:
    """(the most of this deployment's rules the project holds at once, its rules)."""
    own = Counter({group: 0 for group in (*groups, *existing)})
    for rule in rules:
        own[rule.group] += len(rule.families)
    # A new group holds Neutron's 2 default egress rules from its creation until they
    # are deleted, and its own rules only afterwards; whatever order Pulumi creates things
    # in, the project never holds more than this many of this deployment's rules at once.
    peak = sum(max(own[group], NEUTRON_NEW_GROUP_RULES) for group in groups)
    peak += sum(own[group] for group in existing)
    return peak, sum(own.values())


def _openstack_checks(
    limits: Limits, groups: list[str], rules: list[RuleUse], existing: list[str]
) -> list[QuotaCheck]:
    # Existing groups are in the project already: they take quota as the new ones do.
    group_count = len(groups) + len(existing) + 1  # and the project's `default` group
    peak, total = _openstack_peak(groups, rules, existing)
    transient = peak - total
    also = f" Also, {EXISTING_RULES_COUNT}." if existing else ""
    return [
        QuotaCheck(
            limit="OpenStack security groups in the project",
            used=group_count,
            allowed=limits.security_groups,
            where=f"{len(groups)} + the project's default group"
            + (f" + {len(existing)} existing" if existing else ""),
            fix="Raise it (openstack quota set --secgroups N <project>) and set "
            "clearwater-sg:limits.securityGroups to N.",
        ),
        QuotaCheck(
            limit="OpenStack security group rules in the project",
            used=peak + NEUTRON_DEFAULT_GROUP_RULES,
            allowed=limits.security_group_rules,
            where=f"{total} + {NEUTRON_DEFAULT_GROUP_RULES} of the default group"
            + (f" + {transient} default rules of groups created with fewer" if transient else ""),
            fix=f"{_costliest(rules, lambda rule: len(rule.families))}: narrow those, or "
            "raise the quota (openstack quota set --secgroup-rules N <project>) and set "
            f"clearwater-sg:limits.securityGroupRules to N.{also}",
        ),
    ]


def plan_uses(
    plan: Plan,
    counted_families: Callable[[RuleSpec], tuple[int, ...]],
    prefix_lists: Mapping[str, int],
) -> list[RuleUse]:
    """The cloud rules a plan turns into, with the families each counts against (the
    backend's `counted_families`)."""
    uses = []
    for rule in plan.rules:
        weight, setting = 1, rule.setting
        if isinstance(rule.peer, PrefixListPeer):
            # AWS counts a prefix list as its max entries, in its own family, which the
            # plan does not know: in both, to be safe.
            weight = prefix_lists[rule.peer.prefix_list]
            setting = f"{setting}: prefix list {rule.peer.prefix_list} (its prefixLists size)"
        families = counted_families(rule)
        uses.append(RuleUse(rule.group, rule.direction.value, families, weight, setting))
    return uses


def plan_checks(
    plan: Plan,
    cloud: Cloud,
    limits: Limits,
    prefix_lists: Mapping[str, int],
    counted_families: Callable[[RuleSpec], tuple[int, ...]],
) -> list[QuotaCheck]:
    uses = plan_uses(plan, counted_families, prefix_lists)
    created, existing = ([g.key for g in groups] for groups in (plan.groups, plan.existing))
    return quota_checks(cloud, limits, created, uses, existing)


class LimitsUnreadableError(Exception):
    """The cloud would not give its limits (no permission, no such API): the live
    pre-flight checks against the offline `limits` instead, and says so."""


def held_to(limits: Limits, field: str, live: int | None) -> int | None:
    """The limit a live check holds to: the cloud's (None: unlimited), or the operator's
    `limits.<field>` where it is set and lower: an explicit value never loosens a check."""
    if field not in limits.model_fields_set:
        return live
    explicit = int(getattr(limits, field))
    return explicit if live is None else min(live, explicit)


@dataclass(frozen=True)
class ProjectUse:
    """An OpenStack project's security-group quotas as Neutron reports them, less what
    the stack holds already (its groups and rules of the last update)."""

    project: str
    group_limit: int | None  # None: unlimited
    rule_limit: int | None
    other_groups: int  # used + reserved, less the stack's own
    other_rules: int
    holders: tuple[tuple[str, int], ...]  # the project's other groups: (name, rules)
    default_group: bool  # Neutron made the project's `default` group already


def _holders(holders: tuple[tuple[str, int], ...], shown: int = 3) -> str:
    ranked = sorted(holders, key=lambda holder: (-holder[1], holder[0]))
    named = ", ".join(f"{name} ({rules} rules)" for name, rules in ranked[:shown])
    more = len(ranked) - shown
    return named + (f" and {more} more groups" if more > 0 else "")


def openstack_live_checks(
    limits: Limits,
    groups: Iterable[str],
    rules: Iterable[RuleUse],
    existing: Iterable[str],
    use: ProjectUse,
) -> list[QuotaCheck]:
    """The project-wide checks against the quotas and usage read from Neutron: what the
    project holds besides this stack, plus what the plan needs, within the limit."""
    groups, rules, existing = list(groups), list(rules), list(existing)
    peak, _ = _openstack_peak(groups, rules, existing)
    first = 0 if use.default_group else 1  # Neutron makes `default` with the first group
    costliest = _costliest(rules, lambda rule: len(rule.families))
    wanted = (
        ("groups", "security_groups", "secgroups", use.group_limit, len(groups), use.other_groups,
         first, "Delete the groups the project no longer needs"),
        ("group rules", "security_group_rules", "secgroup-rules", use.rule_limit, peak,
         use.other_rules, first * NEUTRON_DEFAULT_GROUP_RULES,
         f"{costliest}: narrow those, or delete what the project no longer needs"),
    )  # fmt: skip
    held = f": {_holders(use.holders)}" if use.holders else ""
    checks = []
    for what, field, flag, live, need, others, default, remedy in wanted:
        allowed = held_to(limits, field, live)
        if allowed is None:
            continue  # unlimited, and no explicit limit
        setting = f"clearwater-sg:limits.{Limits.model_fields[field].alias}"
        lower = (
            f" {setting} ({allowed}) is lower than the quota and wins." if allowed != live else ""
        )
        checks.append(
            QuotaCheck(
                limit=f"OpenStack security {what} in project {use.project} (read live)",
                used=need + others + default,
                allowed=allowed,
                where=f"{need} for this plan + {others} in use already{held}"
                + (f" + {default} of the default group Neutron creates first" if default else ""),
                fix=f"{remedy}, or raise the quota (openstack quota set --{flag} N "
                f"{use.project}).{lower}",
            )
        )
    return checks
