"""AWS: one `aws.ec2.SecurityGroup` per group (no inline rules), then one
`aws.vpc.SecurityGroupIngressRule` / `SecurityGroupEgressRule` per rule."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from clearwater_sg.backends import (
    Backend,
    Placement,
    Resource,
    peer_group_id,
    stored_texts,
)
from clearwater_sg.permission import (
    Permission,
    aws_permission,
)
from clearwater_sg.plan import CidrPeer, Direction, GroupSpec, Plan, PrefixListPeer, RuleSpec
from clearwater_sg.resources import (
    AWS_EGRESS,
    AWS_GENERATED_GROUP_FIELDS,
    AWS_GROUP,
    AWS_GROUP_FIELDS,
    AWS_INGRESS,
    AWS_RULE_FIELDS,
    AWS_TAGGED_RULE_FIELDS,
    Field,
)
from clearwater_sg.types import AWS_TAG_VALUE_MAX

_ANY = -1  # EC2's "any" ICMP type or code, and "every protocol"
# EC2's documented rules for VPC security group names, group and rule descriptions.
_TEXT_MAX = 255
_ALLOWED_TEXT = re.compile(r"[a-zA-Z0-9 ._\-:/()#,@\[\]+=&;{}!$*]*")


@dataclass(frozen=True)
class AwsBackend(Backend):
    vpc_id: pulumi.Input[str]
    protect: bool = False
    # AWS completes `<name>-<suffix>` itself: a group that must be replaced (a new
    # description, another VPC) is created before the old one is deleted, so nodes can
    # move over instead of losing their group.
    generated_names: bool = False
    tag_rules: bool = False  # tag each rule resource like its group (opt-in: tagRules)

    classes = {  # noqa: RUF012 (a table, never mutated)
        AWS_GROUP: aws.ec2.SecurityGroup,
        AWS_INGRESS: aws.vpc.SecurityGroupIngressRule,
        AWS_EGRESS: aws.vpc.SecurityGroupEgressRule,
    }

    @property
    def group_fields(self) -> tuple[Field, ...]:  # type: ignore[override]
        return AWS_GENERATED_GROUP_FIELDS if self.generated_names else AWS_GROUP_FIELDS

    @property
    def rule_fields(self) -> tuple[Field, ...]:  # type: ignore[override]
        return AWS_TAGGED_RULE_FIELDS if self.tag_rules else AWS_RULE_FIELDS

    def group_resource(self, group: GroupSpec, component: str) -> Resource:
        return Resource(
            type=AWS_GROUP,
            name=f"{component}-{group.key}",
            inputs={
                "name": None if self.generated_names else group.name,
                "namePrefix": f"{group.name}-" if self.generated_names else None,
                "description": group.description,
                "vpcId": self.vpc_id,
                "tags": group.tags,
                # Peers' rules may still reference this group when it is deleted.
                "revokeRulesOnDelete": True,
            },
            protect=self.protect,
        )

    def rule_resources(self, rule: RuleSpec, at: Placement) -> list[Resource]:
        ip_protocol, from_port, to_port = ec2_protocol(rule)
        peer = rule.peer
        cidr = peer.cidr if isinstance(peer, CidrPeer) else None
        inputs = {
            "securityGroupId": at.ids[rule.group],
            "description": rule.description,
            "ipProtocol": ip_protocol,
            "fromPort": from_port,
            "toPort": to_port,
            "cidrIpv4": cidr if isinstance(peer, CidrPeer) and peer.family == 4 else None,
            "cidrIpv6": cidr if isinstance(peer, CidrPeer) and peer.family == 6 else None,
            # One group reference matches the group's members over both families.
            "referencedSecurityGroupId": peer_group_id(rule, at),
            "prefixListId": peer.prefix_list if isinstance(peer, PrefixListPeer) else None,
            "tags": rule_tags(at.plan, rule, at.component) if self.tag_rules else None,
        }
        ingress = rule.direction is Direction.INGRESS
        return [
            Resource(
                type=AWS_INGRESS if ingress else AWS_EGRESS,
                name=f"{at.component}-{rule.key}",
                inputs=inputs,
            )
        ]

    def counted_families(self, plan: Plan, rule: RuleSpec) -> tuple[int, ...]:
        # A group reference or prefix list counts against both families' rule limits.
        return (4, 6) if rule.family is None else (rule.family,)

    @staticmethod
    def permission(type_: str, inputs: Mapping[str, Any], keys: Mapping[str, str]) -> Permission:
        return aws_permission(type_, inputs, keys)

    def refusals(self, plan: Plan, component: str) -> list[str]:
        texts = stored_texts(plan)
        refused = [
            f"{what}: AWS allows at most {_TEXT_MAX} characters of a-z, A-Z, 0-9, spaces "
            "and ._-:/()#,@[]+=&;{}!$*"
            for what, text in texts
            if len(text) > _TEXT_MAX or not _ALLOWED_TEXT.fullmatch(text)
        ]
        refused += [
            f"group name {g.name!r}: AWS refuses names that start with sg-; "
            "set a namePrefix that does not"
            for g in plan.groups
            if g.name.lower().startswith("sg-")
        ]
        if self.tag_rules:
            refused += [
                f"tag Name of rule {rule.key!r} ({len(value)} characters): AWS allows "
                f"{AWS_TAG_VALUE_MAX} in a tag value; shorten the component's name, or "
                "turn tagRules off"
                for rule in plan.rules
                if len(value := rule_tags(plan, rule, component)["Name"]) > AWS_TAG_VALUE_MAX
            ]
        return refused


def rule_tags(plan: Plan, rule: RuleSpec, component: str) -> dict[str, str]:
    """A rule's tags with tagRules: its group's, named for the rule."""
    group = next(g for g in (*plan.groups, *plan.existing) if g.key == rule.group)
    return {**group.tags, "Name": f"{component}-{rule.key}"}


def ec2_protocol(rule: RuleSpec) -> tuple[str, int | None, int | None]:
    """AWS's ip_protocol, from_port and to_port for a rule."""
    if rule.protocol == "all":
        return "-1", None, None  # every protocol; AWS rejects ports with it
    if rule.protocol == "icmp":
        # For ICMP, AWS reads from_port as the type and to_port as the code.
        return ("icmp" if rule.family == 4 else "icmpv6"), rule.from_port, _ANY
    return rule.protocol, rule.from_port, rule.to_port
