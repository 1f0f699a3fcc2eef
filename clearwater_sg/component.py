"""`ClearwaterSecurityGroups`: the security groups of one Clearwater deployment, as a
Pulumi component any program can import."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from clearwater_sg.backends import Backend
from clearwater_sg.backends.aws import AwsBackend
from clearwater_sg.backends.openstack import OpenStackBackend
from clearwater_sg.options import Cloud, DeploymentOptions
from clearwater_sg.plan import Plan, PlanError, RuleSpec, plan_security_groups
from clearwater_sg.quota import QuotaCheck, QuotaExceededError, plan_checks, require_fit
from clearwater_sg.roles import Role

COMPONENT_TYPE = "clearwater-sg:index:ClearwaterSecurityGroups"


class ClearwaterSecurityGroups(pulumi.ComponentResource):
    """One security group per role plus the shared all-nodes group, with every rule of
    Clearwater's port document that the options call for.

    Outputs:
      security_group_ids: role -> group id (including "all-nodes").
      node_security_group_ids: role -> the ids to attach to a node of that role
        (the all-nodes group and the role's own group).
    """

    security_group_ids: pulumi.Output[dict[str, str]]
    node_security_group_ids: pulumi.Output[dict[str, list[str]]]
    plan: Plan
    quota: list[QuotaCheck]
    # Document lines this cloud's provider cannot express, with the reason.
    not_created: list[tuple[RuleSpec, str]]

    def __init__(
        self,
        name: str,
        options: DeploymentOptions,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        try:
            prepared = prepare(options)
        except (PlanError, QuotaExceededError) as exc:
            raise pulumi.RunError(f"{name}: {exc}") from None
        super().__init__(COMPONENT_TYPE, name, None, opts)
        self.plan, self.quota = prepared.plan, prepared.quota
        self.not_created = prepared.not_created
        for rule, why in self.not_created:
            pulumi.log.info(f"not creating {rule.key} ({rule.description}): {why}", self)
        ids = prepared.backend.create(self.plan, name, self, options.source_group_ids)

        shared = ids[Role.ALL_NODES.value]
        self.security_group_ids = pulumi.Output.all(**ids)
        self.node_security_group_ids = pulumi.Output.all(
            **{
                role: pulumi.Output.all(shared, group_id)
                for role, group_id in ids.items()
                if role != Role.ALL_NODES.value
            }
        )
        self.register_outputs(
            {
                "securityGroupIds": self.security_group_ids,
                "nodeSecurityGroupIds": self.node_security_group_ids,
            }
        )


@dataclass(frozen=True)
class Prepared:
    """Everything decided before the first resource is registered."""

    backend: Backend
    plan: Plan  # what will be created
    not_created: list[tuple[RuleSpec, str]]  # document lines the cloud cannot express, why
    quota: list[QuotaCheck]  # what the plan costs against the target's limits


def prepare(options: DeploymentOptions) -> Prepared:
    """Plan, fit the plan to the cloud, and check it against the limits.

    Raises PlanError or QuotaExceededError: a plan that cannot be applied whole must be
    refused before anything exists, or the cloud would refuse it half-way.
    """
    backend = _backend(options)
    planned = plan_security_groups(options, options.name_prefix or _default_prefix())
    plan, not_created = backend.fit(planned)
    quota = plan_checks(plan, options.cloud, options.limits)
    require_fit(quota)
    return Prepared(backend=backend, plan=plan, not_created=not_created, quota=quota)


def _default_prefix() -> str:
    return f"clearwater-{pulumi.get_stack()}"


def _backend(options: DeploymentOptions) -> Backend:
    if options.cloud is Cloud.AWS:
        assert options.vpc_id is not None  # the options model requires it on AWS
        return AwsBackend(vpc_id=options.vpc_id, protect=options.protect)
    return OpenStackBackend(protect=options.protect)
