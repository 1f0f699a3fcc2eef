"""`ClearwaterSecurityGroups`: the security groups of one Clearwater deployment, as a
Pulumi component any program can import."""

from __future__ import annotations

import pulumi

from clearwater_sg.backends import Backend
from clearwater_sg.backends.aws import AwsBackend
from clearwater_sg.backends.openstack import OpenStackBackend
from clearwater_sg.options import Cloud, DeploymentOptions
from clearwater_sg.plan import Plan, PlanError, plan_security_groups
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

    def __init__(
        self,
        name: str,
        options: DeploymentOptions,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        # Plan and check quotas before registering any child: a plan that cannot be
        # applied whole must leave nothing half-created.
        try:
            plan = plan_security_groups(options, options.name_prefix or _default_prefix())
            quota = plan_checks(plan, options.cloud, options.limits)
            require_fit(quota)
        except (PlanError, QuotaExceededError) as exc:
            raise pulumi.RunError(f"{name}: {exc}") from None
        super().__init__(COMPONENT_TYPE, name, None, opts)
        self.plan, self.quota = plan, quota
        ids = _backend(options).create(plan, name, self, options.source_group_ids)

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


def _default_prefix() -> str:
    return f"clearwater-{pulumi.get_stack()}"


def _backend(options: DeploymentOptions) -> Backend:
    if options.cloud is Cloud.AWS:
        assert options.vpc_id is not None  # the options model requires it on AWS
        return AwsBackend(vpc_id=options.vpc_id, protect=options.protect)
    return OpenStackBackend(protect=options.protect)
