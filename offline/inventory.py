"""What a recorded program run creates, read back from the registered resources.

Both clouds' resources are normalised to the same rows (group, direction, family,
protocol, ports, peer, description), so renders and tests read one shape. Rows come
from the resource inputs the engine received, not from the plan: they show what the
backends really asked the cloud for.
"""

from __future__ import annotations

from dataclasses import dataclass

from offline.runner import Recording, Registered

AWS_GROUP = "aws:ec2/securityGroup:SecurityGroup"
AWS_INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
AWS_EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
OPENSTACK_GROUP = "openstack:networking/secGroup:SecGroup"
OPENSTACK_RULE = "openstack:networking/secGroupRule:SecGroupRule"
GROUP_TYPES = (AWS_GROUP, OPENSTACK_GROUP)
RULE_TYPES = (AWS_INGRESS, AWS_EGRESS, OPENSTACK_RULE)

_AWS_PROTOCOLS = {"-1": "all", "icmpv6": "icmp"}
_OPENSTACK_PROTOCOLS = {"ipv6-icmp": "icmp", "": "all"}


@dataclass(frozen=True, order=True)
class GroupRow:
    role: str
    name: str
    id: str
    description: str


@dataclass(frozen=True, order=True)
class RuleRow:
    group: str  # the role of the group the rule belongs to
    direction: str  # ingress / egress
    family: str  # IPv4, IPv6, or "any" for an AWS group reference
    protocol: str  # tcp, udp, icmp, all
    ports: str  # "5054", "32768-65535", "type 8", "all"
    peer: str  # a CIDR, "group:<role>" for a peer group, or an existing group's id
    description: str
    section: str  # the port document's section heading, once traced to the plan
    line: str  # the port document's line, e.g. "TCP/5058" or "Echo Request", likewise
    resource: str  # the Pulumi resource name, as `pulumi preview` lists it


@dataclass(frozen=True)
class Inventory:
    groups: list[GroupRow]
    rules: list[RuleRow]


def inventory(recording: Recording) -> Inventory:
    groups = [
        _group_row(resource) for resource in recording.resources if resource.type in GROUP_TYPES
    ]
    role_by_id = {group.id: group.role for group in groups}
    rules = [
        _rule_row(resource, role_by_id)
        for resource in recording.resources
        if resource.type in RULE_TYPES
    ]
    return Inventory(groups=sorted(groups), rules=sorted(rules, key=_order))


def _group_row(resource: Registered) -> GroupRow:
    tags = resource.inputs.get("tags") or {}
    if isinstance(tags, list):  # OpenStack tags are "key=value" strings
        tags = dict(tag.split("=", 1) for tag in tags if "=" in tag)
    network = tags.get("clearwater:network")
    role = str(tags.get("clearwater:role", "?"))
    return GroupRow(
        role=role if network is None else f"{role}-{network}",  # the plan's group key
        name=str(resource.inputs.get("name") or resource.inputs.get("namePrefix", "")),
        id=resource.id,
        description=str(resource.inputs.get("description", "")),
    )


def _peer(group_id: str | None, cidr: str | None, role_by_id: dict[str, str]) -> str:
    if group_id:
        return f"group:{role_by_id[group_id]}" if group_id in role_by_id else group_id
    return cidr or "any"


def _number(value: object) -> int | None:
    # Numbers come back from the engine's wire format as floats.
    return None if value is None else int(value)  # type: ignore[call-overload]


def _ports(protocol: str, low: object, high: object) -> str:
    first, last = _number(low), _number(high)
    if protocol == "all":
        return "all"
    if protocol == "icmp":
        return f"type {first}"
    return str(first) if last in (None, first) else f"{first}-{last}"


def _order(rule: RuleRow) -> tuple[object, ...]:
    """Group by group, ingress before egress, then by protocol and port, like the doc."""
    digits = "".join(c if c.isdigit() else " " for c in rule.ports).split()
    return (
        rule.group,
        rule.direction != "ingress",
        rule.protocol,
        [int(d) for d in digits],
        rule.family,
        rule.peer,
    )


def _rule_row(resource: Registered, role_by_id: dict[str, str]) -> RuleRow:
    inputs = resource.inputs
    group = role_by_id.get(str(inputs.get("securityGroupId")), "?")
    if resource.type == OPENSTACK_RULE:
        protocol = str(inputs.get("protocol") or "")
        protocol = _OPENSTACK_PROTOCOLS.get(protocol, protocol)
        return RuleRow(
            group=group,
            direction=str(inputs["direction"]),
            family=str(inputs["ethertype"]),
            protocol=protocol,
            ports=_ports(protocol, inputs.get("portRangeMin"), inputs.get("portRangeMax")),
            peer=_peer(inputs.get("remoteGroupId"), inputs.get("remoteIpPrefix"), role_by_id),
            description=str(inputs.get("description", "")),
            section="",
            line="",
            resource=resource.name,
        )
    ip_protocol = str(inputs["ipProtocol"])
    protocol = _AWS_PROTOCOLS.get(ip_protocol, ip_protocol)
    family = "IPv6" if inputs.get("cidrIpv6") or ip_protocol == "icmpv6" else "IPv4"
    if inputs.get("referencedSecurityGroupId") or inputs.get("prefixListId"):
        family = "any"
    return RuleRow(
        group=group,
        direction="ingress" if resource.type == AWS_INGRESS else "egress",
        family=family,
        protocol=protocol,
        ports=_ports(
            protocol, inputs.get("fromPort"), None if protocol == "icmp" else inputs.get("toPort")
        ),
        peer=_peer(
            inputs.get("referencedSecurityGroupId"),
            inputs.get("cidrIpv4") or inputs.get("cidrIpv6") or inputs.get("prefixListId"),
            role_by_id,
        ),
        description=str(inputs.get("description", "")),
        section="",
        line="",
        resource=resource.name,
    )
