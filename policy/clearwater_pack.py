"""The checks of `clearwater_checks` as pulumi-policy resource validation policies."""

from __future__ import annotations

from collections.abc import Callable

from clearwater_checks import POLICIES, Policy
from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)
from pulumi_policy import Policy as PulumiPolicy

PACK_NAME = "clearwater-sg"

Validate = Callable[[ResourceValidationArgs, ReportViolation], None]


def _validate(policy: Policy) -> Validate:
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        config = args.get_config()
        settings = {key: config[key] for key in policy.config or {} if key in config}
        for message in policy.check(args.resource_type, args.props, **settings):
            report_violation(message, None)  # None: the resource under validation

    return validate


def policies() -> list[PulumiPolicy]:
    return [
        ResourceValidationPolicy(
            name=policy.name,
            description=policy.description,
            validate=_validate(policy),
            enforcement_level=(
                EnforcementLevel.MANDATORY if policy.mandatory else EnforcementLevel.ADVISORY
            ),
            config_schema=PolicyConfigSchema(policy.config) if policy.config else None,
        )
        for policy in POLICIES
    ]
