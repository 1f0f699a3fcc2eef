"""AWS: one `aws.ec2.SecurityGroup` per group (no inline rules), then one
`aws.vpc.SecurityGroupIngressRule` / `SecurityGroupEgressRule` per rule."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from clearwater_sg.backends import Backend, RuleTarget, rule_tags, stored_texts
from clearwater_sg.plan import CidrPeer, Direction, GroupSpec, Plan, PrefixListPeer, RuleSpec
from clearwater_sg.types import AWS_TAG_VALUE_MAX

_ANY_ICMP_CODE = -1
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

    def group(self, group: GroupSpec, name: str, parent: pulumi.Resource) -> pulumi.CustomResource:
        return aws.ec2.SecurityGroup(
            name,
            name=None if self.generated_names else group.name,
            name_prefix=f"{group.name}-" if self.generated_names else None,
            description=group.description,
            vpc_id=self.vpc_id,
            tags=group.tags,
            # Peers' rules may still reference this group when it is deleted.
            revoke_rules_on_delete=True,
            opts=pulumi.ResourceOptions(parent=parent, protect=self.protect),
        )

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

    def rule(self, rule: RuleSpec, target: RuleTarget) -> None:
        ip_protocol, from_port, to_port = ec2_protocol(rule)
        peer = rule.peer
        resource = (
            aws.vpc.SecurityGroupIngressRule
            if rule.direction is Direction.INGRESS
            else aws.vpc.SecurityGroupEgressRule
        )
        resource(
            target.name,
            security_group_id=target.group_id,
            description=rule.description,
            ip_protocol=ip_protocol,
            from_port=from_port,
            to_port=to_port,
            cidr_ipv4=peer.cidr if isinstance(peer, CidrPeer) and peer.family == 4 else None,
            cidr_ipv6=peer.cidr if isinstance(peer, CidrPeer) and peer.family == 6 else None,
            # One group reference matches the group's members over both families.
            referenced_security_group_id=target.peer_group_id,
            prefix_list_id=peer.prefix_list if isinstance(peer, PrefixListPeer) else None,
            tags=target.tags if self.tag_rules else None,
            opts=pulumi.ResourceOptions(parent=target.parent),
        )


def ec2_protocol(rule: RuleSpec) -> tuple[str, int | None, int | None]:
    """AWS's ip_protocol, from_port and to_port for a rule."""
    if rule.protocol == "all":
        return "-1", None, None  # every protocol; AWS rejects ports with it
    if rule.protocol == "icmp":
        # For ICMP, AWS reads from_port as the type and to_port as the code.
        return ("icmp" if rule.family == 4 else "icmpv6"), rule.from_port, _ANY_ICMP_CODE
    return rule.protocol, rule.from_port, rule.to_port
