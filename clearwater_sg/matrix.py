"""Clearwater's port matrix as data, written to read like its port document.

Every entry is one port line of ``Clearwater_IP_Port_Usage.rst`` (shared/reference),
under the section heading it appears in, with the service name the document gives it,
who the document says may reach it, and the condition the document attaches ("if using
an HSS", "if including a Memento AS", "if your deployment uses SNMP"). A port line that
the document opens to different audiences under different conditions (Vellum's
TCP/9160) is written as one entry per condition.

Nothing here knows about clouds: the planner turns these entries into rules.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Self

from pydantic import BaseModel, ConfigDict, model_validator

from clearwater_sg.roles import Role


class Protocol(StrEnum):
    TCP = "tcp"
    UDP = "udp"
    ICMP = "icmp"


class Audience(StrEnum):
    """Sources that are not a Clearwater role: the operator says who they are."""

    WORLD = "world"  # `worldCidrs`
    SSH_SOURCES = "ssh-sources"  # `sshSources`
    SNMP_SOURCES = "snmp-sources"  # `snmpSources`

    @property
    def label(self) -> str:
        return _AUDIENCE_LABELS[self]


_AUDIENCE_LABELS = {
    Audience.WORLD: "the world",
    Audience.SSH_SOURCES: "SSH sources",
    Audience.SNMP_SOURCES: "SNMP pollers",
}


class Condition(StrEnum):
    """A deployment choice the document makes a port depend on."""

    MEMENTO = "memento"  # "if including a Memento AS"
    HSS = "hss"  # "if using an HSS"
    SNMP = "snmp"  # "If your deployment uses SNMP monitoring software"


Source = Role | Audience

# ICMP messages the document names, by address family. IPv6 moved IPv4's
# "fragmentation needed" (a Destination Unreachable code) into its own Packet Too Big
# message; path-MTU discovery breaks without it, so it belongs to the same doc line.
ICMP_TYPES: dict[str, dict[int, tuple[int, ...]]] = {
    "Echo Request": {4: (8,), 6: (128,)},
    "Echo Reply": {4: (0,), 6: (129,)},
    "Destination Unreachable": {4: (3,), 6: (1, 2)},
}
_ICMPV6_PACKET_TOO_BIG = 2

_PORT_LINE = re.compile(r"^(TCP|UDP)/(\d+)(?:-(\d+))?$")


class Flow(BaseModel):
    """One port line of the document: what opens on `group`, and to whom."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    section: str
    group: Role
    line: str  # exactly as the document writes it: "TCP/5058", "Echo Request"
    service: str
    sources: tuple[Source, ...]
    condition: Condition | None = None

    @model_validator(mode="after")
    def _line_is_understood(self) -> Self:
        if self.line not in ICMP_TYPES and not _PORT_LINE.match(self.line):
            raise ValueError(f"cannot read port line {self.line!r}")
        if not self.sources:
            raise ValueError(f"{self.section} {self.line}: no sources")
        return self

    @property
    def protocol(self) -> Protocol:
        match = _PORT_LINE.match(self.line)
        return Protocol(match.group(1).lower()) if match else Protocol.ICMP

    @property
    def port_range(self) -> tuple[int, int]:
        """First and last port of a TCP/UDP line."""
        match = _PORT_LINE.match(self.line)
        if match is None:
            raise ValueError(f"{self.line!r} is not a port line")
        first = int(match.group(2))
        return first, int(match.group(3) or first)

    def icmp_types(self, family: int) -> tuple[int, ...]:
        return ICMP_TYPES[self.line][family]

    def description(self, source: Source, icmp: tuple[int, int] | None = None) -> str:
        """The rule description a cloud console shows, e.g. 'Chronos from Vellum nodes'.

        `icmp` is (family, type) for ICMP lines, whose rules are per message and family.
        """
        if isinstance(source, Audience) or source is Role.ALL_NODES:
            who = source.label
        elif source is self.group:
            who = f"other {source.label} nodes"
        else:
            who = f"{source.label} nodes"
        what = self.service
        if icmp is not None:
            family, icmp_type = icmp
            message = (
                "Packet Too Big"
                if (family, icmp_type) == (6, _ICMPV6_PACKET_TOO_BIG)
                else self.line
            )
            what = f"ICMP{'v6' if family == 6 else ''} {message}"
        return f"{what} from {who}"


def _lines(
    section: str,
    group: Role,
    service: str,
    lines: tuple[str, ...],
    sources: tuple[Source, ...],
    condition: Condition | None = None,
) -> tuple[Flow, ...]:
    """The port lines under one bullet of the document."""
    return tuple(
        Flow(
            section=section,
            group=group,
            line=line,
            service=service,
            sources=sources,
            condition=condition,
        )
        for line in lines
    )


WORLD = (Audience.WORLD,)
STUN = ("TCP/3478", "UDP/3478")
SIP = ("TCP/5060", "UDP/5060", "TCP/5062")
RTP = ("UDP/32768-65535",)
WEB = ("TCP/80", "TCP/443")

MATRIX: tuple[Flow, ...] = (
    # All nodes
    *_lines(
        "All nodes",
        Role.ALL_NODES,
        "ICMP",
        ("Echo Request", "Echo Reply", "Destination Unreachable"),
        WORLD,
    ),
    *_lines("All nodes", Role.ALL_NODES, "SSH access", ("TCP/22",), (Audience.SSH_SOURCES,)),
    *_lines(
        "All nodes",
        Role.ALL_NODES,
        "SNMP",
        ("UDP/161-162",),
        (Audience.SNMP_SOURCES,),
        Condition.SNMP,
    ),
    *_lines("All nodes", Role.ALL_NODES, "etcd", ("TCP/2380", "TCP/4000"), (Role.ALL_NODES,)),
    # All-in-one
    *_lines("All-in-one", Role.ALL_IN_ONE, "Web UI", WEB, WORLD),
    *_lines("All-in-one", Role.ALL_IN_ONE, "STUN signaling", STUN, WORLD),
    *_lines("All-in-one", Role.ALL_IN_ONE, "SIP signaling", SIP, WORLD),
    *_lines("All-in-one", Role.ALL_IN_ONE, "RTP forwarding", RTP, WORLD),
    # Ellis
    *_lines("Ellis", Role.ELLIS, "Web UI", WEB, WORLD),
    # Bono
    *_lines("Bono", Role.BONO, "STUN signaling", STUN, WORLD),
    *_lines("Bono", Role.BONO, "SIP signaling", SIP, WORLD),
    *_lines("Bono", Role.BONO, "RTP forwarding", RTP, WORLD),
    *_lines("Bono", Role.BONO, "Internal SIP signaling", ("TCP/5058",), (Role.BONO, Role.SPROUT)),
    # Sprout
    *_lines(
        "Sprout", Role.SPROUT, "Internal SIP signaling", ("TCP/5054", "TCP/5052"), (Role.BONO,)
    ),
    *_lines("Sprout", Role.SPROUT, "Chronos", ("TCP/9888",), (Role.VELLUM,)),
    *_lines(
        "Sprout",
        Role.SPROUT,
        "Registration Termination Requests",
        ("TCP/9888",),
        (Role.DIME,),
        Condition.HSS,
    ),
    *_lines(
        "Sprout", Role.SPROUT, "HTTP interface (Memento AS)", ("TCP/443",), WORLD, Condition.MEMENTO
    ),
    # Dime
    *_lines("Dime", Role.DIME, "RESTful interface", ("TCP/8888",), (Role.SPROUT, Role.ELLIS)),
    *_lines("Dime", Role.DIME, "RESTful interface", ("TCP/8889",), (Role.ELLIS,)),
    *_lines(
        "Dime",
        Role.DIME,
        "RESTful interface",
        ("TCP/10888",),
        (Role.SPROUT, Role.BONO, Role.VELLUM),
    ),
    # Homer
    *_lines("Homer", Role.HOMER, "RESTful interface", ("TCP/7888",), (Role.SPROUT, Role.ELLIS)),
    # Vellum
    *_lines("Vellum", Role.VELLUM, "Chronos", ("TCP/7253",), (Role.VELLUM,)),
    *_lines("Vellum", Role.VELLUM, "Memcached", ("TCP/11211",), (Role.VELLUM,)),
    *_lines("Vellum", Role.VELLUM, "Cassandra", ("TCP/7000",), (Role.VELLUM,)),
    *_lines("Vellum", Role.VELLUM, "Chronos", ("TCP/7253",), (Role.SPROUT, Role.DIME)),
    *_lines("Vellum", Role.VELLUM, "Astaire", ("TCP/11311",), (Role.SPROUT, Role.DIME)),
    *_lines("Vellum", Role.VELLUM, "Cassandra", ("TCP/9160",), (Role.HOMER, Role.DIME)),
    *_lines(
        "Vellum",
        Role.VELLUM,
        "Cassandra (Memento AS)",
        ("TCP/9160",),
        (Role.SPROUT,),
        Condition.MEMENTO,
    ),
    # Standalone Application Servers
    *_lines(
        "Standalone Application Servers",
        Role.APP_SERVER,
        "SIP signaling",
        ("TCP/5054",),
        (Role.SPROUT,),
    ),
    *_lines(
        "Standalone Application Servers",
        Role.APP_SERVER,
        "HTTP interface (Memento AS)",
        ("TCP/443",),
        WORLD,
        Condition.MEMENTO,
    ),
)
