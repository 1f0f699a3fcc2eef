"""The policy pack's checks as plain functions: (resource type, resource props) -> the
violations found, one message each. No Pulumi engine is needed to call them, so the
tests call them directly; `clearwater_pack` wires them into pulumi-policy.

Props arrive as the engine sends them to a policy: camelCase input names (`cidrIpv4`,
`fromPort`, `remoteIpPrefix`, `portRangeMin`), numbers possibly as floats. During
`pulumi preview` a value computed by another resource (a group id) is unknown, and
reading it makes pulumi-policy skip the whole policy; the checks read such values only
when they must, through `_read`.

The internal ports are derived from Clearwater's port matrix, never written down here.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pulumi_policy.proxy import UnknownValueError

from clearwater_sg.inventory import AWS_EGRESS, AWS_GROUP, AWS_INGRESS, OPENSTACK_RULE
from clearwater_sg.matrix import MATRIX, Audience

Props = Mapping[str, Any]

AWS_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"  # the older one-resource-per-rule
RULE_TYPES = (AWS_INGRESS, AWS_EGRESS, AWS_RULE, OPENSTACK_RULE)

_ALL_PORTS = (0, 65535)
# Protocol spellings the clouds accept, by what they mean. "all" covers TCP and UDP.
_PROTOCOLS = {
    "tcp": "tcp",
    "6": "tcp",
    "udp": "udp",
    "17": "udp",
    "-1": "all",
    "all": "all",
    "icmp": "icmp",
    "1": "icmp",
    "icmpv6": "icmp",
    "ipv6-icmp": "icmp",
    "58": "icmp",
}


class _Unknown:
    """A value that exists only after the update (`pulumi preview` cannot know it)."""


UNKNOWN = _Unknown()


def _read(props: Props, key: str) -> Any:
    """props[key]; None when not set; UNKNOWN when set but not yet known."""
    if key not in list(props):  # iterating keys reads no value
        return None
    try:
        return props[key]
    except UnknownValueError:
        return UNKNOWN


# --- What the port document says ------------------------------------------------------


def _doc_ports(audiences: Callable[[tuple[object, ...]], bool]) -> dict[tuple[str, int], str]:
    """(protocol, port) -> what the document opens it for, over flows whose sources match."""
    ports: dict[tuple[str, int], set[str]] = {}
    for flow in MATRIX:
        if flow.protocol.value == "icmp" or not audiences(flow.sources):
            continue
        first, last = flow.port_range
        for port in range(first, last + 1):
            ports.setdefault((flow.protocol.value, port), set()).add(
                f"{flow.section}: {flow.service}"
            )
    return {key: "; ".join(sorted(whats)) for key, whats in ports.items()}


def _open_beyond_peers(sources: tuple[object, ...]) -> bool:
    return any(isinstance(source, Audience) for source in sources)


# Ports the document opens only to Clearwater nodes: a port any line also opens to the
# world, SSH sources or SNMP pollers is not internal.
_EXPOSED = _doc_ports(_open_beyond_peers)
INTERNAL_PORTS = {
    key: what
    for key, what in _doc_ports(lambda sources: not _open_beyond_peers(sources)).items()
    if key not in _EXPOSED
}
# Management ports: the document's SSH and SNMP lines.
MANAGEMENT_PORTS = _doc_ports(
    lambda sources: any(s in (Audience.SSH_SOURCES, Audience.SNMP_SOURCES) for s in sources)
)


# --- Reading ingress permissions from each resource type ---------------------------------


@dataclass(frozen=True)
class Opening:
    """One ingress permission: a protocol and port range, open to the world via `via`."""

    protocol: str  # tcp, udp, icmp or all
    first: int
    last: int
    via: str  # the CIDR (or "any source") that makes it world-reachable

    def covers(self, protocol: str, port: int) -> bool:
        return self.protocol in (protocol, "all") and self.first <= port <= self.last


def _is_world(cidr: object) -> bool:
    if not isinstance(cidr, str):
        return False  # absent, or unknown during preview: not provably the world
    try:
        return ipaddress.ip_network(cidr, strict=False).prefixlen == 0
    except ValueError:
        return False


def _protocol(value: object) -> str:
    if value in (None, ""):
        return "all"  # Neutron: no protocol means every protocol
    return _PROTOCOLS.get(str(value).lower(), str(value).lower())


def _port_range(protocol: str, low: object, high: object) -> tuple[int, int]:
    if protocol == "all" or not isinstance(low, (int, float)):
        return _ALL_PORTS  # unset ports mean every port
    first = int(low)
    last = int(high) if isinstance(high, (int, float)) else first
    if (first, last) == (-1, -1):
        return _ALL_PORTS
    return first, last


def _openings(protocol: object, low: object, high: object, sources: list[str]) -> list[Opening]:
    """One opening per world-reaching source."""
    name = _protocol(protocol)
    first, last = _port_range(name, low, high)
    return [Opening(name, first, last, source) for source in sources]


def _world(cidrs: list[object]) -> list[str]:
    return [str(cidr) for cidr in cidrs if _is_world(cidr)]


def _list(value: object) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple)) else []


def world_openings(resource_type: str, props: Props) -> list[Opening]:
    """The ingress permissions a resource grants to 0.0.0.0/0 or ::/0."""
    if resource_type == AWS_INGRESS:
        cidrs = _world([_read(props, "cidrIpv4"), _read(props, "cidrIpv6")])
        return _openings(
            _read(props, "ipProtocol"), _read(props, "fromPort"), _read(props, "toPort"), cidrs
        )
    if resource_type == AWS_RULE:
        return _aws_block_openings(props) if _read(props, "type") == "ingress" else []
    if resource_type == AWS_GROUP:
        blocks = _list(_read(props, "ingress"))
        return [opening for block in blocks for opening in _aws_block_openings(block)]
    if resource_type == OPENSTACK_RULE:
        return _openstack_openings(props)
    return []


def _aws_block_openings(props: Props) -> list[Opening]:
    cidrs = _world(_list(_read(props, "cidrBlocks")) + _list(_read(props, "ipv6CidrBlocks")))
    return _openings(
        _read(props, "protocol"), _read(props, "fromPort"), _read(props, "toPort"), cidrs
    )


def _openstack_openings(props: Props) -> list[Opening]:
    if _read(props, "direction") != "ingress":
        return []
    prefix = _read(props, "remoteIpPrefix")
    if prefix is not None:
        sources = _world([prefix])
    elif any(_read(props, key) is not None for key in ("remoteGroupId", "remoteAddressGroupId")):
        sources = []  # a group's members (its id may be unknown until the update)
    else:
        # Neutron: a rule with neither a remote prefix nor a remote group admits anyone.
        sources = ["any source (no remote prefix or group)"]
    return _openings(
        _read(props, "protocol"),
        _read(props, "portRangeMin"),
        _read(props, "portRangeMax"),
        sources,
    )


# --- The checks -------------------------------------------------------------------------


def _exposed(opening: Opening, ports: dict[tuple[str, int], str]) -> str:
    """Which of `ports` the opening reaches, as "TCP/5058 (Bono: ...), ..." ("" if none)."""
    return ", ".join(
        f"{protocol.upper()}/{port} ({what})"
        for (protocol, port), what in sorted(ports.items())
        if opening.covers(protocol, port)
    )


def internal_port_open_to_world(resource_type: str, props: Props) -> list[str]:
    """Mandatory: no port the document opens only to Clearwater nodes is reachable from
    anywhere; etcd, Cassandra, Chronos and internal SIP trust whoever reaches them."""
    return [
        f"open to {opening.via}: {reached}; the port document opens these only to "
        "Clearwater nodes, so allow them from the nodes' security group instead"
        for opening in world_openings(resource_type, props)
        if (reached := _exposed(opening, INTERNAL_PORTS))
    ]


def rule_without_description(resource_type: str, props: Props) -> list[str]:
    """Mandatory: every rule says why it exists, so a console or a diff explains it."""
    if resource_type not in RULE_TYPES:
        return []
    description = _read(props, "description")
    if description is UNKNOWN or (isinstance(description, str) and description.strip()):
        return []
    return ["the rule has no description; say which flow it allows and from whom"]


def inline_security_group_rules(resource_type: str, props: Props) -> list[str]:
    """Mandatory: no `ingress`/`egress` blocks inside aws.ec2.SecurityGroup. Inline rules
    fight standalone rule resources over the same group, and changing one rewrites all."""
    if resource_type != AWS_GROUP:
        return []
    return [
        f"the security group declares inline {field} rules; declare each one as an "
        "aws.vpc.SecurityGroupIngressRule / SecurityGroupEgressRule resource instead"
        for field in ("ingress", "egress")
        if _list(_read(props, field))
    ]


def management_port_open_to_world(resource_type: str, props: Props) -> list[str]:
    """Advisory: SSH or SNMP reachable from anywhere. The document allows SSH "to the
    world", but a production stack should narrow sshSources and snmpSources."""
    return [
        f"open to {opening.via}: {reached}; consider allowing only your bastion or "
        "pollers (sshSources / snmpSources)"
        for opening in world_openings(resource_type, props)
        if (reached := _exposed(opening, MANAGEMENT_PORTS))
    ]


Check = Callable[[str, Props], list[str]]


@dataclass(frozen=True)
class Policy:
    name: str
    description: str
    mandatory: bool
    check: Check


POLICIES: tuple[Policy, ...] = (
    Policy(
        "clearwater-internal-port-not-world-open",
        "No internal Clearwater port (one the port document opens only to other nodes) "
        "may be reachable from 0.0.0.0/0 or ::/0.",
        True,
        internal_port_open_to_world,
    ),
    Policy(
        "security-group-rule-has-description",
        "Every security group rule carries a description.",
        True,
        rule_without_description,
    ),
    Policy(
        "no-inline-security-group-rules",
        "aws.ec2.SecurityGroup declares no inline ingress or egress rules.",
        True,
        inline_security_group_rules,
    ),
    Policy(
        "ssh-snmp-not-world-open",
        "SSH and SNMP should not be reachable from 0.0.0.0/0 or ::/0.",
        False,
        management_port_open_to_world,
    ),
)


def violations(resource_type: str, props: Props) -> Iterator[tuple[Policy, str]]:
    """Every (policy, message) a resource violates."""
    for policy in POLICIES:
        for message in policy.check(resource_type, props):
            yield policy, message
