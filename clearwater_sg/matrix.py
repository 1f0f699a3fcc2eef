"""Clearwater's port matrix as data, written to read like its port document.

Every entry is one port line of ``Clearwater_IP_Port_Usage.rst`` (shared/reference),
under the section heading it appears in, with the service name the document gives it,
who the document says may reach it, and the condition the document attaches ("if using
an HSS", "if including a Memento AS", "if your deployment uses SNMP"). A port line that
the document opens to different audiences under different conditions (Vellum's
TCP/9160) is written as one entry per condition.

`BEYOND` holds the flows real deployments need that the document leaves out: each is
opt-in (a profile, a peer site) and names the repository and file it comes from, where
document flows name their section. Every flow also says which network Clearwater uses
for it when a node has a management and a signaling network.

Nothing here knows about clouds: the planner turns these entries into rules.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
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
    MANAGEMENT_SOURCES = "management-sources"  # `managementSources`
    PEER_SITE = "peer-site"  # each site of `peerSites`

    @property
    def label(self) -> str:
        return _AUDIENCE_LABELS[self]


_AUDIENCE_LABELS = {
    Audience.WORLD: "the world",
    Audience.SSH_SOURCES: "SSH sources",
    Audience.SNMP_SOURCES: "SNMP pollers",
    Audience.MANAGEMENT_SOURCES: "management hosts",
    Audience.PEER_SITE: "the peer site",
}


class Condition(StrEnum):
    """A deployment choice the document makes a port depend on."""

    MEMENTO = "memento"  # "if including a Memento AS"
    HSS = "hss"  # "if using an HSS"
    SNMP = "snmp"  # "If your deployment uses SNMP monitoring software"
    REPLICATE_TIMERS = "replicate-timers"  # `replicateTimersAcrossSites` (not the document's)


class Profile(StrEnum):
    """A named set of flows beyond the document, which `profiles` turns on."""

    SPROUT_PEERING = "sprout-peering"
    RESTUND = "restund"
    UT = "ut"
    MANAGEMENT_HTTP = "management-http"
    TRUSTED_APPLICATION_SERVERS = "trusted-application-servers"


class FlowNetwork(StrEnum):
    """The network Clearwater uses for a flow, with `networks: split`."""

    MANAGEMENT = "management"
    SIGNALING = "signaling"
    BOTH = "both"  # ICMP: a node answers on both networks


Source = Role | Audience
DOCUMENT = "Clearwater_IP_Port_Usage.rst"

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


def _port_line(line: str) -> tuple[Protocol, int, int] | None:
    """'TCP/5054' -> (tcp, 5054, 5054), 'UDP/32768-65535' -> (udp, 32768, 65535); None
    for a line that names no ports (an ICMP message)."""
    match = _PORT_LINE.match(line)
    if match is None:
        return None
    first = int(match.group(2))
    return Protocol(match.group(1).lower()), first, int(match.group(3) or first)


class Flow(BaseModel):
    """One port line of the document: what opens on `group`, and to whom."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    section: str  # the document's section, or what adds the flow ("Profile restund")
    group: Role
    line: str  # exactly as the document writes it: "TCP/5058", "Echo Request"
    service: str
    sources: tuple[Source, ...]
    condition: Condition | Profile | None = None
    network: FlowNetwork
    origin: str = DOCUMENT  # where the flow comes from: the document, or a repository file

    @property
    def traced_to(self) -> str:
        """What a rule of this flow names as its source: the document's section, or for a
        flow beyond the document, what adds it and the repository file it comes from."""
        return self.section if self.origin == DOCUMENT else f"{self.section} ({self.origin})"

    @model_validator(mode="after")
    def _line_is_understood(self) -> Self:
        if self.line not in ICMP_TYPES and not _port_line(self.line):
            raise ValueError(f"cannot read port line {self.line!r}")
        if not self.sources:
            raise ValueError(f"{self.section} {self.line}: no sources")
        return self

    @property
    def protocol(self) -> Protocol:
        ports = _port_line(self.line)
        return Protocol.ICMP if ports is None else ports[0]

    @property
    def port_range(self) -> tuple[int, int]:
        """First and last port of a TCP/UDP line."""
        ports = _port_line(self.line)
        if ports is None:
            raise ValueError(f"{self.line!r} is not a port line")
        return ports[1], ports[2]

    def icmp_types(self, family: int) -> tuple[int, ...]:
        return ICMP_TYPES[self.line][family]

    def description(
        self, source: Source, icmp: tuple[int, int] | None = None, site: str | None = None
    ) -> str:
        """The rule description a cloud console shows, e.g. 'Chronos from Vellum nodes'.

        `icmp` is (family, type) for ICMP lines, whose rules are per message and family;
        `site` the label of a peer site. A flow beyond the document names its origin.
        """
        who = nodes_text(source, self.group, site)
        what = self.service
        if icmp is not None:
            family, icmp_type = icmp
            message = (
                "Packet Too Big"
                if (family, icmp_type) == (6, _ICMPV6_PACKET_TOO_BIG)
                else self.line
            )
            what = f"ICMP{'v6' if family == 6 else ''} {message}"
        origin = "" if self.origin == DOCUMENT else f" ({self.origin})"
        return f"{what} from {who}{origin}"


def nodes_text(source: Source, group: Role | None = None, site: str | None = None) -> str:
    """Who a rule's description names at its other end: "Sprout nodes", "other Vellum
    nodes" (the rule's own `group`), "all Clearwater nodes", an audience ("the world"), or
    "peer site <site>"."""
    if site is not None:
        return f"peer site {site}"
    if isinstance(source, Audience) or source is Role.ALL_NODES:
        return source.label
    if source is group:
        return f"other {source.label} nodes"
    return f"{source.label} nodes"


Bullet = (
    tuple[FlowNetwork, str, str | tuple[str, ...], tuple[Source, ...]]
    | tuple[FlowNetwork, str, str | tuple[str, ...], tuple[Source, ...], Condition | Profile]
)


def _section(
    section: str, group: Role, bullets: list[Bullet], origin: str = DOCUMENT
) -> tuple[Flow, ...]:
    """The port lines of one section: each bullet is (network, service, lines, sources
    [, condition]), its lines written as the document writes them, separated by spaces."""
    return tuple(
        Flow(
            section=section,
            group=group,
            line=line,
            service=service,
            sources=sources,
            condition=condition[0] if condition else None,
            network=network,
            origin=origin,
        )
        for network, service, lines, sources, *condition in bullets
        for line in (lines.split() if isinstance(lines, str) else lines)
    )


# Short names, so that each bullet of the document is one line of the tables below.
ALL_NODES, ALL_IN_ONE, APP_SERVER = Role.ALL_NODES, Role.ALL_IN_ONE, Role.APP_SERVER
ELLIS, BONO, SPROUT, DIME = Role.ELLIS, Role.BONO, Role.SPROUT, Role.DIME
HOMER, VELLUM = Role.HOMER, Role.VELLUM
WORLD, SSH, SNMP = (Audience.WORLD,), (Audience.SSH_SOURCES,), (Audience.SNMP_SOURCES,)
MANAGERS, SITE = (Audience.MANAGEMENT_SOURCES,), (Audience.PEER_SITE,)
MEMENTO, HSS, IF_SNMP = Condition.MEMENTO, Condition.HSS, Condition.SNMP
MGMT, SIG, BOTH = FlowNetwork.MANAGEMENT, FlowNetwork.SIGNALING, FlowNetwork.BOTH
ICMP = ("Echo Request", "Echo Reply", "Destination Unreachable")  # ICMP messages

# Networks follow Multiple_Network_Support.md (Metaswitch/clearwater-readthedocs):
# management carries SSH, SNMP, etcd, Ellis's web UI and provisioning (Dime 8889 and
# Homer 7888 from Ellis); signaling carries SIP, STUN, RTP and the internal service flows;
# both answer ICMP. Homer's TCP/7888 is one document line with two audiences on two
# networks, so it is written as two bullets. Dime's TCP/8888 from Ellis is not
# provisioning (that is 8889): it stays with Sprout's on signaling.
# fmt: off
MATRIX: tuple[Flow, ...] = (
    *_section("All nodes", ALL_NODES, [
        # net  service                         lines                from                if
        (BOTH, "ICMP",                         ICMP,                WORLD),
        (MGMT, "SSH access",                   "TCP/22",            SSH),
        (MGMT, "SNMP",                         "UDP/161-162",       SNMP,               IF_SNMP),
        (MGMT, "etcd",                         "TCP/2380 TCP/4000", (ALL_NODES,)),
    ]),
    *_section("All-in-one", ALL_IN_ONE, [
        (MGMT, "Web UI",                       "TCP/80 TCP/443",    WORLD),
        (SIG,  "STUN signaling",               "TCP/3478 UDP/3478", WORLD),
        (SIG,  "SIP signaling",                "TCP/5060 UDP/5060 TCP/5062", WORLD),
        (SIG,  "RTP forwarding",               "UDP/32768-65535",   WORLD),
    ]),
    *_section("Ellis", ELLIS, [
        (MGMT, "Web UI",                       "TCP/80 TCP/443",    WORLD),
    ]),
    *_section("Bono", BONO, [
        (SIG,  "STUN signaling",               "TCP/3478 UDP/3478", WORLD),
        (SIG,  "SIP signaling",                "TCP/5060 UDP/5060 TCP/5062", WORLD),
        (SIG,  "RTP forwarding",               "UDP/32768-65535",   WORLD),
        (SIG,  "Internal SIP signaling",       "TCP/5058",          (BONO, SPROUT)),
    ]),
    *_section("Sprout", SPROUT, [
        (SIG,  "Internal SIP signaling",       "TCP/5054 TCP/5052", (BONO,)),
        (SIG,  "Chronos",                      "TCP/9888",          (VELLUM,)),
        (SIG,  "Registration Termination Requests", "TCP/9888",     (DIME,),            HSS),
        (SIG,  "HTTP interface (Memento AS)",  "TCP/443",           WORLD,              MEMENTO),
    ]),
    *_section("Dime", DIME, [
        (SIG,  "RESTful interface",            "TCP/8888",          (SPROUT, ELLIS)),
        (MGMT, "RESTful interface",            "TCP/8889",          (ELLIS,)),
        (SIG,  "RESTful interface",            "TCP/10888",         (SPROUT, BONO, VELLUM)),
    ]),
    *_section("Homer", HOMER, [
        (SIG,  "RESTful interface",            "TCP/7888",          (SPROUT,)),
        (MGMT, "RESTful interface",            "TCP/7888",          (ELLIS,)),
    ]),
    *_section("Vellum", VELLUM, [
        (SIG,  "Chronos",                      "TCP/7253",          (VELLUM,)),
        (SIG,  "Memcached",                    "TCP/11211",         (VELLUM,)),
        (SIG,  "Cassandra",                    "TCP/7000",          (VELLUM,)),
        (SIG,  "Chronos",                      "TCP/7253",          (SPROUT, DIME)),
        (SIG,  "Astaire",                      "TCP/11311",         (SPROUT, DIME)),
        (SIG,  "Cassandra",                    "TCP/9160",          (HOMER, DIME)),
        (SIG,  "Cassandra (Memento AS)",       "TCP/9160",          (SPROUT,),          MEMENTO),
    ]),
    *_section("Standalone Application Servers", APP_SERVER, [
        (SIG,  "SIP signaling",                "TCP/5054",          (SPROUT,)),
        (SIG,  "HTTP interface (Memento AS)",  "TCP/443",           WORLD,              MEMENTO),
    ]),
)

# Where each flow beyond the document is found (Metaswitch's public repositories).
HEAT = "Metaswitch/clearwater-heat security-groups.yaml"
CHEF = "Metaswitch/chef plugins/knife/clearwater-security-groups.rb"
DOCS = "Metaswitch/clearwater-readthedocs docs/"
RESTUND = "Metaswitch/sprout restund scripts"
BEYOND: tuple[Flow, ...] = (
    *_section("Profile sprout-peering", SPROUT, [
        (SIG,  "Internal SIP signaling",       "TCP/5052 TCP/5054", (SPROUT,),          Profile.SPROUT_PEERING),
    ], origin=f"{HEAT}; {CHEF}"),
    *_section("Profile restund", DIME, [
        (SIG,  "TURN authentication",          "TCP/8888",          (BONO,),            Profile.RESTUND),
    ], origin=f"{RESTUND}; {HEAT}"),
    *_section("Profile ut", HOMER, [
        (SIG,  "Ut/XCAP",                      "TCP/7888",          WORLD,              Profile.UT),
    ], origin=f"{DOCS}Multiple_Network_Support.md; {HEAT}"),
    *_section("Profile management-http", SPROUT, [
        (MGMT, "Management HTTP API",          "TCP/9886",          MANAGERS,           Profile.MANAGEMENT_HTTP),
    ], origin=f"{DOCS}Clearwater_Configuration_Options_Reference.md; {CHEF}"),
    *_section("Profile management-http", DIME, [
        (MGMT, "Management HTTP API",          "TCP/8886",          MANAGERS,           Profile.MANAGEMENT_HTTP),
    ], origin=f"{DOCS}Clearwater_Configuration_Options_Reference.md; {CHEF}"),
    *_section("Profile trusted-application-servers", SPROUT, [
        (SIG,  "Trusted SIP signaling",        "TCP/5054 UDP/5054", (APP_SERVER,), Profile.TRUSTED_APPLICATION_SERVERS),
    ], origin=f"{DOCS}Configuring_an_Application_Server.md"),
    *_section("Profile trusted-application-servers", BONO, [
        (SIG,  "Trusted SIP signaling",        "TCP/5058 UDP/5058", (APP_SERVER,), Profile.TRUSTED_APPLICATION_SERVERS),
    ], origin=f"{DOCS}Configuring_an_Application_Server.md"),
    # Geographic redundancy: what the nodes of another site of the deployment reach.
    # Each site keeps its own etcd cluster: etcd never crosses sites.
    *_section("Peer sites", VELLUM, [
        (SIG,  "Cassandra",                    "TCP/7000",          SITE),
        (SIG,  "Rogers (Astaire)",             "TCP/11311",         SITE),
        (SIG,  "Chronos timer replication",    "TCP/7253",          SITE,               Condition.REPLICATE_TIMERS),
    ], origin=f"{DOCS}Geographic_redundancy.md"),
    *_section("Peer sites", SPROUT, [
        (SIG,  "Internal SIP signaling",       "TCP/5052 TCP/5054", SITE),
    ], origin=f"{DOCS}Geographic_redundancy.md"),
)
# fmt: on


# --- Outbound: what Clearwater nodes start toward the outside, with `egress: restricted`


class EgressKind(StrEnum):
    """A kind of outside service nodes reach; `egressDestinations` says where it lives."""

    DNS = "dns"
    NTP = "ntp"
    PACKAGES = "packages"
    ENUM = "enum"
    HSS = "hss"
    CDF = "cdf"
    SIP_PEERS = "sip-peers"
    SMTP = "smtp"
    SNMP_ALARMS = "snmp-alarms"
    MEDIA = "media"


class Outbound(BaseModel):
    """One outbound flow a Clearwater node starts toward an outside service, from the
    Clearwater source that shows it (the port document lists inbound ports only)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: EgressKind
    group: Role
    line: str  # "UDP/53", as the document writes a port line
    service: str
    network: FlowNetwork
    origin: str  # the repository file that shows the flow

    @model_validator(mode="after")
    def _line_names_ports(self) -> Self:
        if _port_line(self.line) is None:
            raise ValueError(f"{self.kind}: {self.line!r} is not a TCP or UDP port line")
        return self

    @property
    def protocol(self) -> Protocol:
        return self._ports[0]

    @property
    def port_range(self) -> tuple[int, int]:
        return self._ports[1], self._ports[2]

    @property
    def _ports(self) -> tuple[Protocol, int, int]:
        ports = _port_line(self.line)
        assert ports is not None  # checked when the entry was made
        return ports

    def description(self) -> str:
        """'DNS to egressDestinations.dns (Metaswitch/... Clearwater_DNS_Usage.md)'."""
        return f"{self.service} to egressDestinations.{self.kind} ({self.origin})"


def _outbound(
    kind: EgressKind,
    groups: tuple[Role, ...],
    lines: str,
    service: str,
    network: FlowNetwork,
    origin: str,
) -> tuple[Outbound, ...]:
    """One entry per group and port line, as `_section` writes the document's."""
    return tuple(
        Outbound(kind=kind, group=group, line=line, service=service, network=network, origin=origin)
        for group in groups
        for line in lines.split()
    )


K = EgressKind
INFRA = "Metaswitch/clearwater-infrastructure"
# Each flow from the Clearwater source that shows a node starting it (docs/egress.md
# quotes each); what no source shows is left out: Bono never opens a connection to a UE
# (it answers on the UE's own flow, which stateful groups admit).
# fmt: off
OUTBOUND: tuple[Outbound, ...] = (
    *_outbound(K.DNS,   (ALL_NODES,),     "UDP/53 TCP/53",  "DNS",   BOTH, f"{DOCS}Clearwater_DNS_Usage.md"),
    *_outbound(K.NTP,   (ALL_NODES,),     "UDP/123",        "NTP",   MGMT, f"{INFRA} debian/control"),
    *_outbound(K.PACKAGES, (ALL_NODES,),  "TCP/80 TCP/443", "Package installation", MGMT, f"{DOCS}Manual_Install.md"),
    *_outbound(K.ENUM,  (SPROUT, ALL_IN_ONE), "UDP/53",     "ENUM",  SIG,  f"{DOCS}ENUM.md"),
    *_outbound(K.HSS,   (DIME, ALL_IN_ONE), "TCP/3868",     "Diameter Cx", SIG, f"{DOCS}External_HSS_Integration.md"),
    *_outbound(K.CDF,   (DIME, ALL_IN_ONE), "TCP/3868",     "Diameter Rf", SIG, f"{DOCS}CDF_Integration.md"),
    *_outbound(K.SIP_PEERS, (SPROUT, BONO, ALL_IN_ONE), "TCP/5060 UDP/5060", "SIP", SIG,
               f"{DOCS}Configuring_an_Application_Server.md"),
    *_outbound(K.SMTP,  (ELLIS, ALL_IN_ONE), "TCP/25",      "SMTP",  MGMT, "Metaswitch/ellis local_settings.py"),
    *_outbound(K.SNMP_ALARMS, (SPROUT, DIME, VELLUM, ALL_IN_ONE), "UDP/162", "SNMP alarms", MGMT,
               "Metaswitch/clearwater-snmp-handlers alarms_agent.cpp"),
    *_outbound(K.MEDIA, (BONO, ALL_IN_ONE), "UDP/1-65535",  "TURN media relay", SIG, "Metaswitch/restund docs/restund.txt"),
)
# fmt: on


# --- What the table says about exposure: one reading, for the planner and the policy pack


def doc_ports(
    audiences: Callable[[tuple[object, ...]], bool], flows: Iterable[Flow]
) -> dict[tuple[str, int], str]:
    """(protocol, port) -> what the document, or a sourced flow beyond it, opens it for,
    over flows whose sources match."""
    ports: dict[tuple[str, int], set[str]] = {}
    for flow in flows:
        if flow.protocol.value == "icmp" or not audiences(flow.sources):
            continue
        first, last = flow.port_range
        for port in range(first, last + 1):
            ports.setdefault((flow.protocol.value, port), set()).add(
                f"{flow.section}: {flow.service}"
            )
    return {key: "; ".join(sorted(whats)) for key, whats in ports.items()}


# Who may be outside the deployment: the world, and the operator's SSH, SNMP and
# management hosts. A peer site's nodes are the deployment's own, in another place.
OUTSIDERS = (
    Audience.WORLD,
    Audience.SSH_SOURCES,
    Audience.SNMP_SOURCES,
    Audience.MANAGEMENT_SOURCES,
)


def open_to_outsiders(sources: tuple[object, ...]) -> bool:
    return any(source in OUTSIDERS for source in sources)


# Profiles that open a port to the world on purpose (ut: Homer's TCP/7888 for Ut/XCAP).
# The policy pack cannot see a stack's config: it is told with its `profiles` setting.
WORLD_FACING_PROFILES = tuple(
    sorted({str(f.condition) for f in BEYOND if Audience.WORLD in f.sources and f.condition})
)


@functools.cache
def internal_ports(profiles: frozenset[str] = frozenset()) -> dict[tuple[str, int], str]:
    """Ports opened only to Clearwater nodes (of this site or a peer site): a port any
    line also opens to the world or the operator's hosts is not internal. A
    world-facing profile counts only when the stack uses it (`profiles`)."""
    flows = [
        flow
        for flow in (*MATRIX, *BEYOND)
        if not (isinstance(flow.condition, Profile) and Audience.WORLD in flow.sources)
        or flow.condition in profiles
    ]
    exposed = doc_ports(open_to_outsiders, flows)
    return {
        key: what
        for key, what in doc_ports(lambda sources: not open_to_outsiders(sources), flows).items()
        if key not in exposed
    }
