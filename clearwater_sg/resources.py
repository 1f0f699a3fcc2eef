"""The cloud resources the program registers: their Pulumi type tokens, the stored fields
each provider compares on update (and which of them replace the resource), and the
protocol spellings the clouds accept. Backends, live tools, offline tools, the policy
pack and the tests read these facts here."""

from __future__ import annotations

from dataclasses import dataclass

COMPONENT_TYPE = "clearwater-sg:index:ClearwaterSecurityGroups"  # the component itself
AWS_GROUP = "aws:ec2/securityGroup:SecurityGroup"
AWS_INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
AWS_EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
OPENSTACK_GROUP = "openstack:networking/secGroup:SecGroup"
OPENSTACK_RULE = "openstack:networking/secGroupRule:SecGroupRule"
# What a rule may name as its peer: a managed prefix list (its entries inline, or one
# entry per resource) and a Neutron address group.
AWS_PREFIX_LIST = "aws:ec2/managedPrefixList:ManagedPrefixList"
AWS_PREFIX_LIST_ENTRY = "aws:ec2/managedPrefixListEntry:ManagedPrefixListEntry"
OPENSTACK_ADDRESS_GROUP = "openstack:networking/addressGroupV2:AddressGroupV2"
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
# family says which. Numbers are read by their value ("06" is 6), as Neutron's API and
# the providers read them.
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
# The names the clouds accept beside numbers: Neutron's (neutron-lib's IP_PROTOCOL_MAP and
# "any") and EC2's (tcp, udp, icmp, icmpv6; -1 or "all" for every protocol).
PROTOCOL_NAMES = frozenset(
    (
        *("ah", "dccp", "egp", "esp", "gre", "hopopt", "icmp", "igmp", "ip", "ipip"),
        *("ipv6-encap", "ipv6-frag", "ipv6-icmp", "icmpv6", "ipv6-nonxt", "ipv6-opts"),
        *("ipv6-route", "ospf", "pgm", "rsvp", "sctp", "tcp", "udp", "udplite", "vrrp"),
        *("any", "all", "-1"),
    )
)
_HIGHEST_PROTOCOL = 255


def protocol_spelling(value: object) -> str:
    """A protocol as the clouds compare it: lower case, a number by its value, read as
    Neutron reads it (Python's int: leading zeros, a sign, spaces)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a number from the engine's wire format
    text = str(value).lower()
    try:
        return str(int(text))
    except ValueError:
        return text


def protocol_name(value: object) -> str:
    """tcp, udp, icmp, all, or another protocol as the cloud spells it (lower case)."""
    if value is None:
        return "all"
    text = protocol_spelling(value)
    return _PROTOCOLS.get(text, text)


def protocol_refusal(value: object) -> str | None:
    """Why a cloud refuses a protocol as written, or fails on it halfway through `pulumi
    up`; None for a name the clouds know (any case) or a number 0-255 written plainly."""
    if value is None or value == "":
        return None  # Neutron: every protocol
    text = str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
    if text.isascii() and text.isdigit():
        number = int(text)
        if number > _HIGHEST_PROTOCOL:
            return f"protocol {text!r}: protocol numbers are 0-{_HIGHEST_PROTOCOL}"
        if text != str(number):
            return (
                f"protocol {text!r}: Neutron stores a number as written and fails on a "
                "leading zero (HTTP 500) halfway through `pulumi up`, and what EC2 makes "
                f"of it is not documented; write {number}"
                + (f" ({name})" if (name := protocol_name(number)) != str(number) else "")
            )
        return None
    if text.lower() in PROTOCOL_NAMES:
        return None
    return (
        f"protocol {text!r} is no protocol name or number the clouds accept; write tcp, "
        f"udp, icmp, icmpv6 (ipv6-icmp on Neutron), another IANA name, or a number "
        f"0-{_HIGHEST_PROTOCOL}"
    )
