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


Bullet = (
    tuple[str, str | tuple[str, ...], tuple[Source, ...]]
    | tuple[str, str | tuple[str, ...], tuple[Source, ...], Condition]
)


def _section(section: str, group: Role, bullets: list[Bullet]) -> tuple[Flow, ...]:
    """The port lines of one section: each bullet is (service, lines, sources[, condition]),
    its lines written as the document writes them, several separated by spaces."""
    return tuple(
        Flow(
            section=section,
            group=group,
            line=line,
            service=service,
            sources=sources,
            condition=condition[0] if condition else None,
        )
        for service, lines, sources, *condition in bullets
        for line in (lines.split() if isinstance(lines, str) else lines)
    )


# Short names, so that each bullet of the document is one line of the table below.
ALL_NODES, ALL_IN_ONE, APP_SERVER = Role.ALL_NODES, Role.ALL_IN_ONE, Role.APP_SERVER
ELLIS, BONO, SPROUT, DIME = Role.ELLIS, Role.BONO, Role.SPROUT, Role.DIME
HOMER, VELLUM = Role.HOMER, Role.VELLUM
WORLD, SSH, SNMP = (Audience.WORLD,), (Audience.SSH_SOURCES,), (Audience.SNMP_SOURCES,)
MEMENTO, HSS, IF_SNMP = Condition.MEMENTO, Condition.HSS, Condition.SNMP
ICMP = ("Echo Request", "Echo Reply", "Destination Unreachable")  # ICMP messages

# fmt: off
MATRIX: tuple[Flow, ...] = (
    *_section("All nodes", ALL_NODES, [
        # service                           lines                from                    if
        ("ICMP",                            ICMP,                WORLD),
        ("SSH access",                      "TCP/22",            SSH),
        ("SNMP",                            "UDP/161-162",       SNMP,                   IF_SNMP),
        ("etcd",                            "TCP/2380 TCP/4000", (ALL_NODES,)),
    ]),
    *_section("All-in-one", ALL_IN_ONE, [
        ("Web UI",                          "TCP/80 TCP/443",    WORLD),
        ("STUN signaling",                  "TCP/3478 UDP/3478", WORLD),
        ("SIP signaling",                   "TCP/5060 UDP/5060 TCP/5062", WORLD),
        ("RTP forwarding",                  "UDP/32768-65535",   WORLD),
    ]),
    *_section("Ellis", ELLIS, [
        ("Web UI",                          "TCP/80 TCP/443",    WORLD),
    ]),
    *_section("Bono", BONO, [
        ("STUN signaling",                  "TCP/3478 UDP/3478", WORLD),
        ("SIP signaling",                   "TCP/5060 UDP/5060 TCP/5062", WORLD),
        ("RTP forwarding",                  "UDP/32768-65535",   WORLD),
        ("Internal SIP signaling",          "TCP/5058",          (BONO, SPROUT)),
    ]),
    *_section("Sprout", SPROUT, [
        ("Internal SIP signaling",          "TCP/5054 TCP/5052", (BONO,)),
        ("Chronos",                         "TCP/9888",          (VELLUM,)),
        ("Registration Termination Requests", "TCP/9888",        (DIME,),                HSS),
        ("HTTP interface (Memento AS)",     "TCP/443",           WORLD,                  MEMENTO),
    ]),
    *_section("Dime", DIME, [
        ("RESTful interface",               "TCP/8888",          (SPROUT, ELLIS)),
        ("RESTful interface",               "TCP/8889",          (ELLIS,)),
        ("RESTful interface",               "TCP/10888",         (SPROUT, BONO, VELLUM)),
    ]),
    *_section("Homer", HOMER, [
        ("RESTful interface",               "TCP/7888",          (SPROUT, ELLIS)),
    ]),
    *_section("Vellum", VELLUM, [
        ("Chronos",                         "TCP/7253",          (VELLUM,)),
        ("Memcached",                       "TCP/11211",         (VELLUM,)),
        ("Cassandra",                       "TCP/7000",          (VELLUM,)),
        ("Chronos",                         "TCP/7253",          (SPROUT, DIME)),
        ("Astaire",                         "TCP/11311",         (SPROUT, DIME)),
        ("Cassandra",                       "TCP/9160",          (HOMER, DIME)),
        ("Cassandra (Memento AS)",          "TCP/9160",          (SPROUT,),              MEMENTO),
    ]),
    *_section("Standalone Application Servers", APP_SERVER, [
        ("SIP signaling",                   "TCP/5054",          (SPROUT,)),
        ("HTTP interface (Memento AS)",     "TCP/443",           WORLD,                  MEMENTO),
    ]),
)
# fmt: on
