"""The policy pack's checks as plain functions: (resource type, resource props) -> the
violations found, one message each. No Pulumi engine is needed to call them, so the
tests call them directly; `clearwater_pack` wires them into pulumi-policy.

Props arrive as the engine sends them to a policy: camelCase input names (`cidrIpv4`,
`fromPort`, `remoteIpPrefix`, `portRangeMin`), numbers possibly as floats. During
`pulumi preview` a value computed by another resource (a group id) is unknown, and
reading it makes pulumi-policy skip the whole policy; the checks read such values only
when they must, through `prop_value`.

One reading of what a rule permits, the program's own: each rule a resource declares
(an `aws.vpc` rule, each source of the older `aws:ec2/securityGroupRule` or of an inline
block of `aws.ec2.SecurityGroup` or a VPC's default group, a Neutron rule) is read by
`clearwater_sg.permission`'s readers, which read protocols as the clouds do
(`clearwater_sg.resources`: "06" is TCP); the internal ports are derived from
Clearwater's port matrix; what counts as "the world" is `clearwater_sg.world`'s answer:
any CIDR that includes a globally reachable address, whatever its prefix length.

A rule whose peer is a managed prefix list or a Neutron address group permits what that
holds: one resource alone cannot say, so those peers are judged with the whole stack in
view (`follow`), and one the stack does not define counts as the world.
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
from clearwater_sg.permission import (
    EVERY_PORT,
    Addresses,
    AddressGroup,
    Permission,
    PrefixList,
    aws_permission,
    neutron_permission,
    world_reach,
)
from clearwater_sg.resources import (
    AWS_EGRESS,
    AWS_GROUP,
    AWS_INGRESS,
    OPENSTACK_RULE,
    protocol_refusal,
)
from clearwater_sg.world import reaches_world

Props = Mapping[str, Any]

# Types the program never registers but a stack may hold, and the checks read too.
AWS_DEFAULT_GROUP = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"  # a VPC's own group
AWS_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"  # the older one-resource-per-rule
RULE_TYPES = (AWS_INGRESS, AWS_EGRESS, AWS_RULE, OPENSTACK_RULE)


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


def prop_value(props: Props, key: str) -> Any:
    """props[key]; None when not set; UNKNOWN when set but not yet known."""
    if key not in list(props):  # iterating keys reads no value
        return None
    try:
        value = props[key]
    except UnknownValueError:
        return UNKNOWN
    return UNKNOWN if isinstance(value, str) and value in _UNKNOWN_SENTINELS else value


def prop_items(value: object, unknown: object = None) -> list[Any]:
    """The items of a list property. pulumi-policy hands lists to a policy as a
    read-only Sequence, not a list; an item unknown during preview is left out, or
    stands as `unknown` when that is given."""
    if not isinstance(value, Sequence) or isinstance(value, (str, bytes)):
        return []
    items = []
    for index in range(len(value)):
        try:
            item = value[index]
        except UnknownValueError:
            item = UNKNOWN
        if isinstance(item, str) and item in _UNKNOWN_SENTINELS:
            item = UNKNOWN
        if item is not UNKNOWN or unknown is not None:
            items.append(unknown if item is UNKNOWN else item)
    return items


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


# --- Reading each rule a resource declares ----------------------------------------------


@dataclass(frozen=True)
class Declared:
    """One rule a resource declares, read as `clearwater_sg.permission` reads it, with its
    peer as written (for messages) and the property it is written in (whose dependencies
    name the resource a prefix list or address group comes from)."""

    permission: Permission
    written: str | None  # None: a Neutron rule with no remote, which admits anyone
    prop: str


class _AnyId(dict[str, str]):
    """The readers name a rule's groups by key; the checks need no group: any id will do."""

    def __missing__(self, key: str) -> str:
        return key


_IDS = _AnyId()
# Where each AWS source is written: (the source's property, the aws.vpc input it is).
_AWS_SOURCES = (
    ("cidrIpv4", "cidrIpv4"),
    ("cidrIpv6", "cidrIpv6"),
    ("prefixListId", "prefixListId"),
    ("referencedSecurityGroupId", "referencedSecurityGroupId"),
)
# The same in an inline block or an aws:ec2/securityGroupRule, as lists.
_BLOCK_SOURCES = (
    ("cidrBlocks", "cidrIpv4"),
    ("ipv6CidrBlocks", "cidrIpv6"),
    ("prefixListIds", "prefixListId"),
    ("securityGroups", "referencedSecurityGroupId"),
)
_REFERENCES = ("prefixListId", "remoteAddressGroupId")  # peers known only after an update
_ANYONE = "any source (no remote prefix or group: Neutron admits every address)"
_LATER = "(known after the update)"


def _known(value: object) -> object:
    """A port or protocol as the readers take it: an unknown port is any port."""
    return None if value is UNKNOWN else value


def _aws(
    type_: str, head: Mapping[str, object], sources: Iterable[tuple[str, str, object]]
) -> list[Declared]:
    """Each source (its property, its aws.vpc input, its value) of an AWS rule of
    protocol and ports `head`, read as an aws.vpc rule of `type_`."""
    if head.get("ipProtocol") is UNKNOWN:
        return []  # a protocol computed by another resource: judged once it is known
    declared = []
    for prop, name, value in sources:
        if value is UNKNOWN and name not in _REFERENCES:
            continue  # a CIDR or group computed by another resource: not provably the world
        written = _LATER if value is UNKNOWN else str(value)
        inputs = {**{k: _known(v) for k, v in head.items()}, name: written}
        declared.append(
            Declared(aws_permission(type_, inputs | {"securityGroupId": ""}, _IDS), written, prop)
        )
    return declared


def _blocks(props: Props, field: str, type_: str) -> list[Declared]:
    """The rules of inline blocks (or of one aws:ec2/securityGroupRule, `props` itself)."""
    blocks = prop_items(prop_value(props, field)) if field else [props]
    declared = []
    for block in blocks:
        if not isinstance(block, Mapping):
            continue  # an inline block unknown during preview
        head = {
            "ipProtocol": prop_value(block, "protocol"),
            "fromPort": prop_value(block, "fromPort"),
            "toPort": prop_value(block, "toPort"),
        }
        sources = [
            (prop, name, value)
            for prop, name in _BLOCK_SOURCES
            for value in prop_items(prop_value(block, prop), UNKNOWN)
        ]
        declared += _aws(
            type_, head, [(field or prop, name, value) for prop, name, value in sources]
        )
    return declared


def declared_rules(resource_type: str, props: Props) -> list[Declared]:
    """Every rule a resource declares, each source on its own."""
    if resource_type in (AWS_INGRESS, AWS_EGRESS):
        head = {key: prop_value(props, key) for key in ("ipProtocol", "fromPort", "toPort")}
        sources = [(prop, name, prop_value(props, prop)) for prop, name in _AWS_SOURCES]
        return _aws(resource_type, head, [s for s in sources if s[2] is not None])
    if resource_type == AWS_RULE:
        type_ = AWS_EGRESS if prop_value(props, "type") == "egress" else AWS_INGRESS
        return _blocks(props, "", type_)
    if resource_type in (AWS_GROUP, AWS_DEFAULT_GROUP):
        return _blocks(props, "ingress", AWS_INGRESS) + _blocks(props, "egress", AWS_EGRESS)
    if resource_type == OPENSTACK_RULE:
        return _neutron(props)
    return []


_NEUTRON_INPUTS = (
    *("direction", "ethertype", "protocol"),
    *("portRangeMin", "portRangeMax", "remoteIpPrefix"),
)


def _neutron(props: Props) -> list[Declared]:
    inputs = {key: prop_value(props, key) for key in _NEUTRON_INPUTS}
    group, address_group = (
        prop_value(props, key) for key in ("remoteGroupId", "remoteAddressGroupId")
    )
    if UNKNOWN in (inputs["protocol"], inputs["direction"]):
        return []  # computed by another resource: judged once known
    if group is not None:
        return []  # a group's members (its id may be unknown until the update)
    written: str | None
    if address_group is not None:
        written = _LATER if address_group is UNKNOWN else str(address_group)
        prop, inputs["remoteAddressGroupId"] = "remoteAddressGroupId", written
    elif inputs["remoteIpPrefix"] is UNKNOWN:
        return []  # a prefix computed by another resource: not provably the world
    else:  # an empty prefix, as none, admits anyone
        prop, written = "remoteIpPrefix", str(inputs["remoteIpPrefix"] or "") or None
    inputs = {key: _known(value) for key, value in inputs.items()}
    inputs["ethertype"] = inputs["ethertype"] or "IPv4"
    permission = neutron_permission(inputs | {"securityGroupId": ""}, _IDS)
    return [Declared(permission, written, prop)]


# --- Who a rule lets in, or out: the world? ---------------------------------------------

# The CIDRs a prefix list or address group a rule names holds, read with the stack in
# view; None when the stack does not say (a list made elsewhere).
Follow = Callable[[Declared], Sequence[str] | None]


def world_reached(rule: Declared, follow: Follow | None) -> list[str]:
    """How a rule's peer reaches the world, one text per way ([] when it does not).

    Without `follow` (one resource alone) a prefix list or address group is not judged;
    with it only those are (the resource's own judgement covers the rest)."""
    peer = rule.permission.peer
    if isinstance(peer, (PrefixList, AddressGroup)):
        return (
            [] if follow is None else world_reach(peer, follow(rule), "not one this stack defines")
        )
    if follow is not None or not isinstance(peer, Addresses):
        return []
    if rule.written is None:
        return [_ANYONE]
    via = reaches_world(rule.written)  # as written: the message shows what it means
    return [via] if via else []


def _openings(
    resource_type: str, props: Props, direction: str, follow: Follow | None
) -> Iterator[tuple[Permission, str]]:
    for rule in declared_rules(resource_type, props):
        if rule.permission.direction == direction:
            for via in world_reached(rule, follow):
                yield rule.permission, via


# --- The checks -------------------------------------------------------------------------


def internal_port_open_to_world(
    resource_type: str, props: Props, profiles: Iterable[str] = (), follow: Follow | None = None
) -> list[str]:
    """Mandatory: no port the document opens only to Clearwater nodes is reachable from
    anywhere; etcd, Cassandra, Chronos and internal SIP trust whoever reaches them.
    `profiles`: the world-facing profiles the stack uses (the pack's config)."""
    ports = internal_ports(frozenset(profiles))
    return [
        f"open to {via}: {reached}; the port document opens these only to "
        "Clearwater nodes, so allow them from the nodes' security group instead"
        for permission, via in _openings(resource_type, props, "ingress", follow)
        if (reached := permission.reached(ports))
    ]


def rule_without_description(resource_type: str, props: Props) -> list[str]:
    """Mandatory: every rule says why it exists, so a console or a diff explains it."""
    if resource_type not in RULE_TYPES:
        return []
    description = prop_value(props, "description")
    if description is UNKNOWN or (isinstance(description, str) and description.strip()):
        return []
    return ["the rule has no description; say which flow it allows and from whom"]


def protocol_not_readable(resource_type: str, props: Props) -> list[str]:
    """Mandatory: every rule's protocol is one the clouds read as written; one they refuse
    or misread ("06": Neutron fails on it) would stop `pulumi up` halfway."""
    if resource_type in (AWS_INGRESS, AWS_EGRESS):
        written = [prop_value(props, "ipProtocol")]
    elif resource_type == AWS_RULE:
        written = [prop_value(props, "protocol")]
    elif resource_type in (AWS_GROUP, AWS_DEFAULT_GROUP):
        blocks = [
            *prop_items(prop_value(props, "ingress")),
            *prop_items(prop_value(props, "egress")),
        ]
        written = [prop_value(b, "protocol") for b in blocks if isinstance(b, Mapping)]
    elif resource_type == OPENSTACK_RULE:
        written = [prop_value(props, "protocol")]
    else:
        written = []
    return [why for value in written if value is not UNKNOWN and (why := protocol_refusal(value))]


def inline_security_group_rules(resource_type: str, props: Props) -> list[str]:
    """Mandatory: no `ingress`/`egress` blocks inside aws.ec2.SecurityGroup. Inline rules
    fight standalone rule resources over the same group, and changing one rewrites all."""
    if resource_type != AWS_GROUP:
        return []
    return [
        f"the security group declares inline {field} rules; declare each one as an "
        "aws.vpc.SecurityGroupIngressRule / SecurityGroupEgressRule resource instead"
        for field in ("ingress", "egress")
        if prop_items(prop_value(props, field))
    ]


def management_port_open_to_world(
    resource_type: str, props: Props, follow: Follow | None = None
) -> list[str]:
    """Advisory: SSH or SNMP reachable from anywhere. The document allows SSH "to the
    world", but a production stack should narrow sshSources and snmpSources."""
    return [
        f"open to {via}: {reached}; consider allowing only your bastion or "
        "pollers (sshSources / snmpSources)"
        for permission, via in _openings(resource_type, props, "ingress", follow)
        if (reached := permission.reached(MANAGEMENT_PORTS))
    ]


def management_api_open_to_world(
    resource_type: str, props: Props, follow: Follow | None = None
) -> list[str]:
    """Mandatory: Sprout's and Dime's management HTTP APIs reachable from anywhere."""
    return [
        f"open to {via}: {reached}; allow only your management hosts (managementSources)"
        for permission, via in _openings(resource_type, props, "ingress", follow)
        if (reached := permission.reached(MANAGEMENT_API_PORTS))
    ]


def allow_all_egress(resource_type: str, props: Props, follow: Follow | None = None) -> list[str]:
    """Advisory: every protocol, or every port of TCP or UDP, allowed out to the world.
    Every protocol is what clouds give a new group and what `egress: all` declares; a
    locked-down network wants each outbound flow named instead (clearwater-sg's
    `egress: restricted`)."""
    return [
        f"lets {_everything(permission)} out to {via}; name each outbound flow instead "
        "(clearwater-sg: egress: restricted, with egressDestinations)"
        for permission, via in _openings(resource_type, props, "egress", follow)
        if permission.opens_every_port()
    ]


def _everything(permission: Permission) -> str:
    if permission.protocol == "all":
        return "every protocol"
    return f"every {permission.protocol.upper()} port (1-{EVERY_PORT})"


Check = Callable[..., list[str]]  # (resource type, props, **the policy's config)


@dataclass(frozen=True)
class Policy:
    name: str
    description: str
    mandatory: bool
    check: Check
    # JSON schema of the policy's settings in `--policy-pack-config`, by setting name.
    config: dict[str, dict[str, Any]] | None = None
    # Judges peers (a CIDR, a prefix list, an address group): also run with the stack
    # in view, where a rule's prefix list or address group is followed (`follow`).
    follows: bool = False


POLICIES: tuple[Policy, ...] = (
    Policy(
        "clearwater-internal-port-not-world-open",
        "No internal Clearwater port (one the port document opens only to other nodes) "
        "may be reachable from the world: from any CIDR that includes a globally "
        "reachable address (0.0.0.0/1, 8.0.0.0/7 and 2000::/3 as much as 0.0.0.0/0), "
        "or from a prefix list or address group that holds one (or is not defined in "
        "the stack). A stack that uses a world-facing profile (ut) lists it in this "
        "policy's `profiles` setting.",
        True,
        internal_port_open_to_world,
        {
            "profiles": {
                "type": "array",
                "items": {"type": "string", "enum": list(WORLD_FACING_PROFILES)},
                "default": [],
            }
        },
        follows=True,
    ),
    Policy(
        "security-group-rule-has-description",
        "Every security group rule carries a description.",
        True,
        rule_without_description,
    ),
    Policy(
        "security-group-rule-protocol-readable",
        "Every security group rule's protocol is a name the clouds accept or a number "
        "0-255 written plainly: Neutron fails halfway through `pulumi up` on one such as "
        '"06".',
        True,
        protocol_not_readable,
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
        "from the world: from any CIDR that includes a globally reachable address, or a "
        "prefix list or address group that holds one.",
        True,
        management_api_open_to_world,
        follows=True,
    ),
    Policy(
        "ssh-snmp-not-world-open",
        "SSH and SNMP should not be reachable from the world: from any CIDR that includes "
        "a globally reachable address, or a prefix list or address group that holds one.",
        False,
        management_port_open_to_world,
        follows=True,
    ),
    Policy(
        "egress-not-allow-all",
        "Outbound traffic should be named flow by flow, not every protocol, nor every port "
        "of TCP or UDP, to the world (clearwater-sg's egress: restricted).",
        False,
        allow_all_egress,
        follows=True,
    ),
)


def violations(resource_type: str, props: Props) -> Iterator[tuple[Policy, str]]:
    """Every (policy, message) a resource violates, judged alone."""
    for policy in POLICIES:
        for message in policy.check(resource_type, props):
            yield policy, message
