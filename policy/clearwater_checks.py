"""The policy pack's checks as plain functions: (resource type, resource props) -> the
violations found, one message each. No Pulumi engine is needed to call them, so the
tests call them directly; `clearwater_pack` wires them into pulumi-policy.

Props arrive as the engine sends them to a policy: camelCase input names (`cidrIpv4`,
`fromPort`, `remoteIpPrefix`, `portRangeMin`), numbers possibly as floats. During
`pulumi preview` a value computed by another resource (a group id) is unknown, and
reading it makes pulumi-policy skip the whole policy; the checks read such values only
when they must, through `_read`.

The internal ports are derived from Clearwater's port matrix, never written down here;
the type tokens and protocol spellings are `clearwater_sg.resources`'. What counts as "the
world" is `clearwater_sg.world`'s answer: any CIDR that includes a globally reachable
address, whatever its prefix length. The pack reads props itself instead of through the
backends' `Permission` readers: it judges every resource of a stack, also those the
program never registers (inline ingress blocks, the older `aws:ec2/securityGroupRule`,
a VPC's default group) and values unknown during preview, which those readers refuse.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pulumi_policy import proxy
from pulumi_policy.proxy import UnknownValueError

from clearwater_sg.matrix import (
    BEYOND,
    MATRIX,
    WORLD_FACING_PROFILES,
    Audience,
    doc_ports,
    internal_ports,
)
from clearwater_sg.resources import (
    AWS_EGRESS,
    AWS_GROUP,
    AWS_INGRESS,
    OPENSTACK_RULE,
    protocol_name,
)
from clearwater_sg.world import internet_block, read_cidr

Props = Mapping[str, Any]

# Types the program never registers but a stack may hold, and the checks read too.
AWS_DEFAULT_GROUP = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"  # a VPC's own group
AWS_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"  # the older one-resource-per-rule
RULE_TYPES = (AWS_INGRESS, AWS_EGRESS, AWS_RULE, OPENSTACK_RULE)

_ALL_PORTS = (0, 65535)


class _Unknown:
    """A value that exists only after the update (`pulumi preview` cannot know it)."""


UNKNOWN = _Unknown()
# What an unknown value looks like when it is not read through pulumi-policy's proxy.
_UNKNOWN_SENTINELS = frozenset(
    (
        proxy.UNKNOWN_STRING_VALUE,
        proxy.UNKNOWN_NUMBER_VALUE,
        proxy.UNKNOWN_BOOLEAN_VALUE,
        proxy.UNKNOWN_ARRAY_VALUE,
        proxy.UNKNOWN_OBJECT_VALUE,
    )
)


def _read(props: Props, key: str) -> Any:
    """props[key]; None when not set; UNKNOWN when set but not yet known."""
    if key not in list(props):  # iterating keys reads no value
        return None
    try:
        return props[key]
    except UnknownValueError:
        return UNKNOWN


# --- What the port document says: clearwater_sg.matrix's reading of it

INTERNAL_PORTS = internal_ports()
# Management ports: SSH and SNMP (the document opens SSH to the world by default, so a
# world-open one is advised against), and the management HTTP APIs of the management-http
# profile (Sprout TCP/9886, Dime TCP/8886), which no line opens to the world: forbidden.
MANAGEMENT_PORTS = doc_ports(
    lambda sources: any(s in (Audience.SSH_SOURCES, Audience.SNMP_SOURCES) for s in sources),
    (*MATRIX, *BEYOND),
)
MANAGEMENT_API_PORTS = doc_ports(
    lambda sources: Audience.MANAGEMENT_SOURCES in sources, (*MATRIX, *BEYOND)
)


# --- Reading ingress permissions from each resource type ---------------------------------


@dataclass(frozen=True)
class Opening:
    """One ingress permission: a protocol and port range, open to the world via `via`."""

    protocol: str  # tcp, udp, icmp or all
    first: int
    last: int
    via: str  # the CIDR (or "any source") that makes it world-reachable, and how

    def covers(self, protocol: str, port: int) -> bool:
        return self.protocol in (protocol, "all") and self.first <= port <= self.last


def _world_via(cidr: object) -> str | None:
    """How a source CIDR reaches the world, for a message: the CIDR, and when that is not
    plain, the internet addresses it includes; None when it includes none."""
    if not isinstance(cidr, str) or not cidr or cidr in _UNKNOWN_SENTINELS:
        return None  # absent, or unknown during preview: not provably the world
    network = read_cidr(cidr)
    if network is None:
        return f"{cidr!r} (not a CIDR the policy pack can read, so counted as the world)"
    block = internet_block(network)
    if block is None:
        return None
    notes = [] if cidr == str(network) else [f"that is, {network}"]
    if network.prefixlen and block != network:
        notes.append(f"which includes internet addresses such as {block}")
    return f"{cidr} ({', '.join(notes)})" if notes else cidr


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
    name = protocol_name(protocol)
    first, last = _port_range(name, low, high)
    return [Opening(name, first, last, source) for source in sources]


def _world(cidrs: list[object]) -> list[str]:
    return [via for cidr in cidrs if (via := _world_via(cidr)) is not None]


def _list(value: object) -> list[Any]:
    """The known items of a list property. pulumi-policy hands lists to a policy as a
    read-only Sequence, not a list; an item unknown during preview is left out."""
    if not isinstance(value, Sequence) or isinstance(value, (str, bytes)):
        return []
    items = []
    for index in range(len(value)):
        try:
            items.append(value[index])
        except UnknownValueError:
            continue
    return [item for item in items if not (isinstance(item, str) and item in _UNKNOWN_SENTINELS)]


def world_openings(resource_type: str, props: Props) -> list[Opening]:
    """The ingress permissions a resource grants to the world: to any source CIDR that
    includes a globally reachable address (`clearwater_sg.world`), or to anyone."""
    if resource_type == AWS_INGRESS:
        cidrs = _world([_read(props, "cidrIpv4"), _read(props, "cidrIpv6")])
        return _openings(
            _read(props, "ipProtocol"), _read(props, "fromPort"), _read(props, "toPort"), cidrs
        )
    if resource_type == AWS_RULE:
        return _aws_block_openings(props) if _read(props, "type") == "ingress" else []
    if resource_type in (AWS_GROUP, AWS_DEFAULT_GROUP):
        blocks = _list(_read(props, "ingress"))
        return [opening for block in blocks for opening in _aws_block_openings(block)]
    if resource_type == OPENSTACK_RULE:
        return _openstack_openings(props)
    return []


def _aws_block_openings(props: Props) -> list[Opening]:
    if not isinstance(props, Mapping):
        return []  # an inline block unknown during preview
    cidrs = _world(_list(_read(props, "cidrBlocks")) + _list(_read(props, "ipv6CidrBlocks")))
    return _openings(
        _read(props, "protocol"), _read(props, "fromPort"), _read(props, "toPort"), cidrs
    )


def _openstack_openings(props: Props) -> list[Opening]:
    if _read(props, "direction") != "ingress":
        return []
    prefix = _read(props, "remoteIpPrefix")
    if prefix not in (None, ""):
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


def internal_port_open_to_world(
    resource_type: str, props: Props, profiles: Iterable[str] = ()
) -> list[str]:
    """Mandatory: no port the document opens only to Clearwater nodes is reachable from
    anywhere; etcd, Cassandra, Chronos and internal SIP trust whoever reaches them.
    `profiles`: the world-facing profiles the stack uses (the pack's config)."""
    ports = internal_ports(frozenset(profiles))
    return [
        f"open to {opening.via}: {reached}; the port document opens these only to "
        "Clearwater nodes, so allow them from the nodes' security group instead"
        for opening in world_openings(resource_type, props)
        if (reached := _exposed(opening, ports))
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


def management_api_open_to_world(resource_type: str, props: Props) -> list[str]:
    """Mandatory: Sprout's and Dime's management HTTP APIs reachable from anywhere."""
    return [
        f"open to {opening.via}: {reached}; allow only your management hosts (managementSources)"
        for opening in world_openings(resource_type, props)
        if (reached := _exposed(opening, MANAGEMENT_API_PORTS))
    ]


_EVERY_PROTOCOL = ("-1", "all")  # AWS's names for every protocol (Neutron: none given)


def allow_all_egress(resource_type: str, props: Props) -> list[str]:
    """Advisory: every protocol allowed out to the world. It is what clouds give a new
    group and what `egress: all` declares; a locked-down network wants each outbound
    flow named instead (clearwater-sg's `egress: restricted`)."""
    if resource_type == AWS_EGRESS and str(_read(props, "ipProtocol")) in _EVERY_PROTOCOL:
        targets = _world([_read(props, "cidrIpv4"), _read(props, "cidrIpv6")])
    elif resource_type == AWS_RULE and _read(props, "type") == "egress":
        targets = _every_protocol_blocks([props])
    elif resource_type in (AWS_GROUP, AWS_DEFAULT_GROUP):
        targets = _every_protocol_blocks(_list(_read(props, "egress")))
    elif resource_type == OPENSTACK_RULE and _read(props, "direction") == "egress":
        prefix = _read(props, "remoteIpPrefix")
        anyone = prefix in (None, "") and _read(props, "remoteGroupId") is None
        every = _read(props, "protocol") in (None, "", "any")
        targets = [] if not every else ["anywhere"] if anyone else _world([prefix])
    else:
        targets = []
    return [
        f"lets every protocol out to {target}; name each outbound flow instead "
        "(clearwater-sg: egress: restricted, with egressDestinations)"
        for target in targets
    ]


def _every_protocol_blocks(blocks: list[Any]) -> list[str]:
    return [
        target
        for block in blocks
        if isinstance(block, Mapping) and str(_read(block, "protocol")) in _EVERY_PROTOCOL
        for target in _world(
            _list(_read(block, "cidrBlocks")) + _list(_read(block, "ipv6CidrBlocks"))
        )
    ]


Check = Callable[..., list[str]]  # (resource type, props, **the policy's config)


@dataclass(frozen=True)
class Policy:
    name: str
    description: str
    mandatory: bool
    check: Check
    # JSON schema of the policy's settings in `--policy-pack-config`, by setting name.
    config: dict[str, dict[str, Any]] | None = None


POLICIES: tuple[Policy, ...] = (
    Policy(
        "clearwater-internal-port-not-world-open",
        "No internal Clearwater port (one the port document opens only to other nodes) "
        "may be reachable from the world: from any CIDR that includes a globally "
        "reachable address (0.0.0.0/1, 8.0.0.0/7 and 2000::/3 as much as 0.0.0.0/0). "
        "A stack that uses a world-facing profile (ut) lists it in this policy's "
        "`profiles` setting.",
        True,
        internal_port_open_to_world,
        {
            "profiles": {
                "type": "array",
                "items": {"type": "string", "enum": list(WORLD_FACING_PROFILES)},
                "default": [],
            }
        },
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
        "management-api-not-world-open",
        "Sprout's and Dime's management HTTP APIs (TCP/9886, TCP/8886) are never reachable "
        "from the world: from any CIDR that includes a globally reachable address.",
        True,
        management_api_open_to_world,
    ),
    Policy(
        "ssh-snmp-not-world-open",
        "SSH and SNMP should not be reachable from the world: from any CIDR that includes "
        "a globally reachable address.",
        False,
        management_port_open_to_world,
    ),
    Policy(
        "egress-not-allow-all",
        "Outbound traffic should be named flow by flow, not every protocol to the world "
        "(clearwater-sg's egress: restricted).",
        False,
        allow_all_egress,
    ),
)


def violations(resource_type: str, props: Props) -> Iterator[tuple[Policy, str]]:
    """Every (policy, message) a resource violates."""
    for policy in POLICIES:
        for message in policy.check(resource_type, props):
            yield policy, message
