"""The judge of the data-plane proof: which probes must pass, from the port document alone.

What a probe should see comes from :func:`harness.doc_reader.expected_rules` (the
independent reading of Clearwater's port document, with the flows beyond it and the
outbound flows of `egress: restricted`), and from the README's contract for who carries
which group ("a node of role *R* gets two groups: all-nodes and *R*"). Never from
`clearwater_sg`'s matrix or planner, and never from what Neutron stored: comparing those
is the conformance and engine tests' job, and reusing either here would be circular.

A probe passes when the rules of both ends let it: the sender's egress and the receiver's
ingress, as a stateful firewall applies them (the reply needs no rule). A host that no
group of the deployment filters (an outside host, or a member of a group the deployment
only names) lets everything through on its side.

With `networks: split` a node has a management and a signaling interface, on two
networks. Each flow must then pass on the interface Clearwater uses for it and be dropped
on the other; which one is :func:`interfaces`, written from
`reference/beyond-the-port-doc.md` ("Management and signaling networks") and
docs/egress.md's table, here rather than imported.
"""

from __future__ import annotations

import enum
import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from harness.doc_reader import Permission

SINGLE = "single"
MANAGEMENT = "management"
SIGNALING = "signaling"
SPLIT = (MANAGEMENT, SIGNALING)
BOTH = frozenset(SPLIT)
ICMP_ECHO_REQUEST = {4: 8, 6: 128}
ICMP_PROTOCOLS = ("icmp", "ipv6-icmp")
FAMILY_NAME = {4: "IPv4", 6: "IPv6"}


@dataclass(frozen=True, order=True)
class Probe:
    """One packet exchange: `source` sends to `target`'s address on `network`."""

    source: str
    target: str
    network: str
    family: int
    protocol: str  # "tcp", "udp" or "icmp" (an echo request)
    port: int | None  # None for ICMP

    @property
    def flow(self) -> tuple[str, str, int, str, int | None]:
        """The probe without its network: one flow, on whichever interface."""
        return (self.source, self.target, self.family, self.protocol, self.port)

    def __str__(self) -> str:
        what = "icmp echo" if self.protocol == "icmp" else f"{self.protocol}/{self.port}"
        where = "" if self.network == SINGLE else f" on {self.network}"
        return f"{self.source} -> {self.target} IPv{self.family} {what}{where}"


@dataclass(frozen=True)
class Endpoint:
    """What the judge knows of a host: the deployment's groups it carries (the document
    reader's names: ``all-nodes``, ``sprout``; ``external:<id>`` for a group the
    configuration names by id), whether those groups filter it, and its addresses."""

    name: str
    groups: frozenset[str]
    filtered: bool
    addresses: Mapping[tuple[str, int], str]  # (network, family) -> address


class Expected(enum.Enum):
    OPEN = "open"
    BLOCKED = "blocked"
    # With split networks, a flow the sources place on neither interface: open on
    # exactly one of the two.
    ONE_INTERFACE = "open on one interface"


def passed(verdict: str) -> bool | None:
    """Whether a verdict means the packet got through (None: the probe failed)."""
    if verdict in ("open", "refused"):
        return True
    if verdict == "filtered":
        return False
    return None


# -- where a flow goes with split networks --------------------------------------------


# reference/beyond-the-port-doc.md, "Management and signaling networks": "Management: SSH
# 22, SNMP, etcd 2380/4000 (...), Ellis's web UI 80/443, provisioning (Dime 8889 and Homer
# 7888 from Ellis), the management HTTP APIs (Sprout 9886, Dime 8886)." (group, port,
# source role or None for any source)
_MANAGEMENT_INGRESS = {
    ("all-nodes", 22, None),
    ("all-nodes", 161, None),
    ("all-nodes", 2380, None),
    ("all-nodes", 4000, None),
    ("ellis", 80, None),
    ("ellis", 443, None),
    ("dime", 8889, "ellis"),
    ("homer", 7888, "ellis"),
    ("sprout", 9886, None),
    ("dime", 8886, None),
}
# "Signaling: Bono's SIP/STUN/RTP and 5058, Sprout 5052/5054/9888, Dime 8888/10888, Homer
# 7888 from Sprout and for Ut, all of Vellum (...), application servers." The document's
# one flow it leaves out: Sprout TCP/443 (Memento's HTTP interface from the world).
_UNPLACED_INGRESS = {("sprout", 443)}
# docs/egress.md, "network (split)": the outbound flows toward the outside, by their group
# and protocol/port (DNS is on both; ENUM, UDP/53 from Sprout, is signaling).
_OUTBOUND = {
    ("all-nodes", "udp", 53): BOTH,
    ("all-nodes", "tcp", 53): BOTH,
    ("all-nodes", "udp", 123): frozenset({MANAGEMENT}),
    ("all-nodes", "tcp", 80): frozenset({MANAGEMENT}),
    ("all-nodes", "tcp", 443): frozenset({MANAGEMENT}),
    ("ellis", "tcp", 25): frozenset({MANAGEMENT}),
    ("sprout", "udp", 162): frozenset({MANAGEMENT}),
    ("dime", "udp", 162): frozenset({MANAGEMENT}),
    ("vellum", "udp", 162): frozenset({MANAGEMENT}),
}


def interfaces(permission: Permission) -> frozenset[str]:
    """The interfaces a permission holds on with split networks; empty when the sources
    leave the flow on either one."""
    if (permission.protocol is None and permission.low is None) or (
        permission.protocol in ICMP_PROTOCOLS
    ):
        return BOTH  # ICMP, and the allow-all egress, on both
    if permission.direction == "egress" and permission.peer.startswith("group:"):
        # An internal flow held at its source: where its inbound rule is.
        receiver = permission.peer.removeprefix("group:")
        return interfaces(
            replace(
                permission, group=receiver, direction="ingress", peer=f"group:{permission.group}"
            )
        )
    if permission.direction == "egress":
        placed = _OUTBOUND.get((permission.group, str(permission.protocol), permission.low or 0))
        if placed is not None:
            return placed
        # A peer site's flow (held both ways) is where its inbound twin is; the other
        # outbound kinds (ENUM, Diameter, SIP peers, media) are signaling.
        inbound = interfaces(replace(permission, direction="ingress"))
        return inbound if inbound != BOTH else frozenset({SIGNALING})
    source = (
        permission.peer.removeprefix("group:") if permission.peer.startswith("group:") else None
    )
    for group, port, from_role in _MANAGEMENT_INGRESS:
        if (permission.group, permission.low) == (group, port) and from_role in (None, source):
            return frozenset({MANAGEMENT})
    if (permission.group, permission.low) in _UNPLACED_INGRESS:
        return frozenset()
    return frozenset({SIGNALING})


# -- the judge ------------------------------------------------------------------------


class Judge:
    """Expected verdicts for probes among `hosts`, from the permissions the document
    reader expects for a configuration (:func:`harness.doc_reader.expected_rules`)."""

    def __init__(
        self, permissions: Iterable[Permission], hosts: Mapping[str, Endpoint], *, split: bool
    ) -> None:
        self.permissions = frozenset(permissions)
        self.hosts = hosts
        self.split = split
        self._by_group: dict[tuple[str, str], list[Permission]] = {}
        for permission in self.permissions:
            key = (permission.group, permission.direction)
            self._by_group.setdefault(key, []).append(permission)

    def with_permissions(self, permissions: Iterable[Permission]) -> Judge:
        return Judge(permissions, self.hosts, split=self.split)

    def expected(self, probe: Probe) -> Expected:
        source, target = self.hosts[probe.source], self.hosts[probe.target]
        sides = [
            self._side(source, "egress", target, probe),
            self._side(target, "ingress", source, probe),
        ]
        if Expected.BLOCKED in sides:
            return Expected.BLOCKED
        if Expected.ONE_INTERFACE in sides:
            return Expected.ONE_INTERFACE
        return Expected.OPEN

    def _side(self, host: Endpoint, direction: str, peer: Endpoint, probe: Probe) -> Expected:
        """Whether `host`'s groups let the probe out (egress) or in (ingress)."""
        if not host.filtered:
            return Expected.OPEN
        unplaced = False
        for group in host.groups:
            for permission in self._by_group.get((group, direction), ()):
                if not self._matches(permission, peer, probe):
                    continue
                if not self.split:
                    return Expected.OPEN
                where = interfaces(permission)
                if probe.network in where:
                    return Expected.OPEN
                unplaced = unplaced or not where
        return Expected.ONE_INTERFACE if unplaced else Expected.BLOCKED

    def _matches(self, permission: Permission, peer: Endpoint, probe: Probe) -> bool:
        if permission.family != FAMILY_NAME[probe.family]:
            return False
        if not _protocol_matches(permission, probe):
            return False
        if permission.peer.startswith(("group:", "external:")):
            group = permission.peer.removeprefix("group:")
            return group in peer.groups
        address = peer.addresses.get((probe.network, probe.family))
        return address is not None and ipaddress.ip_address(address) in ipaddress.ip_network(
            permission.peer
        )


def _protocol_matches(permission: Permission, probe: Probe) -> bool:
    if permission.protocol is None:
        return True  # every protocol
    if probe.protocol == "icmp":
        request = ICMP_ECHO_REQUEST[probe.family]
        return permission.protocol in ICMP_PROTOCOLS and permission.low in (None, request)
    if permission.protocol != probe.protocol:
        return False
    if permission.low is None:
        return True  # every port
    assert probe.port is not None and permission.high is not None
    return permission.low <= probe.port <= permission.high


@dataclass(frozen=True)
class Mismatch:
    """A flow the data plane treated otherwise than the document says."""

    probe: Probe
    expected: Expected
    seen: str  # the verdict, or per interface for a flow on one of two

    def __str__(self) -> str:
        return f"MISMATCH {self.probe}: expected {self.expected.value}, seen {self.seen}"


def mismatches(judge: Judge, observed: Mapping[Probe, str]) -> list[Mismatch]:
    """Every probe whose verdict disagrees with the judge (a probe that failed to run
    disagrees with any expectation), and every flow expected on one interface of two
    that was open on none or both."""
    found: list[Mismatch] = []
    one_of: dict[tuple[str, str, int, str, int | None], list[Probe]] = {}
    for probe, verdict in sorted(observed.items()):
        expected = judge.expected(probe)
        if expected is Expected.ONE_INTERFACE:
            one_of.setdefault(probe.flow, []).append(probe)
            if passed(verdict) is None:
                found.append(Mismatch(probe, expected, verdict))
            continue
        if passed(verdict) is not (expected is Expected.OPEN):
            found.append(Mismatch(probe, expected, verdict))
    for probes in one_of.values():
        open_on = [p.network for p in probes if passed(observed[p])]
        if len(open_on) != 1:
            seen = ", ".join(f"{p.network} {observed[p]}" for p in probes)
            found.append(
                Mismatch(replace(probes[0], network="either"), Expected.ONE_INTERFACE, seen)
            )
    return found
