"""Every rule the program registers traces to a line of Clearwater's port document, and
every line of the document becomes a rule (under its condition) -- on both clouds.

Expectations come from tests/doc_reader.py's reading of the .rst, never from the matrix.
"""

from __future__ import annotations

import ipaddress
from collections import Counter
from dataclasses import dataclass

import pytest

from clearwater_sg.inventory import Inventory
from tests.doc_reader import ICMP_TYPES, DocPort, read_document
from tests.helpers import ALL_ROLES, DOC, VPC, run_inventory

DOC_PORTS = read_document(DOC)
Row = tuple[str, str, str, str, str]  # group, family, protocol, ports, peer


@dataclass(frozen=True)
class Case:
    cloud: str
    ip_version: str
    roles: tuple[str, ...] | None = None  # None: the program's default roles
    deployment: str = "distributed"
    memento: bool = False
    hss: bool = False
    snmp_sources: tuple[str, ...] = ()
    world: tuple[str, ...] = ()
    ssh: tuple[str, ...] = ()

    def config(self) -> dict[str, object]:
        config: dict[str, object] = {"cloud": self.cloud, "ipVersion": self.ip_version}
        if self.cloud == "aws":
            config["vpcId"] = VPC
        else:
            # Room for the largest dual-stack plan: this file checks rules, not quotas.
            config["limits"] = {"securityGroupRules": 1000}
        if self.deployment != "distributed":
            config["deployment"] = self.deployment
        if self.roles is not None:
            config["roles"] = list(self.roles)
        for key, value in (("memento", self.memento), ("hss", self.hss)):
            if value:
                config[key] = True
        for key, values in (
            ("snmpSources", self.snmp_sources),
            ("worldCidrs", self.world),
            ("sshSources", self.ssh),
        ):
            if values:
                config[key] = list(values)
        return config

    @property
    def families(self) -> tuple[int, ...]:
        return {"4": (4,), "6": (6,), "dual": (4, 6)}[self.ip_version]

    @property
    def groups(self) -> set[str]:
        if self.deployment == "all-in-one":
            return {"all-nodes", "all-in-one"}
        # The core roles unless the stack lists its own (the default).
        default = ("ellis", "bono", "sprout", "dime", "homer", "vellum")
        return {"all-nodes", *(self.roles or default)}


ANYWHERE = {4: "0.0.0.0/0", 6: "::/0"}


def expected_ingress(case: Case) -> Counter[Row]:
    world = case.world or tuple(ANYWHERE[family] for family in case.families)
    cidrs = {"world": world, "ssh": case.ssh or world, "snmp": case.snmp_sources}
    enabled = {"memento": case.memento, "hss": case.hss, "snmp": bool(case.snmp_sources)}
    rows: Counter[Row] = Counter()
    for port in DOC_PORTS:
        if port.group not in case.groups or (port.condition and not enabled[port.condition]):
            continue
        for family, peer in _peers(port, case, cidrs):
            if port.protocol == "icmp":
                for icmp_type in ICMP_TYPES[port.line][int(family[-1])]:
                    if case.cloud == "openstack" and (family, icmp_type) == ("IPv4", 0):
                        # The one documented exception: pulumi-openstack cannot send
                        # ICMP type 0 (it would open every ICMP type), see README.
                        continue
                    rows[(port.group, family, "icmp", f"type {icmp_type}", peer)] += 1
            else:
                first, last = port.ports
                ports = str(first) if first == last else f"{first}-{last}"
                rows[(port.group, family, port.protocol, ports, peer)] += 1
    return rows


def _peers(port: DocPort, case: Case, cidrs: dict[str, tuple[str, ...]]) -> list[tuple[str, str]]:
    if port.source in cidrs:
        return [(f"IPv{ipaddress.ip_network(cidr).version}", cidr) for cidr in cidrs[port.source]]
    if port.source not in case.groups:
        return []  # that role has no nodes in this deployment
    if case.cloud == "aws":
        return [("any", f"group:{port.source}")]  # one AWS group reference covers both families
    return [(f"IPv{family}", f"group:{port.source}") for family in case.families]


def actual_ingress(found: Inventory) -> Counter[Row]:
    return Counter(
        (rule.group, rule.family, rule.protocol, rule.ports, rule.peer)
        for rule in found.rules
        if rule.direction == "ingress"
    )


FULL = dict(roles=tuple(ALL_ROLES), memento=True, hss=True)
CASES = [
    Case("aws", "4"),
    Case("openstack", "4"),
    Case("aws", "4", **FULL, snmp_sources=("10.20.0.0/24",)),  # type: ignore[arg-type]
    Case("openstack", "4", **FULL, snmp_sources=("10.20.0.0/24",)),  # type: ignore[arg-type]
    Case("aws", "dual", **FULL, snmp_sources=("10.20.0.0/24", "fd00:20::/64")),  # type: ignore[arg-type]
    Case("openstack", "dual", **FULL, snmp_sources=("10.20.0.0/24", "fd00:20::/64")),  # type: ignore[arg-type]
    Case("openstack", "6", roles=("bono", "sprout", "vellum")),
    Case("aws", "4", roles=("sprout", "vellum", "app-server"), memento=True),
    Case("aws", "4", deployment="all-in-one"),
    Case("openstack", "dual", deployment="all-in-one", ssh=("192.0.2.0/24",)),
    Case("aws", "4", world=("198.51.100.0/24", "203.0.113.0/24"), ssh=("192.0.2.10/32",)),
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: repr(case.config()))
def test_registered_ingress_rules_are_exactly_the_documents_lines(case: Case) -> None:
    actual = actual_ingress(run_inventory(case.config()))
    expected = expected_ingress(case)
    assert sorted(actual - expected) == [], "rules that trace to no line of the document"
    assert sorted(expected - actual) == [], "document lines with no rule"
    assert max(actual.values()) == 1, "a rule is registered twice"


def test_the_largest_configuration_covers_every_line_of_the_document() -> None:
    # All roles and every condition on: each DocPort must contribute at least one rule.
    case = CASES[4]
    found = run_inventory(case.config())
    rows = actual_ingress(found)
    distributed_ports = [port for port in DOC_PORTS if port.group != "all-in-one"]
    for port in distributed_ports:
        assert any(row[0] == port.group and _same_line(row, port) for row in rows), port
    all_in_one = run_inventory(Case("aws", "4", deployment="all-in-one").config())
    aio_rows = actual_ingress(all_in_one)
    for port in DOC_PORTS:
        if port.group == "all-in-one":
            assert any(row[0] == "all-in-one" and _same_line(row, port) for row in aio_rows)


def _same_line(row: Row, port: DocPort) -> bool:
    if port.protocol == "icmp":
        return (
            row[2] == "icmp"
            and int(row[3].split()[1]) in ICMP_TYPES[port.line][4] + (ICMP_TYPES[port.line][6])
        )
    first, last = port.ports
    return row[2] == port.protocol and row[3] == (
        str(first) if first == last else f"{first}-{last}"
    )


def test_each_rule_is_described_with_the_documents_service_name() -> None:
    found = run_inventory(CASES[2].config())
    for rule in found.rules:
        if rule.direction != "ingress":
            continue
        services = {
            port.service
            for port in DOC_PORTS
            if port.group == rule.group
            and _same_line((rule.group, rule.family, rule.protocol, rule.ports, rule.peer), port)
        }
        assert any(service in rule.description for service in services), (
            rule.description,
            services,
        )


def test_internal_flows_reference_peer_groups_never_cidrs() -> None:
    for case in CASES[2:6]:
        found = run_inventory(case.config())
        world_facing = {"world", "ssh", "snmp"}
        internal = {
            (port.group, port.line) for port in DOC_PORTS if port.source not in world_facing
        }
        for rule in found.rules:
            line = f"{rule.protocol.upper()}/{rule.ports}"
            if (rule.group, line) in internal and not rule.peer.startswith("group:"):
                # The same port may also be world-facing under another doc line
                # (Sprout's TCP/443 is internal nowhere), so check it is one of those.
                assert any(
                    port.group == rule.group and port.line == line and port.source in world_facing
                    for port in DOC_PORTS
                ), rule
