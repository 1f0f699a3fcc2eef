"""An independent reading of Clearwater's port document, for checking the program.

It knows nothing of clearwater_sg's matrix: it walks the .rst text, takes each port line
with the section, paragraph and bullet it stands under, and reads who may connect from
the paragraph's wording ("open to all the Sprout nodes and the Ellis node").

From those lines, :func:`expected_rules` says which rules a stack configuration must
hold, as each cloud stores them (:class:`Permission`): the one expectation that the
document test (against the registered inputs), the conformance tests (against what
Neutron and moto store) and any benchmark share. It follows the README for the
configuration keys and the documented additions, never the program's matrix or planner.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness import DOC

SECTION_GROUP = {
    "All nodes": "all-nodes",
    "All-in-one": "all-in-one",
    "Standalone Application Servers": "app-server",
}
ICMP_MESSAGES = ("Echo Request", "Echo Reply", "Destination Unreachable")
# ICMP type numbers from RFC 792 (IPv4) and RFC 4443 (IPv6). IPv6 moves IPv4's
# "fragmentation needed" into Packet Too Big (type 2), which the issue asks for too.
ICMP_TYPES: dict[str, dict[int, tuple[int, ...]]] = {
    "Echo Request": {4: (8,), 6: (128,)},
    "Echo Reply": {4: (0,), 6: (129,)},
    "Destination Unreachable": {4: (3,), 6: (1, 2)},
}
PORT_LINE = re.compile(r"^(TCP|UDP)/(\d+)(?:-(\d+))?$")
# How a port line may stand in a literal block: "TCP/5058", or "TCP/22 for SSH access".
DOC_PORT_LINE = re.compile(r"^((?:TCP|UDP)/\d+(?:-\d+)?)(?: for (.+))?$")


@dataclass(frozen=True)
class DocPort:
    section: str
    group: str
    service: str  # the bullet the line stands under ("Internal SIP signaling")
    line: str  # "TCP/5058" or "Echo Request"
    source: str  # "world", "ssh", "snmp", or a group: "all-nodes", "sprout", ...
    condition: str | None  # "memento", "hss", "snmp"

    @property
    def protocol(self) -> str:
        match = PORT_LINE.match(self.line)
        return match.group(1).lower() if match else "icmp"

    @property
    def ports(self) -> tuple[int, int]:
        match = PORT_LINE.match(self.line)
        assert match, self.line
        return int(match.group(2)), int(match.group(3) or match.group(2))


def _sections(text: str) -> list[tuple[str, list[str]]]:
    lines = text.splitlines()
    sections: list[tuple[str, list[str]]] = []
    for index, line in enumerate(lines[:-1]):
        underline = lines[index + 1]
        if line.strip() and re.fullmatch(r"-{3,}", underline) and len(underline) >= len(line):
            sections.append((line.strip(), []))
        elif sections and not re.fullmatch(r"-{3,}", line):
            sections[-1][1].append(line)
    return sections


def document_roles(text: str) -> tuple[str, ...]:
    """The node roles the document gives a section of their own ("Ellis", "Bono", ...),
    as config keys: every section but those of every node, the all-in-one node and the
    standalone application servers."""
    return tuple(section.lower() for section, _ in _sections(text) if section not in SECTION_GROUP)


def _audience(paragraph: str, roles: tuple[str, ...]) -> list[tuple[str, str | None]]:
    """Who the paragraph opens the ports to, with any condition it attaches."""
    text = " ".join(paragraph.split())
    if "ICMP" in text:
        return [("world", None)]  # the document's ICMP list is for traffic from anywhere
    if "SNMP" in text:
        return [("snmp", "snmp")]  # polled by "your SNMP monitoring software"
    match = re.search(r"opene?d? to (.*)", text)
    assert match, f"cannot read who the ports are open to in: {text!r}"
    clause = match.group(1)
    condition = "memento" if "Memento" in clause else None
    main, _, aside = clause.partition("(and")
    if "world" in main:
        return [("world", condition)]
    if "all other nodes" in main:
        return [("all-nodes", None)]
    found: list[tuple[str, str | None]] = [(role, None) for role in roles if role in main.lower()]
    found += [(role, "memento") for role in roles if role in aside.lower()]
    assert found, f"no audience in {clause!r}"
    return found


def read_document(path: Path) -> list[DocPort]:
    ports: list[DocPort] = []
    text = path.read_text()
    roles = document_roles(text)
    for section, body in _sections(text):
        group = SECTION_GROUP.get(section, section.lower())
        paragraph, current, bullet = "", "", ""
        for line in [*body, ""]:
            stripped = line.strip()
            if line and not line.startswith(" ") and not stripped.startswith(("-  ", "::")):
                paragraph += " " + stripped
                continue
            if paragraph:
                current, paragraph, bullet = paragraph, "", ""
            if stripped.startswith("-  "):
                bullet = stripped[3:].rstrip(":")
            elif DOC_PORT_LINE.match(stripped) or stripped in ICMP_MESSAGES:
                port_line = DOC_PORT_LINE.match(stripped)
                inline_service = port_line.group(2) if port_line else None
                stripped = port_line.group(1) if port_line else stripped
                service = inline_service or bullet or "ICMP"
                bullet_condition = (
                    "hss" if "HSS" in service else ("memento" if "Memento" in service else None)
                )
                for source, condition in _audience(current, roles):
                    if stripped == "TCP/22":
                        source = "ssh"  # "open to the world" for SSH: the sshSources default
                    ports.append(
                        DocPort(
                            section=section,
                            group=group,
                            service=re.sub(r"\s*\(if .*\)", "", service),
                            line=stripped,
                            source=source,
                            condition=bullet_condition or condition,
                        )
                    )
    return ports


# ==========================================================================
# What a configuration must open, as the cloud stores it

# The default `roles`: the nodes the document gives a section of their own.
CORE_ROLES = document_roles(DOC.read_text())
ANYWHERE = {4: "0.0.0.0/0", 6: "::/0"}
FAMILY = {4: "IPv4", 6: "IPv6"}
ANY_FAMILY = "any"  # an AWS group reference: one rule matches the peer over both families
CLOUDS = ("aws", "openstack")
# Keys whose values the CLI hands the program as JSON text.
_STRUCTURED = frozenset(
    {
        *("roles", "memento", "hss"),
        *("worldCidrs", "sshSources", "snmpSources", "sshSourceGroups", "snmpSourceGroups"),
        *("profiles", "managementSources", "peerSites", "replicateTimersAcrossSites"),
        *("existingGroups", "egressDestinations"),
    }
)


def _beyond(
    section: str, group: str, service: str, lines: str, source: str, when: str
) -> list[DocPort]:
    return [DocPort(section, group, service, line, source, when) for line in lines.split()]


TRUSTED = "trusted-application-servers"
PEERING = "sprout-peering"
# The flows beyond the document, as issue 10 lists them (the sources are in
# reference/beyond-the-port-doc.md), each under the key that turns it on: a profile's
# name, "site" for every peer site, "timers" for replicateTimersAcrossSites. Sources:
# a role, "world", "managers" (managementSources) or "site" (each peer site's entries).
BEYOND_PORTS: tuple[DocPort, ...] = (
    *_beyond(f"Profile {PEERING}", "sprout", "SIP", "TCP/5052 TCP/5054", "sprout", PEERING),
    *_beyond("Profile restund", "dime", "TURN", "TCP/8888", "bono", "restund"),
    *_beyond("Profile ut", "homer", "Ut", "TCP/7888", "world", "ut"),
    *_beyond("Profile management-http", "sprout", "API", "TCP/9886", "managers", "management-http"),
    *_beyond("Profile management-http", "dime", "API", "TCP/8886", "managers", "management-http"),
    *_beyond(f"Profile {TRUSTED}", "sprout", "SIP", "TCP/5054 UDP/5054", "app-server", TRUSTED),
    *_beyond(f"Profile {TRUSTED}", "bono", "SIP", "TCP/5058 UDP/5058", "app-server", TRUSTED),
    *_beyond("Peer sites", "vellum", "GR", "TCP/7000 TCP/11311", "site", "site"),
    *_beyond("Peer sites", "sprout", "GR", "TCP/5052 TCP/5054", "site", "site"),
    *_beyond("Peer sites", "vellum", "GR", "TCP/7253", "site", "timers"),
)  # fmt: skip


# With `egress: restricted`, the outbound flows Clearwater nodes start toward the outside,
# as docs/egress.md quotes their sources: (kind, group, protocol, ports), each kind opened
# only toward `egressDestinations.<kind>`.
OUTBOUND_PORTS: tuple[tuple[str, str, str, tuple[int, int]], ...] = (
    ("dns", "all-nodes", "udp", (53, 53)), ("dns", "all-nodes", "tcp", (53, 53)),
    ("ntp", "all-nodes", "udp", (123, 123)),
    ("packages", "all-nodes", "tcp", (80, 80)), ("packages", "all-nodes", "tcp", (443, 443)),
    *(("enum", role, "udp", (53, 53)) for role in ("sprout", "all-in-one")),
    *(("hss", role, "tcp", (3868, 3868)) for role in ("dime", "all-in-one")),
    *(("cdf", role, "tcp", (3868, 3868)) for role in ("dime", "all-in-one")),
    *(("sip-peers", role, proto, (5060, 5060))
      for role in ("sprout", "bono", "all-in-one") for proto in ("tcp", "udp")),
    *(("smtp", role, "tcp", (25, 25)) for role in ("ellis", "all-in-one")),
    *(("snmp-alarms", role, "udp", (162, 162))
      for role in ("sprout", "dime", "vellum", "all-in-one")),
    *(("media", role, "udp", (1, 65535)) for role in ("bono", "all-in-one")),
)  # fmt: skip


@dataclass(frozen=True)
class Permission:
    """One rule as the cloud holds it, with its whole meaning and nothing cosmetic.

    `protocol` is the cloud's own name for it, verbatim: AWS's ``tcp``, ``udp``,
    ``icmp``, ``icmpv6`` and ``-1`` (every protocol); Neutron's ``tcp``, ``udp``,
    ``icmp``, ``ipv6-icmp`` and None (no protocol: every protocol). IPv6 ICMP must be
    asked for as ``icmpv6`` / ``ipv6-icmp``: AWS reads ``icmp`` from an IPv6 range as
    ICMPv4, which never arrives over IPv6; Neutron silently renames a legacy ``icmp`` on
    an IPv6 rule to ``ipv6-icmp``, so the provider would see a different protocol on
    every refresh and replace the rule on every ``pulumi up``.

    `low`/`high` are the port range, or for ICMP the type and the code. None is "any":
    AWS writes any type or code as -1; Neutron stores an omitted type or code as null,
    and pulumi-openstack never sends a 0 there (gophercloud's ``omitempty``), so a 0
    in the program's inputs reaches Neutron as "any" (see tests/registered.py).

    `peer` is a CIDR, ``group:<role>`` for one of the deployment's own groups, or
    ``external:<id>`` for an existing group the configuration names (a bastion's).
    """

    group: str  # the role of the group holding the rule ("all-nodes", "sprout", ...)
    direction: str  # "ingress" / "egress"
    family: str  # "IPv4", "IPv6", or ANY_FAMILY
    protocol: str | None
    low: int | None
    high: int | None
    peer: str

    def key(self) -> tuple[str, ...]:
        """For sorting (None is not comparable with text)."""
        return tuple(str(value) for value in dataclasses.astuple(self))

    def __str__(self) -> str:
        span = "any" if self.low is None else f"{self.low}..{self.high}"
        return (
            f"{self.group} {self.direction} {self.family} {self.protocol} {span} "
            f"{'from' if self.direction == 'ingress' else 'to'} {self.peer}"
        )


def cloud_protocol(cloud: str, protocol: str, family: int | None) -> str | None:
    """The cloud's name for a document protocol (tcp, udp, icmp, all) in one family."""
    if protocol == "all":
        return {"aws": "-1", "openstack": None}[cloud]
    if protocol == "icmp" and family == 6:
        return {"aws": "icmpv6", "openstack": "ipv6-icmp"}[cloud]
    return protocol


@dataclass(frozen=True)
class Configuration:
    """The settings of a stack that decide its rules, read from its configuration the
    way the README's configuration table describes the keys (nothing from the program)."""

    cloud: str
    families: tuple[int, ...]
    groups: frozenset[str]  # every group the deployment has: all-nodes and its roles
    memento: bool
    hss: bool
    world: tuple[str, ...]  # CIDRs
    ssh: tuple[str, ...]  # CIDRs or existing group ids
    snmp: tuple[str, ...]  # CIDRs or existing group ids
    profiles: frozenset[str] = frozenset()
    managers: tuple[str, ...] = ()  # managementSources
    sites: tuple[str, ...] = ()  # every peer site's CIDRs and group ids
    timers: bool = False  # replicateTimersAcrossSites
    existing: frozenset[str] = frozenset()  # existingGroups' keys: groups not created
    restricted: bool = False  # egress: restricted
    destinations: tuple[tuple[str, tuple[str, ...]], ...] = ()  # egressDestinations

    @classmethod
    def from_config(cls, config: Mapping[str, object]) -> Configuration:
        """`config` is the project's keys without namespace, with values either as the
        stack file writes them or as the program receives them (text, JSON for lists
        and maps)."""

        def setting(key: str, default: object) -> Any:
            value = config.get(key, default)
            if isinstance(value, str) and key in _STRUCTURED:
                value = json.loads(value)  # the CLI hands lists, maps and booleans as text
            return value

        cloud = str(config["cloud"])
        assert cloud in CLOUDS, cloud
        families = {"4": (4,), "6": (6,), "dual": (4, 6)}[str(setting("ipVersion", "4"))]
        if setting("deployment", "distributed") == "all-in-one":
            groups = frozenset({"all-nodes", "all-in-one"})
        else:
            groups = frozenset({"all-nodes", *setting("roles", list(CORE_ROLES))})
        # A source list left out takes the document's default; an explicit [] is nobody.
        world = setting("worldCidrs", None)
        world = tuple(ANYWHERE[f] for f in families) if world is None else tuple(world)
        ssh_groups = tuple(dict(setting("sshSourceGroups", {})).values())
        ssh = setting("sshSources", None)
        if ssh is None:
            # "TCP/22 ... open to the world", unless the stack names SSH source groups.
            ssh = () if ssh_groups else world
        snmp_groups = tuple(dict(setting("snmpSourceGroups", {})).values())
        return cls(
            cloud=cloud,
            families=families,
            groups=groups,
            memento=bool(setting("memento", False)),
            hss=bool(setting("hss", False)),
            world=world,
            ssh=(*ssh, *ssh_groups),
            snmp=(*setting("snmpSources", []), *snmp_groups),
            profiles=frozenset(setting("profiles", [])),
            managers=tuple(setting("managementSources", [])),
            sites=tuple(e for site in dict(setting("peerSites", {})).values() for e in site),
            timers=bool(setting("replicateTimersAcrossSites", False)),
            existing=frozenset(dict(setting("existingGroups", {}))),
            restricted=setting("egress", "all") == "restricted",
            destinations=tuple(
                (kind, tuple(entries))
                for kind, entries in dict(setting("egressDestinations", {})).items()
            ),
        )

    def enabled(self, condition: str | None) -> bool:
        if condition in self.profiles:
            return True
        return condition is None or {
            "memento": self.memento,
            "hss": self.hss,
            "snmp": bool(self.snmp),
            "site": bool(self.sites),
            "timers": self.timers,
        }.get(condition, False)

    def peers(self, source: str) -> list[tuple[str, tuple[str, ...]]]:
        """Who a document source is here, each with the families its rules carry."""
        if source in ("world", "ssh", "snmp", "managers", "site"):
            entries = {
                "world": self.world,
                "ssh": self.ssh,
                "snmp": self.snmp,
                "managers": self.managers,
                "site": self.sites,
            }[source]
            return [self._entry(entry) for entry in entries]
        if source not in self.groups:
            return []  # that role has no nodes in this deployment
        return [(f"group:{source}", self._group_families())]

    def _entry(self, entry: str) -> tuple[str, tuple[str, ...]]:
        try:
            network = ipaddress.ip_network(entry)
        except ValueError:  # not a CIDR: an existing security group's id
            return f"external:{entry}", self._group_families()
        return entry, (FAMILY[network.version],)

    def _group_families(self) -> tuple[str, ...]:
        if self.cloud == "aws":
            return (ANY_FAMILY,)  # one AWS group reference covers both families
        return tuple(FAMILY[family] for family in self.families)  # one ethertype a rule


def expected_rules(config: Mapping[str, object], ports: Iterable[DocPort]) -> Counter[Permission]:
    """Every rule a configuration must hold, from the document's lines (`ports`, from
    :func:`read_document`) and the README's documented additions and exception:

    * ICMP from the world is the document's three messages, in ICMPv6 too (RFC 4443),
      plus ICMPv6 Packet Too Big (type 2), which IPv6 path-MTU discovery needs the way
      IPv4 needs Destination Unreachable (both in ICMP_TYPES); any code of each.
    * On OpenStack, IPv4 Echo Reply (type 0) is not created: pulumi-openstack cannot
      send a 0, and Neutron would store the rule as every ICMP type.
    * The flows beyond the document a configuration turns on (`BEYOND_PORTS`).
    * Egress: allow-all to anywhere, per address family in use, on all-nodes (the
      document lists inbound ports only; AWS and Neutron both start a group with
      allow-all egress, which the program replaces by its own declared rules), unless
      all-nodes is an existing group (`existingGroups`), whose outbound rules the README
      leaves to its owner.
    """
    deployment = Configuration.from_config(config)
    cloud = deployment.cloud
    rules: Counter[Permission] = Counter()
    for port in (*ports, *BEYOND_PORTS):
        if port.group not in deployment.groups or not deployment.enabled(port.condition):
            continue
        for peer, families in deployment.peers(port.source):
            for family in families:
                number = {"IPv4": 4, "IPv6": 6}.get(family)
                if port.protocol == "icmp":
                    assert number, f"an ICMP rule needs one family: {port} from {peer}"
                    for icmp_type in ICMP_TYPES[port.line][number]:
                        if cloud == "openstack" and (number, icmp_type) == (4, 0):
                            continue
                        protocol = cloud_protocol(cloud, "icmp", number)
                        rules[
                            Permission(
                                port.group, "ingress", family, protocol, icmp_type, None, peer
                            )
                        ] += 1
                else:
                    first, last = port.ports
                    protocol = cloud_protocol(cloud, port.protocol, number)
                    rules[
                        Permission(port.group, "ingress", family, protocol, first, last, peer)
                    ] += 1
    if deployment.restricted:
        return rules + _restricted_egress(deployment, rules)
    for number in () if "all-nodes" in deployment.existing else deployment.families:
        everything = cloud_protocol(cloud, "all", number)
        rules[
            Permission(
                "all-nodes", "egress", FAMILY[number], everything, None, None, ANYWHERE[number]
            )
        ] += 1
    return rules


def _restricted_egress(
    deployment: Configuration, ingress: Counter[Permission]
) -> Counter[Permission]:
    """With `egress: restricted`: each inbound rule from one of the deployment's groups
    held at its source too (an egress rule there toward the receiving group, same
    protocol and ports); each inbound rule from a peer site likewise toward that site (its
    nodes and ours send each other the same flows); and each outbound flow whose kind has
    destinations, from the groups that start it toward each destination. No allow-all."""
    sites = set(deployment.sites)
    egress: Counter[Permission] = Counter()
    for permission, count in ingress.items():
        if permission.peer.startswith("group:"):
            sender = permission.peer.removeprefix("group:")
            to = f"group:{permission.group}"
            egress[dataclasses.replace(permission, group=sender, direction="egress", peer=to)] += (
                count
            )
        elif permission.peer in sites or permission.peer.removeprefix("external:") in sites:
            egress[dataclasses.replace(permission, direction="egress")] += count
    destinations = dict(deployment.destinations)
    for kind, group, protocol, (low, high) in OUTBOUND_PORTS:
        if group not in deployment.groups:
            continue
        for entry in destinations.get(kind, ()):
            peer, families = deployment._entry(entry)
            # Neutron stores a rule over every port as one without ports (as the README
            # says extra rules are sent).
            every = deployment.cloud == "openstack" and (low, high) == (1, 65535)
            first, last = (None, None) if every else (low, high)
            for family in families:
                egress[Permission(group, "egress", family, protocol, first, last, peer)] += 1
    return egress


def without_network(permission: Permission) -> Permission:
    """A split permission as the single network would hold it: groups by role only."""

    def role(key: str) -> str:
        return key.removesuffix("-management").removesuffix("-signaling")

    peer = (
        f"group:{role(permission.peer[6:])}"
        if permission.peer.startswith("group:")
        else permission.peer
    )
    return Permission(
        role(permission.group),
        permission.direction,
        permission.family,
        permission.protocol,
        permission.low,
        permission.high,
        peer,
    )
