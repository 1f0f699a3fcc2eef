"""The checks of `clearwater_checks` as pulumi-policy policies.

A check that judges peers runs twice under one name: on each resource as the engine
registers it, before its step (so `pulumi up --skip-preview`, which the Automation API's
`up` runs, is covered too), and on the whole stack when a preview or an update ends,
where a rule's prefix list or address group is followed to the resource that defines
it. pulumi-policy runs a policy at one of those two points; `_EachResourceAndTheStack`
is both.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from clearwater_checks import (
    AWS_DEFAULT_GROUP,
    POLICIES,
    RULE_TYPES,
    Declared,
    Follow,
    Policy,
    prop_items,
    prop_value,
)
from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy import Policy as PulumiPolicy
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

from clearwater_sg.resources import (
    AWS_GROUP,
    AWS_PREFIX_LIST,
    AWS_PREFIX_LIST_ENTRY,
    OPENSTACK_ADDRESS_GROUP,
)

PACK_NAME = "clearwater-sg"
LISTS = (AWS_PREFIX_LIST, OPENSTACK_ADDRESS_GROUP)  # what a rule's peer may name
JUDGED = (*RULE_TYPES, AWS_GROUP, AWS_DEFAULT_GROUP)  # what declares rules

Validate = Callable[[ResourceValidationArgs, ReportViolation], None]


def _settings(policy: Policy, config: Mapping[str, Any]) -> dict[str, Any]:
    return {key: config[key] for key in policy.config or {} if key in config}


def _report(
    policy: Policy, args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    settings = _settings(policy, args.get_config())
    for message in policy.check(args.resource_type, args.props, **settings):
        report_violation(message, None)  # None: the resource under validation


def _validate(policy: Policy) -> Validate:
    return lambda args, report_violation: _report(policy, args, report_violation)


def _held(listed: PolicyResource, entries: Mapping[str, list[str]]) -> list[str]:
    """The CIDRs a prefix list or address group of the stack holds (an entry unknown
    during a preview is left out, as any CIDR computed by another resource)."""
    if listed.resource_type == OPENSTACK_ADDRESS_GROUP:
        return [str(a) for a in prop_items(prop_value(listed.props, "addresses"))]
    inline = prop_items(prop_value(listed.props, "entries"))
    cidrs = [prop_value(entry, "cidr") for entry in inline if isinstance(entry, Mapping)]
    return [str(c) for c in cidrs if isinstance(c, str)] + entries.get(listed.urn, [])


def set_by_the_program(resource: PolicyResource) -> dict[str, Any]:
    """A resource's properties as its program set them. The stack is judged on the
    resources' outputs, where during a preview every output the provider computes and
    the program did not set is unknown (a rule's remote group id, say); a value the
    program set from another resource keeps its dependency on it."""
    props: dict[str, Any] = {}
    for key in list(resource.props):
        try:
            props[key] = resource.props[key]
        except UnknownValueError:
            if resource.property_dependencies.get(key):
                props[key] = UNKNOWN_STRING_VALUE
    return props


def stack_follower(resources: Sequence[PolicyResource]) -> Callable[[PolicyResource], Follow]:
    """For each rule resource of the stack, how its prefix lists and address groups are
    followed: by the id the rule gives, to the list of that id; else, while ids are not
    yet known, to the lists the rule's property depends on; a list the stack does not
    define cannot be known (None)."""
    lists = [r for r in resources if r.resource_type in LISTS]
    by_id = {str(i): r for r in lists if isinstance(i := prop_value(r.props, "id"), str)}
    entries: dict[str, list[str]] = {}
    for entry in resources:
        if entry.resource_type == AWS_PREFIX_LIST_ENTRY:
            cidr = prop_value(entry.props, "cidr")
            for listed in entry.property_dependencies.get("prefixListId", []):
                if isinstance(cidr, str):
                    entries.setdefault(listed.urn, []).append(cidr)

    def follower(rule_resource: PolicyResource) -> Follow:
        def follow(rule: Declared) -> list[str] | None:
            if rule.written in by_id:
                return _held(by_id[rule.written], entries)
            named = [
                r for r in rule_resource.property_dependencies.get(rule.prop, []) if r in lists
            ]
            if not named:
                return None
            return [cidr for listed in named for cidr in _held(listed, entries)]

        return follow

    return follower


class _EachResourceAndTheStack(ResourceValidationPolicy, StackValidationPolicy):
    """A policy pulumi-policy runs on each resource and on the whole stack: `validate`
    tells the two by their arguments."""

    def __init__(self, policy: Policy, level: EnforcementLevel) -> None:
        # Each of pulumi-policy's two constructors passes its arguments on in an order
        # the other does not take; the base they share sets what a policy is, and the
        # two private callbacks they read are set here (this class overrides validate).
        PulumiPolicy.__init__(self, policy.name, policy.description, level, _schema(policy))
        for attribute in (
            "_ResourceValidationPolicy__validate",
            "_ResourceValidationPolicy__remediate",
            "_StackValidationPolicy__validate",
        ):
            setattr(self, attribute, None)
        self.policy = policy

    def validate(
        self,
        args: ResourceValidationArgs | StackValidationArgs,
        report_violation: ReportViolation,
    ) -> None:
        if isinstance(args, ResourceValidationArgs):
            _report(self.policy, args, report_violation)
            return
        settings = _settings(self.policy, args.get_config())
        follower = stack_follower(args.resources)
        for resource in args.resources:
            if resource.resource_type in JUDGED:
                props, follow = set_by_the_program(resource), follower(resource)
                for message in self.policy.check(
                    resource.resource_type, props, follow=follow, **settings
                ):
                    report_violation(message, resource.urn)


def _schema(policy: Policy) -> PolicyConfigSchema | None:
    return PolicyConfigSchema(policy.config) if policy.config else None


def policies() -> list[PulumiPolicy]:
    made: list[PulumiPolicy] = []
    for policy in POLICIES:
        level = EnforcementLevel.MANDATORY if policy.mandatory else EnforcementLevel.ADVISORY
        if policy.follows:
            made.append(_EachResourceAndTheStack(policy, level))
        else:
            made.append(
                ResourceValidationPolicy(
                    name=policy.name,
                    description=policy.description,
                    validate=_validate(policy),
                    enforcement_level=level,
                    config_schema=_schema(policy),
                )
            )
    return made
