"""The cloud resources the program registers: their Pulumi type tokens, the stored fields
each provider compares on update (and which of them replace the resource), and the
protocol spellings the clouds accept. Backends, live tools, offline tools, the policy
pack and the tests read these facts here."""

from __future__ import annotations

from dataclasses import dataclass

AWS_GROUP = "aws:ec2/securityGroup:SecurityGroup"
AWS_INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
AWS_EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
OPENSTACK_GROUP = "openstack:networking/secGroup:SecGroup"
OPENSTACK_RULE = "openstack:networking/secGroupRule:SecGroupRule"
GROUP_TYPES = (AWS_GROUP, OPENSTACK_GROUP)
RULE_TYPES = (AWS_INGRESS, AWS_EGRESS, OPENSTACK_RULE)


@dataclass(frozen=True)
class Field:
    """One stored field (its input name) the provider compares, and whether a change
    replaces the resource (ForceNew)."""

    name: str
    replaces: bool


# terraform-provider-aws: `aws_security_group` replaces on name, name_prefix and
# description (and vpc_id), updates tags in place; `aws_vpc_security_group_*_rule`
# updates every field in place.
AWS_GROUP_FIELDS = (Field("name", True), Field("description", True), Field("tags", False))
# With `groupNames: generated` the program sets namePrefix and AWS completes the name.
AWS_GENERATED_GROUP_FIELDS = (
    Field("namePrefix", True),
    Field("description", True),
    Field("tags", False),
)
AWS_RULE_FIELDS = (Field("description", False),)
AWS_TAGGED_RULE_FIELDS = (*AWS_RULE_FIELDS, Field("tags", False))  # with tagRules
# terraform-provider-openstack: `openstack_networking_secgroup_v2` updates name,
# description and tags in place; `openstack_networking_secgroup_rule_v2` replaces on all.
OPENSTACK_GROUP_FIELDS = (Field("name", False), Field("description", False), Field("tags", False))
OPENSTACK_RULE_FIELDS = (
    Field("description", True),
    Field("protocol", True),
    Field("remoteIpPrefix", True),
)

# Every spelling of a protocol either cloud accepts, by what it means: AWS's -1 and
# Neutron's no protocol are every protocol; ICMPv6 is ICMP in a permission, whose
# family says which.
_PROTOCOLS = {
    "": "all",
    "-1": "all",
    "all": "all",
    "any": "all",
    "0": "all",
    "6": "tcp",
    "17": "udp",
    "1": "icmp",
    "58": "icmp",
    "icmpv6": "icmp",
    "ipv6-icmp": "icmp",
}
# The spellings that name ICMP of one family only.
ICMP_FAMILY = {"icmp": "IPv4", "1": "IPv4", "icmpv6": "IPv6", "58": "IPv6", "ipv6-icmp": "IPv6"}


def protocol_name(value: object) -> str:
    """tcp, udp, icmp, all, or another protocol as the cloud spells it (lower case)."""
    if value is None:
        return "all"
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a number from the engine's wire format
    text = str(value).lower()
    return _PROTOCOLS.get(text, text)
