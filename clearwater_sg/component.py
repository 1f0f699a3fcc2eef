"""`ClearwaterSecurityGroups`: the security groups of one Clearwater deployment, as a
Pulumi component any program can import."""

# No `from __future__ import annotations`: Pulumi's schema analyzer reads the outputs'
# annotations below as types (clearwater_sg.package).
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import pulumi

from clearwater_sg.backends import Backend
from clearwater_sg.existing import moves, own_groups_named_existing
from clearwater_sg.options import DeploymentOptions, GroupNames, Networks, Preflight
from clearwater_sg.plan import (
    SPLIT_REPLACES_GROUPS,
    Plan,
    PlanError,
    RuleSpec,
    plan_security_groups,
)
from clearwater_sg.previous import previous_registrations
from clearwater_sg.quota import QuotaCheck, QuotaExceededError, plan_checks, require_fit
from clearwater_sg.resources import COMPONENT_TYPE
from clearwater_sg.roles import Role
from clearwater_sg.types import Cloud, check_name_prefix


class ClearwaterSecurityGroups(pulumi.ComponentResource):
    """One security group per role plus the shared all-nodes group, with every rule of
    Clearwater's port document that the options call for (and the opt-in flows beyond
    it). With `networks: split`, each of those is a management and a signaling group.

    Groups given in `existing_groups` are not created: their rules go on those groups,
    and the outputs give their ids like the others'.

    Outputs:
      security_group_ids: group key -> group id: the role ("all-nodes" included), or
        with split networks "<role>-management" and "<role>-signaling".
      node_security_group_ids: role -> the ids to attach to a node of that role (the
        all-nodes group and the role's own group). Single network only; empty if split.
      interface_security_group_ids: role -> interface ("management", "signaling") ->
        the ids to attach to that interface of a node. Split networks only; else empty.
    """

    # The outputs, the only class annotations: Pulumi infers the package schema's outputs
    # from them (`clearwater_sg.package`). What else a component holds is annotated where
    # `__init__` sets it.
    security_group_ids: pulumi.Output[dict[str, str]]
    node_security_group_ids: pulumi.Output[dict[str, list[str]]]
    interface_security_group_ids: pulumi.Output[dict[str, dict[str, list[str]]]]

    def __init__(
        self,
        name: str,
        options: DeploymentOptions,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        try:
            prepared = prepare(options, name)
            _refuse_clashes(name, options, prepared.plan)
            moved = _against_the_last_update(name, options, prepared)
        except (PlanError, QuotaExceededError) as exc:
            raise pulumi.RunError(f"{name}: {exc}") from None
        super().__init__(COMPONENT_TYPE, name, None, opts)
        self.component_name, self.options = name, options
        self.plan: Plan = prepared.plan
        self.quota: list[QuotaCheck] = prepared.quota
        _in_this_run().append(self)
        # Document lines this cloud's provider cannot express, with the reason.
        self.not_created: list[tuple[RuleSpec, str]] = prepared.not_created
        for rule, why in self.not_created:
            pulumi.log.info(f"not creating {rule.key} ({rule.description}): {why}", self)
        for note in self.plan.notes:
            # Switching networks replaces groups that running nodes use: say it loudly.
            log = pulumi.log.warn if note == SPLIT_REPLACES_GROUPS else pulumi.log.info
            log(note, self)
        for warning in (*self.plan.warnings, *moved):
            pulumi.log.warn(warning, self)
        registered = prepared.backend.create(
            self.plan, name, self, options.labelled_groups, options.existing_groups
        )
        # The group resources by group key (existing groups have none), for what the
        # outputs do not cover: a dependency, a rule of your own
        # (`aws.vpc.SecurityGroupIngressRule(...)`); and the plan rule each rule resource
        # was registered for, by resource name.
        self.security_groups: dict[str, pulumi.CustomResource] = registered[0]
        self.rule_of_resource: dict[str, RuleSpec] = registered[1]
        created = {key: group.id for key, group in self.security_groups.items()}
        ids: dict[str, pulumi.Input[str]] = {**options.existing_groups, **created}

        self.security_group_ids = pulumi.Output.all(**ids)
        attach = _attachments(self.plan, ids)
        outputs: dict[str, pulumi.Output[Any]] = {"securityGroupIds": self.security_group_ids}
        if options.networks is Networks.SINGLE:
            self.node_security_group_ids = pulumi.Output.all(
                **{role: pulumi.Output.all(*by_net[None]) for role, by_net in attach.items()}
            )
            self.interface_security_group_ids = pulumi.Output.from_input({})
            outputs["nodeSecurityGroupIds"] = self.node_security_group_ids
        else:
            self.node_security_group_ids = pulumi.Output.from_input({})
            self.interface_security_group_ids = pulumi.Output.all(
                **{
                    role: pulumi.Output.all(
                        **{str(net): pulumi.Output.all(*ids_) for net, ids_ in by_net.items()}
                    )
                    for role, by_net in attach.items()
                }
            )
            outputs["interfaceSecurityGroupIds"] = self.interface_security_group_ids
        self.register_outputs(outputs)


def _attachments(
    plan: Plan, ids: dict[str, pulumi.Input[str]]
) -> dict[str, dict[str | None, list[pulumi.Input[str]]]]:
    """role -> network (None on a single network) -> the ids a node of the role attaches
    to its interface on that network: the network's shared group, then the role's own."""
    groups = (*plan.groups, *plan.existing)
    shared = {g.network: ids[g.key] for g in groups if g.role == Role.ALL_NODES}
    attach: dict[str, dict[str | None, list[pulumi.Input[str]]]] = {}
    for group in groups:
        if group.role != Role.ALL_NODES:
            by_net = attach.setdefault(group.role, {})
            by_net[group.network] = [shared[group.network], ids[group.key]]
    return attach


@dataclass(frozen=True)
class Prepared:
    """Everything decided before the first resource is registered."""

    backend: Backend
    plan: Plan  # what will be created
    name_prefix: str  # what each group's name starts with: <name_prefix>-<group key>
    not_created: list[tuple[RuleSpec, str]]  # document lines the cloud cannot express, why
    quota: list[QuotaCheck]  # what the plan costs against the target's limits


def prepare(options: DeploymentOptions, name: str, stack: str | None = None) -> Prepared:
    """Plan the component `name` of `stack` (default: the running program's), fit the
    plan to the cloud, and check it against the cloud's rules for names and descriptions
    and against the limits.

    Raises PlanError or QuotaExceededError: a plan that cannot be applied whole must be
    refused before anything exists, or the cloud would refuse it half-way.
    """
    backend = _backend(options)
    prefix = options.name_prefix
    if prefix is None:
        # `<component name>-<stack>`: the bundled program's component is named
        # "clearwater", so its groups keep their names, and two components in one
        # program never collide.
        try:
            prefix = check_name_prefix(f"{name}-{stack or pulumi.get_stack()}", options.cloud)
        except ValueError as exc:
            raise PlanError(
                f"the default group name prefix, <component name>-<stack>, is not usable: "
                f"{exc}. Set name_prefix (namePrefix)"
            ) from None
    planned = plan_security_groups(options, prefix)
    refusals = backend.refusals(planned, name)
    if refusals:
        raise PlanError("the cloud would refuse this plan:\n  " + "\n  ".join(refusals))
    plan, not_created = backend.fit(planned)
    quota = plan_checks(
        plan,
        options.cloud,
        options.limits,
        options.prefix_lists,
        lambda rule: backend.counted_families(plan, rule),
    )
    if options.preflight is Preflight.OFFLINE:
        require_fit(quota)  # with preflight: live, against the cloud's own limits, later
    return Prepared(
        backend=backend, plan=plan, name_prefix=prefix, not_created=not_created, quota=quota
    )


def _against_the_last_update(
    name: str, options: DeploymentOptions, prepared: Prepared
) -> list[str]:
    """Refuse existing groups that are this component's own (by the stack's state, and
    with `preflight: live` by what the cloud holds), and with `preflight: live` what an
    existing group holds that `pulumi up` would fail on and a plan that does not fit the
    cloud's limits and usage; what to say loudly: the limits the cloud would not give,
    what moves between groups since the last update."""
    previous = previous_registrations(name)
    refusals = own_groups_named_existing(options, name, previous)
    warnings: list[str] = []
    if options.preflight is Preflight.LIVE and not refusals:
        from clearwater_sg.live.preflight import live_preflight  # the cloud's SDK, when asked

        verdict = live_preflight(options, prepared, previous, name, pulumi.get_stack())
        refusals, warnings = verdict.refusals, verdict.warnings
        if not refusals:
            require_fit(verdict.quota)
    if refusals:
        raise PlanError("\n  ".join(["existing groups:", *refusals]))
    return [*warnings, *moves(options, prepared.plan, previous)]


# The components of the program run in progress. A program runs in one asyncio task,
# whose context is its own: a unit test under `@pulumi.runtime.test` and each run of an
# Automation API inline program start empty, even where they share a root Stack resource
# (`set_mocks` once per module) or a process.
_RUN: ContextVar[list[ClearwaterSecurityGroups] | None] = ContextVar(
    "clearwater_sg_components", default=None
)


def _in_this_run() -> list[ClearwaterSecurityGroups]:
    components = _RUN.get()
    if components is None:
        components = []
        _RUN.set(components)
    return components


def _refuse_clashes(name: str, options: DeploymentOptions, plan: Plan) -> None:
    """Refuse group names another component of this program already creates, and
    existing groups another component already puts its rules on.

    Names are unique per VPC on AWS; Neutron allows equal names, but two deployments
    whose groups share names cannot be told apart, so they are refused there too.
    """
    for other in _in_this_run():
        same_place = other.options.cloud is options.cloud and (
            options.cloud is Cloud.OPENSTACK or _same_vpc(other.options.vpc_id, options.vpc_id)
        )
        taken = {group.name for group in other.plan.groups}
        clash = sorted(group.name for group in plan.groups if group.name in taken)
        if same_place and clash:
            raise PlanError(
                f"group {clash[0]!r} is also created by component {other.component_name!r} of this "
                "program; give each component its own name (the default prefix is "
                "<component name>-<stack>) or its own name_prefix (namePrefix)"
            )
        # Both would put the same rules on one group, which the cloud refuses half-way.
        theirs = {g: k for k, g in other.options.existing_groups.items() if isinstance(g, str)}
        for key, group in options.existing_groups.items():
            if isinstance(group, str) and group in theirs:
                raise PlanError(
                    f"existingGroups.{key}: {group} is also the existing {theirs[group]} "
                    f"group of component {other.component_name!r}; the rules of two "
                    "deployments cannot share a group (give each its own)"
                )


def _same_vpc(first: object, second: object) -> bool:
    """Equal VPC ids are one VPC; an Output may be any VPC, so it counts as the same."""
    return first == second if isinstance(first, str) and isinstance(second, str) else True


def _backend(options: DeploymentOptions) -> Backend:
    # Each cloud's SDK is imported only when that cloud is used: `clearwater-sg[aws]`
    # installs pulumi-aws, `clearwater-sg[openstack]` pulumi-openstack.
    if options.cloud is Cloud.AWS:
        from clearwater_sg.backends.aws import AwsBackend

        assert options.vpc_id is not None  # the options model requires it on AWS
        return AwsBackend(
            vpc_id=options.vpc_id,
            protect=options.protect,
            generated_names=options.group_names is GroupNames.GENERATED,
            tag_rules=options.tag_rules,
        )
    from clearwater_sg.backends.openstack import OpenStackBackend

    return OpenStackBackend(protect=options.protect)
