"""The live pre-flight (`preflight: live`): before the component registers anything, it
reads the groups of `existingGroups` from the cloud, with the stack's own cloud settings
(its `aws:` or `openstack:` config, then the cloud SDK's usual credentials) and the
readers of adopt and drift, and refuses, naming each rule by its id, with the fix:

- a planned rule an existing group holds already, which this stack did not make: the
  cloud would refuse the duplicate halfway through `pulumi up`;
- with `egress: restricted`, an outbound rule of an existing group that the plan does not
  have (the allow-all egress a cloud gives a group made by hand): the nodes could send
  what the plan says is closed;
- an existing group that is this deployment's own (its planned name, tagged
  `clearwater:role`), which the component would delete.

Rules this stack made on its last update (`clearwater_sg.previous`) are its own, never
duplicates.

It also reads the cloud's limits and what is in use, and checks the plan against them
(the offline pre-flight's checks, `clearwater_sg.quota`, with the cloud's numbers): on
OpenStack Neutron's quota details of the project, less what the stack holds already,
naming the project's other groups; on AWS the account's per-group rules and
per-interface groups quotas (Service Quotas, else EC2's account attribute), counting the
rules the existing groups hold already. A limit the operator set in `limits` wins where it
is lower. A quota the cloud will not give is checked against the offline limit, with a
warning that says so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi.runtime.config as runtime_config

from clearwater_sg.backends import tag_texts
from clearwater_sg.component import Prepared
from clearwater_sg.live.compare import (
    Comparison,
    Live,
    LiveError,
    LiveGroup,
    LiveRule,
    Reader,
    compare,
    expected_of,
    reader_for,
)
from clearwater_sg.options import DeploymentOptions, Egress, Limits
from clearwater_sg.plan import PlanError
from clearwater_sg.previous import Previous
from clearwater_sg.quota import (
    LimitsUnreadableError,
    QuotaCheck,
    RuleUse,
    held_to,
    openstack_live_checks,
    plan_uses,
    quota_checks,
)
from clearwater_sg.types import Cloud

_PROVIDERS = ("aws", "openstack")
ADOPT = "python -m clearwater_sg.live adopt --stack-file <the stack file>"


def provider_config() -> dict[str, str]:
    """The stack's provider settings, as text (`aws:region`, `openstack:cloud`, ...)."""
    keys = set(runtime_config.get_config_env()) | set(runtime_config.CONFIG.get())
    return {
        key: str(value)
        for key in sorted(keys)
        if key.partition(":")[0] in _PROVIDERS and (value := runtime_config.get_config(key))
    }


@dataclass(frozen=True)
class Verdict:
    """What the live pre-flight found."""

    refusals: list[str]  # what an existing group holds that the update would fail on
    quota: list[QuotaCheck] = field(default_factory=list)  # the plan against the cloud's limits
    warnings: list[str] = field(default_factory=list)  # limits it could not read, and why


def live_preflight(
    options: DeploymentOptions,
    prepared: Prepared,
    previous: Previous,
    component: str,
    stack: str,
    config: Mapping[str, str] | None = None,
) -> Verdict:
    """Read the existing groups and the cloud's limits and usage before anything is
    registered.

    Raises PlanError when the cloud cannot be read with the stack's settings."""
    given = options.existing_groups
    outputs = [key for key, group_id in given.items() if not isinstance(group_id, str)]
    if outputs:
        return Verdict(
            [
                f"preflight: live reads existing groups by id before anything is registered; "
                f"existingGroups.{key} is an Output, known only during the update: give its "
                "id, or use preflight: offline"
                for key in outputs
            ]
        )
    planned = expected_of(prepared, options, stack, component)
    config = provider_config() if config is None else config
    doing = "connect"
    try:
        reader = reader_for(planned, config)
        doing = "read the existing groups"
        ids = {key: str(group_id) for key, group_id in given.items()}
        groups = reader.groups(ids, {}) if ids else []
        rules = [rule for rule in reader.rules(groups) if rule.id not in previous.rule_ids]
        doing = "read the quotas"
        checks, warnings = _quota(options, prepared, previous, reader, config, rules)
    except LiveError as exc:
        cloud = options.cloud.value
        settings = ", ".join(key for key in config if key.startswith(f"{cloud}:"))
        raise PlanError(
            f"clearwater-sg:preflight is live, but it could not {doing} with the stack's "
            f"{cloud} settings ({settings or f'none: no {cloud}: keys in the stack'}, then "
            f"the SDK's own credentials): {str(exc).rstrip('.')}. Fix those settings, or set "
            "clearwater-sg:preflight to offline"
        ) from None
    comparison = compare(planned, Live(groups=tuple(groups), rules=tuple(rules)))
    refusals = _duplicates(comparison, ids) + _own_groups(groups, prepared)
    if options.egress is Egress.RESTRICTED:
        refusals += _outbound(comparison, ids)
    return Verdict(refusals, checks, warnings)


def _quota(
    options: DeploymentOptions,
    prepared: Prepared,
    previous: Previous,
    reader: Reader,
    config: Mapping[str, str],
    held: Sequence[LiveRule],
) -> tuple[list[QuotaCheck], list[str]]:
    """The plan's checks against the limits and usage the cloud gives (`held`: the rules
    the existing groups hold, not the stack's), and a warning for each limit it will not
    give, checked against the offline value instead."""
    plan, backend = prepared.plan, prepared.backend
    uses = plan_uses(plan, lambda rule: backend.counted_families(plan, rule), options.prefix_lists)
    created = [group.key for group in plan.groups]
    existing = [group.key for group in plan.existing]
    limits = options.limits
    if options.cloud is Cloud.OPENSTACK:
        from clearwater_sg.live.openstack import OpenStackReader

        assert isinstance(reader, OpenStackReader)
        try:
            use = reader.project_use(set(previous.created.values()), set(previous.rule_ids))
        except LimitsUnreadableError as exc:
            offline = quota_checks(Cloud.OPENSTACK, limits, created, uses, existing)
            return offline, [
                f"preflight: live could not read the project's quota details ({exc}): "
                f"checking against clearwater-sg:limits.securityGroups "
                f"({limits.security_groups}) and limits.securityGroupRules "
                f"({limits.security_group_rules}), the offline values, as if the project "
                "held nothing but this deployment. Let the user read the project's quotas "
                "to check the real ones"
            ]
        return openstack_live_checks(limits, created, uses, existing, use), []
    from clearwater_sg.live.aws import AWS_QUOTAS, AwsReader, AwsSettings, account_limits

    assert isinstance(reader, AwsReader)
    read, unread = account_limits(AwsSettings.from_stack(config), reader.ec2)
    live = Limits.model_validate(
        {
            **limits.model_dump(exclude_unset=True),
            **{name: held_to(limits, name, value) for name, value in read.items()},
        }
    )
    warnings = [
        f"preflight: live could not read AWS's '{AWS_QUOTAS[name][1]}' quota ({why}): "
        f"checking against clearwater-sg:limits.{Limits.model_fields[name].alias} "
        f"({getattr(limits, name)}), the offline value. Allow servicequotas:GetServiceQuota "
        "(and ec2:DescribeAccountAttributes) to check the account's own"
        for name, why in unread.items()
    ]
    # The rules an existing group holds already count against its per-group quota.
    uses += [
        RuleUse(
            rule.permission.group,
            rule.permission.direction,
            _FAMILIES.get(rule.permission.family, (4, 6)),
            setting=f"what existing group {rule.permission.group} holds already",
        )
        for rule in held
    ]
    return quota_checks(Cloud.AWS, live, created, uses, existing), warnings


# A rule's family as a live reader gives it -> the families it counts against (a group
# reference counts against both).
_FAMILIES = {"IPv4": (4,), "IPv6": (6,)}


def _duplicates(comparison: Comparison, ids: Mapping[str, str]) -> list[str]:
    return [
        f"existing group {kept.planned.permission.group} ({ids[kept.planned.permission.group]}) "
        f"holds rule {kept.live.id} already [{kept.live.permission.describe()}], which the "
        f"plan creates as {kept.planned.resource.name}: the cloud would refuse the "
        f"duplicate halfway through `pulumi up`. Adopt it ({ADOPT}, then `pulumi import "
        "--file` of what it writes), or delete it"
        for kept in comparison.rules_kept
    ]


def _outbound(comparison: Comparison, ids: Mapping[str, str]) -> list[str]:
    return [
        f"egress: restricted: existing group {rule.permission.group} "
        f"({ids[rule.permission.group]}) lets out what the plan does not: rule {rule.id} "
        f"[{rule.permission.describe()}]. Remove it ({rule.delete_command}), or declare it "
        "as an egress extra rule with its reason"
        for rule in comparison.rules_left_alone
        if rule.permission.direction == "egress"
    ]


def _own_groups(groups: list[LiveGroup], prepared: Prepared) -> list[str]:
    """Existing groups named and tagged as this deployment's own groups are."""
    keys = {group.key for group in (*prepared.plan.groups, *prepared.plan.existing)}
    found = []
    for group in groups:
        # With generated names (AWS) the name is the planned one, a dash and AWS's suffix.
        fields = group.fields
        name = str(fields.get("namePrefix") or fields.get("name") or "").removesuffix("-")
        own = name.removeprefix(f"{prepared.name_prefix}-")
        tags = tag_texts(group.fields.get("tags"))
        if own != name and own in keys and any(t.startswith("clearwater:role=") for t in tags):
            found.append(
                f"existingGroups.{group.key}: {group.id} is named {name} and tagged "
                f"clearwater:role: it is this deployment's own {own} group, which the "
                "component creates (the stack's state may not know it any more; the cloud "
                f"does). Remove {group.key} from existingGroups, and bring the group back "
                f"under the stack with {ADOPT}"
            )
    return found
