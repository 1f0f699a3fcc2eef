"""AWS: one `aws.ec2.SecurityGroup` per group (no inline rules), then one
`aws.vpc.SecurityGroupIngressRule` / `SecurityGroupEgressRule` per rule."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from clearwater_sg.backends import referenced_group
from clearwater_sg.plan import CidrPeer, Direction, Plan, RuleSpec

# AWS protocol names; "-1" means every protocol (ports must then be left unset).
_IP_PROTOCOL = {
    ("tcp", None): "tcp",
    ("udp", None): "udp",
    ("icmp", 4): "icmp",
    ("icmp", 6): "icmpv6",
}
_ANY_ICMP_CODE = -1


@dataclass(frozen=True)
class AwsBackend:
    vpc_id: pulumi.Input[str]
    protect: bool = False

    def create(
        self,
        plan: Plan,
        name: str,
        parent: pulumi.Resource,
        existing: Mapping[str, pulumi.Input[str]],
    ) -> dict[str, pulumi.Output[str]]:
        # Groups first and without inline rules: rules then only depend on group ids, so
        # mutual references (Bono <-> Sprout) cannot form a dependency cycle.
        ids = {
            group.key: aws.ec2.SecurityGroup(
                f"{name}-{group.key}",
                name=group.name,
                description=group.description,
                vpc_id=self.vpc_id,
                tags=group.tags,
                # Peers' rules may still reference this group when it is deleted.
                revoke_rules_on_delete=True,
                opts=pulumi.ResourceOptions(parent=parent, protect=self.protect),
            ).id
            for group in plan.groups
        }
        for rule in plan.rules:
            _rule_resource(rule, name, referenced_group(rule.peer, ids, existing), ids, parent)
        return ids


def _rule_resource(
    rule: RuleSpec,
    name: str,
    peer_group: pulumi.Input[str] | None,
    ids: dict[str, pulumi.Output[str]],
    parent: pulumi.Resource,
) -> None:
    ip_protocol, from_port, to_port = _protocol(rule)
    peer = rule.peer
    resource = (
        aws.vpc.SecurityGroupIngressRule
        if rule.direction is Direction.INGRESS
        else aws.vpc.SecurityGroupEgressRule
    )
    resource(
        f"{name}-{rule.key}",
        security_group_id=ids[rule.group],
        description=rule.description,
        ip_protocol=ip_protocol,
        from_port=from_port,
        to_port=to_port,
        cidr_ipv4=peer.cidr if isinstance(peer, CidrPeer) and peer.family == 4 else None,
        cidr_ipv6=peer.cidr if isinstance(peer, CidrPeer) and peer.family == 6 else None,
        # A group reference matches the group's members over both families.
        referenced_security_group_id=peer_group,
        opts=pulumi.ResourceOptions(parent=parent),
    )


def _protocol(rule: RuleSpec) -> tuple[str, int | None, int | None]:
    """AWS's ip_protocol, from_port and to_port for a rule."""
    if rule.protocol == "all":
        return "-1", None, None  # every protocol; AWS rejects ports with it
    if rule.protocol == "icmp":
        # For ICMP, AWS reads from_port as the type and to_port as the code.
        return ("icmp" if rule.family == 4 else "icmpv6"), rule.from_port, _ANY_ICMP_CODE
    return rule.protocol, rule.from_port, rule.to_port
