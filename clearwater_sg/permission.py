"""What one cloud rule lets through: the one shape in which a planned rule, the program's
registrations and a live cloud's rules are compared.

A permission is the group it belongs to, its direction, address family, protocol, ports
(or ICMP type and code) and peer. Names, descriptions and ids play no part in it: a rule
made by hand is recognised as the planned rule it is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from clearwater_sg.matrix import internal_ports
from clearwater_sg.resources import AWS_EGRESS, ICMP_FAMILY, protocol_name, protocol_spelling
from clearwater_sg.types import ANY_ADDRESS
from clearwater_sg.world import reaches_world, read_cidr

if TYPE_CHECKING:
    from clearwater_sg.plan import RuleSpec

ANY_FAMILY = "any"  # an AWS group reference or prefix list: both address families
FAMILY_NAMES = {4: "IPv4", 6: "IPv6"}
EVERY_PORT = 65535  # the last port: a rule without ports reaches up to it
_EC2_ANY = -1  # EC2's "any" ICMP type or code, and "every protocol"


@dataclass(frozen=True)
class Addresses:
    cidr: str  # normalised: host bits cleared, IPv6 compressed; or as written if unreadable

    @classmethod
    def of(cls, cidr: str) -> Addresses:
        network = read_cidr(cidr)
        return cls(cidr if network is None else str(network))


@dataclass(frozen=True)
class PeerGroup:
    key: str  # a group of this deployment, by its group key


@dataclass(frozen=True)
class OutsideGroup:
    id: str  # a group outside the deployment (a bastion's, a poller's), by cloud id


@dataclass(frozen=True)
class PrefixList:
    id: str  # an AWS managed prefix list


@dataclass(frozen=True)
class AddressGroup:
    id: str  # a Neutron address group (only ever read from a live cloud)


Peer = Addresses | PeerGroup | OutsideGroup | PrefixList | AddressGroup


def peer_text(peer: Peer, prose: bool = False) -> str:
    """A peer in a table cell (a CIDR, `group:<key>`, an id), or in a sentence."""
    match peer:
        case Addresses(cidr):
            return cidr
        case PeerGroup(key):
            return f"group {key}" if prose else f"group:{key}"
        case OutsideGroup(group_id):
            return f"group {group_id}" if prose else group_id
        case PrefixList(list_id):
            return f"prefix list {list_id}" if prose else list_id
        case AddressGroup(group_id):
            return f"address group {group_id}" if prose else f"address-group:{group_id}"


@dataclass(frozen=True)
class Permission:
    """`low`/`high` are the first and last port, or for ICMP the type and the code;
    None means any."""

    group: str  # the group key of the group the rule belongs to
    direction: str  # ingress / egress
    family: str  # IPv4, IPv6, or ANY_FAMILY
    protocol: str  # tcp, udp, icmp, all, or what the cloud calls another protocol
    low: int | None
    high: int | None
    peer: Peer

    def sort_key(self) -> tuple[str, str, str, str, int, int, str]:
        """An order for reports; a rule without ports (any port, any ICMP type) first."""
        low, high = (-1 if port is None else port for port in (self.low, self.high))
        return (self.group, self.direction, self.family, self.protocol, low, high, self.peer_cell())

    def peer_cell(self) -> str:
        return peer_text(self.peer)

    def ports(self) -> str:
        """ "5054", "32768-65535", "type 8", "all", for tables."""
        if self.protocol == "all" or (self.low is None and self.high is None):
            return "all"
        if self.protocol == "icmp":
            return f"type {self.low}"
        return str(self.low) if self.high in (None, self.low) else f"{self.low}-{self.high}"

    def opens(self, protocol: str, port: int) -> bool:
        """Whether it lets a TCP or UDP port through (every protocol lets every port)."""
        if self.protocol not in (protocol, "all"):
            return False
        low = 0 if self.low is None else self.low
        return low <= port <= (EVERY_PORT if self.high is None else self.high)

    def opens_every_port(self) -> bool:
        """Every protocol, or every port of TCP or UDP (0 and 1 to 65535 alike)."""
        if self.protocol == "all":
            return True
        return self.protocol in ("tcp", "udp") and all(
            self.opens(self.protocol, p) for p in (1, EVERY_PORT)
        )

    def reached(self, ports: Mapping[tuple[str, int], str]) -> str:
        """Which of `ports` (protocol and port -> what listens) it lets through, as
        "TCP/7000 (Vellum: Cassandra), ..." ("" if none)."""
        return ", ".join(
            f"{protocol.upper()}/{port} ({what})"
            for (protocol, port), what in sorted(ports.items())
            if self.opens(protocol, port)
        )

    def describe(self) -> str:
        """`sprout ingress any tcp/5054 from group bono`, for people."""
        if self.protocol == "all":
            what = "all traffic"
        elif self.protocol == "icmp":
            kind = "any type" if self.low is None else f"type {self.low}"
            what = f"icmp {kind}" + ("" if self.high is None else f" code {self.high}")
        elif self.low is None and self.high is None:
            what = f"{self.protocol} any port"
        else:
            what = f"{self.protocol}/{self.ports()}"
        way = "from" if self.direction == "ingress" else "to"
        peer = peer_text(self.peer, prose=True)
        return f"{self.group} {self.direction} {self.family} {what} {way} {peer}"


def planned(rule: RuleSpec, outside_group: str | None = None) -> Permission:
    """What a planned rule permits, before any cloud encodes it: its family (or ANY_FAMILY
    where the rule covers every family in use), its ports as planned (ICMP: the type,
    any code). `outside_group` is the id an outside group's label or id stands for."""
    peer = rule.peer
    resolved: Peer
    if peer.kind == "cidr":
        resolved = Addresses.of(peer.cidr)
    elif peer.kind == "group":
        resolved = PeerGroup(peer.group)
    elif peer.kind == "prefix-list":
        resolved = PrefixList(peer.prefix_list)
    else:
        resolved = OutsideGroup(outside_group if outside_group is not None else peer.ref)
    return Permission(
        group=rule.group,
        direction=rule.direction.value,
        family=ANY_FAMILY if rule.family is None else FAMILY_NAMES[rule.family],
        protocol=rule.protocol,
        low=rule.from_port,
        high=rule.to_port,
        peer=resolved,
    )


def world_reach(peer: Peer, held: Sequence[str] | None, unknown: str) -> list[str]:
    """How a peer reaches the world, one text per way ([] when it does not): addresses by
    what they include (`clearwater_sg.world`), a prefix list or address group by the CIDRs
    it holds (`held`), or, when what it holds cannot be known (`held` None, `unknown`
    says why), as the world; a group's members never."""
    if isinstance(peer, Addresses):
        via = reaches_world(peer.cidr)
        return [via] if via else []
    if not isinstance(peer, (PrefixList, AddressGroup)):
        return []
    what = peer_text(peer, prose=True)
    if held is None:
        return [f"{what} ({unknown}: what it holds cannot be known, so counted as the world)"]
    return [f"{what}, which holds {via}" for cidr in held if (via := reaches_world(cidr))]


def internal_reach(permission: Permission, profiles: frozenset[str] = frozenset()) -> str:
    """What of its ports only Clearwater's own nodes may reach (no line of the document,
    nor of a world-facing `profiles`, opens it to anyone else), as the policy pack reads
    it: "every port", or the internal ports it covers ("TCP/7000 (...)"); "" if none."""
    if permission.opens_every_port():
        return "every port"
    reached = permission.reached(internal_ports(profiles))
    return f"internal port(s) {reached}" if reached else ""


def number(value: object) -> int | None:
    """A port or ICMP type/code from inputs; the engine's wire format makes them floats."""
    return None if value is None else int(value)  # type: ignore[call-overload]


def aws_permission(type_: str, inputs: Mapping[str, Any], keys: Mapping[str, str]) -> Permission:
    """What an `aws.vpc.SecurityGroupIngressRule` / `EgressRule` (`type_`) permits, read
    from its inputs, or from `DescribeSecurityGroupRules`' rule by the same names in
    camelCase; `keys` names the deployment's groups by id (group id -> group key)."""
    ip_protocol = inputs.get("ipProtocol", "-1")
    protocol = protocol_name(ip_protocol)
    implied = ICMP_FAMILY.get(protocol_spelling(ip_protocol))
    ports = (number(inputs.get("fromPort")), number(inputs.get("toPort")))
    low, high = (None, None) if protocol == "all" else ports
    cidr = inputs.get("cidrIpv4") or inputs.get("cidrIpv6")
    group_id = inputs.get("referencedSecurityGroupId")
    peer: Peer
    if cidr:
        peer, family = Addresses.of(cidr), ("IPv6" if ":" in cidr else "IPv4")
    elif group_id:
        peer = PeerGroup(keys[group_id]) if group_id in keys else OutsideGroup(group_id)
        family = implied or ANY_FAMILY  # ICMP from a group: the one family it names
    else:
        peer, family = PrefixList(str(inputs.get("prefixListId"))), implied or ANY_FAMILY
    if implied not in (None, family):
        # ICMP of the other family, which never arrives: it permits nothing the
        # planned rule of this family does, so it must not pass for it.
        protocol = "icmpv4" if implied == "IPv4" else "icmpv6"
    return Permission(
        group=keys[str(inputs["securityGroupId"])],
        direction="egress" if type_ == AWS_EGRESS else "ingress",
        family=family,
        protocol=protocol,
        low=None if low == _EC2_ANY else low,
        high=None if high == _EC2_ANY else high,
        peer=peer,
    )


def neutron_permission(inputs: Mapping[str, Any], keys: Mapping[str, str]) -> Permission:
    """What an `openstack.networking.SecGroupRule` permits, read from its inputs, or
    from a rule as Neutron stores it by the same names in camelCase; `keys` names the
    deployment's groups by id (group id -> group key)."""
    remote_group = inputs.get("remoteGroupId")
    peer: Peer
    if remote_group:
        peer = PeerGroup(keys[remote_group]) if remote_group in keys else OutsideGroup(remote_group)
    elif inputs.get("remoteAddressGroupId"):
        peer = AddressGroup(inputs["remoteAddressGroupId"])
    elif inputs.get("remoteIpPrefix"):
        peer = Addresses.of(inputs["remoteIpPrefix"])
    else:  # no remote: Neutron admits every address of the ethertype
        peer = Addresses(ANY_ADDRESS[4 if inputs["ethertype"] == "IPv4" else 6])
    return Permission(
        group=keys[str(inputs["securityGroupId"])],
        direction=str(inputs["direction"]),
        family=str(inputs["ethertype"]),
        protocol=protocol_name(inputs.get("protocol")),
        # A port or ICMP code of 0 is never sent (gophercloud omits it): Neutron stores "any".
        low=number(inputs.get("portRangeMin")) or None,
        high=number(inputs.get("portRangeMax")) or None,
        peer=peer,
    )
