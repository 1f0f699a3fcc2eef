"""What one cloud rule lets through: the one shape in which a planned rule, the program's
registrations and a live cloud's rules are compared.

A permission is the group it belongs to, its direction, address family, protocol, ports
(or ICMP type and code) and peer. Names, descriptions and ids play no part in it: a rule
made by hand is recognised as the planned rule it is.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from clearwater_sg.plan import RuleSpec

ANY_FAMILY = "any"  # an AWS group reference or prefix list: both address families
FAMILY_NAMES = {4: "IPv4", 6: "IPv6"}


@dataclass(frozen=True)
class Addresses:
    cidr: str  # normalised: host bits cleared, IPv6 compressed

    @classmethod
    def of(cls, cidr: str) -> Addresses:
        return cls(str(ipaddress.ip_network(cidr, strict=False)))


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
