"""Every rule the program registers traces to a line of Clearwater's port document, and
every line of the document becomes a rule (under its condition) -- on both clouds.

Expectations come from tests/doc_reader.py's reading of the .rst (`expected_rules`),
never from the matrix or the planner. What the program registered is read from the raw
resource inputs by tests/registered.py, not by offline.inventory: the comparison
keeps the address family, the protocol as the cloud sees it (ICMPv6 apart from ICMP),
ports, ICMP type and code, and the peer.
"""

from __future__ import annotations

import ast
import dataclasses
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from offline.runner import Recording, Registered
from offline.stackfile import load_stack
from tests.doc_reader import (
    ANY_FAMILY,
    ICMP_TYPES,
    DocPort,
    Permission,
    expected_rules,
    read_document,
)
from tests.helpers import DOC, PROJECT, PROJECT_DIR, VPC, run_main
from tests.largest import largest
from tests.registered import (
    AWS_INGRESS,
    OPENSTACK_RULE,
    RegisteredRule,
    registered_permissions,
    registered_rules,
)

DOC_PORTS = read_document(DOC)


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
    ssh_groups: tuple[tuple[str, str], ...] = ()  # (label, existing group id)
    explicit: tuple[tuple[str, object], ...] = ()  # keys set as given, e.g. an empty list

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
        if self.ssh_groups:
            config["sshSourceGroups"] = dict(self.ssh_groups)
        config.update(self.explicit)
        return config


def full(cloud: str, ip_version: str) -> Case:
    """The largest configuration (tests/largest.py), as a case."""
    return Case(cloud, ip_version, explicit=tuple(largest(cloud, ip_version).items()))


BASTION_AWS = "sg-0b1c2d3e4f5a6b7c8"
BASTION_OPENSTACK = "0d9f2c3e-1111-2222-3333-444455556666"
CASES = [
    Case("aws", "4"),
    Case("openstack", "4"),
    full("aws", "4"),
    full("openstack", "4"),
    full("aws", "dual"),
    full("openstack", "dual"),
    Case("aws", "6"),
    Case("openstack", "6", roles=("bono", "sprout", "vellum")),
    Case("aws", "4", roles=("sprout", "vellum", "app-server"), memento=True),
    Case("aws", "4", deployment="all-in-one"),
    Case("openstack", "dual", deployment="all-in-one", ssh=("192.0.2.0/24",)),
    Case("aws", "4", world=("198.51.100.0/24", "203.0.113.0/24"), ssh=("192.0.2.10/32",)),
    Case("aws", "dual", roles=("sprout",), ssh_groups=(("bastion", BASTION_AWS),)),
    Case("openstack", "dual", roles=("sprout",), ssh=(BASTION_OPENSTACK, "192.0.2.0/24")),
    # An explicit [] means nobody: nothing from the world (not even ICMP), or no SSH.
    Case("aws", "dual", explicit=(("worldCidrs", []), ("sshSources", ["192.0.2.0/24"]))),
    Case("openstack", "4", roles=("sprout",), explicit=(("sshSources", []),)),
]
LARGEST = {"aws": CASES[4], "openstack": CASES[5]}
STACKS = sorted((PROJECT_DIR / "stacks").glob("Pulumi.*.yaml"))


def _check(recording: Recording, config: dict[str, object]) -> None:
    actual = registered_permissions(recording)
    expected = expected_rules(config, DOC_PORTS)
    extra = sorted((actual - expected).elements(), key=Permission.key)
    missing = sorted((expected - actual).elements(), key=Permission.key)
    assert [str(p) for p in extra] == [], "rules that trace to no line of the document"
    assert [str(p) for p in missing] == [], "document lines with no rule"
    assert max(actual.values()) == 1, "a rule is registered twice"


@pytest.mark.parametrize("case", CASES, ids=lambda case: repr(case.config()))
def test_registered_rules_are_exactly_the_documents_lines(case: Case) -> None:
    """Ingress and egress, on both clouds: nothing more, nothing missing, no duplicate."""
    _check(run_main(case.config()), case.config())


@pytest.mark.parametrize("stack_file", STACKS, ids=lambda path: path.name)
def test_each_bundled_stack_registers_exactly_the_documents_lines(stack_file: Path) -> None:
    full = load_stack(stack_file).config
    config: dict[str, object] = {
        key.removeprefix(f"{PROJECT}:"): value
        for key, value in full.items()
        if key.startswith(f"{PROJECT}:")
    }
    stack = stack_file.name.removeprefix("Pulumi.").rsplit(".", 1)[0]
    _check(run_main(dict(full), stack=stack), config)


def test_the_largest_configuration_covers_every_line_of_the_document() -> None:
    # All roles and every condition on: each DocPort must contribute at least one rule,
    # so the expectation cannot silently lose a line the reader failed to condition.
    for cloud, case in LARGEST.items():
        found = registered_permissions(run_main(case.config()))
        for port in DOC_PORTS:
            if port.group != "all-in-one":
                assert any(_traces_to(rule, port) for rule in found), (cloud, port)
        all_in_one = Case(cloud, "dual", deployment="all-in-one").config()
        aio_found = registered_permissions(run_main(all_in_one))
        for port in DOC_PORTS:
            if port.group == "all-in-one":
                assert any(_traces_to(rule, port) for rule in aio_found), (cloud, port)


def _traces_to(rule: Permission, port: DocPort) -> bool:
    """Whether a registered rule opens a document line (in either family)."""
    if rule.group != port.group or rule.direction != "ingress":
        return False
    if port.protocol == "icmp":
        family = {"IPv4": 4, "IPv6": 6}.get(rule.family)
        icmp = {4: ("icmp",), 6: ("icmpv6", "ipv6-icmp")}
        return (
            family is not None
            and rule.protocol in icmp[family]
            and rule.low in ICMP_TYPES[port.line][family]
            and rule.high is None
        )
    return rule.protocol == port.protocol and (rule.low, rule.high) == port.ports


def test_each_rule_is_described_with_the_documents_service_name() -> None:
    for case in LARGEST.values():
        for rule in registered_rules(run_main(case.config())):
            if rule.permission.direction != "ingress":
                continue
            services = {port.service for port in DOC_PORTS if _traces_to(rule.permission, port)}
            assert any(service in rule.description for service in services), (
                rule.description,
                services,
            )


def test_internal_flows_reference_peer_groups_never_cidrs() -> None:
    world_facing = {"world", "ssh", "snmp"}
    for case in CASES[2:6]:
        for rule in registered_rules(run_main(case.config())):
            permission = rule.permission
            if permission.direction != "ingress" or permission.peer.startswith("group:"):
                continue
            # A CIDR peer must trace to a line open to the world, SSH or SNMP sources
            # (the same port may be internal under another line of the same group).
            assert any(
                _traces_to(permission, port) and port.source in world_facing for port in DOC_PORTS
            ), rule


# ==========================================================================
# The expectation and the reader keep what a coarser reading would lose


def test_the_expectation_spells_each_protocol_as_each_cloud_does() -> None:
    def rules(cloud: str) -> Counter[Permission]:
        return expected_rules({"cloud": cloud, "ipVersion": "dual"}, DOC_PORTS)

    aws, openstack = rules("aws"), rules("openstack")
    # ICMPv6 Packet Too Big, any code; IPv6 ICMP under each cloud's own name.
    assert Permission("all-nodes", "ingress", "IPv6", "icmpv6", 2, None, "::/0") in aws
    assert Permission("all-nodes", "ingress", "IPv6", "ipv6-icmp", 2, None, "::/0") in openstack
    # Echo Reply: on AWS, not on OpenStack (README: pulumi-openstack cannot send type 0).
    assert Permission("all-nodes", "ingress", "IPv4", "icmp", 0, None, "0.0.0.0/0") in aws
    assert not [p for p in openstack if p.protocol == "icmp" and p.low == 0]
    # Allow-all egress per family; a group peer is one AWS rule, one Neutron rule a family.
    assert Permission("all-nodes", "egress", "IPv6", "-1", None, None, "::/0") in aws
    assert Permission("all-nodes", "egress", "IPv6", None, None, None, "::/0") in openstack
    etcd = Permission("all-nodes", "ingress", ANY_FAMILY, "tcp", 2380, 2380, "group:all-nodes")
    assert etcd in aws
    assert dataclasses.replace(etcd, family="IPv4") in openstack
    assert dataclasses.replace(etcd, family="IPv6") in openstack


def _resource(type_: str, name: str, **inputs: object) -> Registered:
    return Registered(type_, name, f"urn:{name}", "", f"id-{name}", dict(inputs), False, False)


def _read(cloud: str, **inputs: object) -> RegisteredRule:
    if cloud == "aws":
        group = _resource(
            "aws:ec2/securityGroup:SecurityGroup", "g", tags={"clearwater:role": "all-nodes"}
        )
        rule = _resource(AWS_INGRESS, "r", securityGroupId=group.id, **inputs)
    else:
        group = _resource(
            "openstack:networking/secGroup:SecGroup", "g", tags=["clearwater:role=all-nodes"]
        )
        rule = _resource(OPENSTACK_RULE, "r", securityGroupId=group.id, **inputs)
    [found] = registered_rules(Recording(resources=[group, rule]))
    return found


def test_the_reader_keeps_icmpv6_apart_from_icmp_and_keeps_the_code() -> None:
    v6 = {"cidrIpv6": "::/0", "fromPort": 2.0}
    assert _read("aws", ipProtocol="icmpv6", toPort=-1.0, **v6).permission.protocol == "icmpv6"
    assert _read("aws", ipProtocol="icmp", toPort=-1.0, **v6).permission.protocol == "icmp"
    assert _read("aws", ipProtocol="icmpv6", toPort=-1.0, **v6).permission.high is None
    assert _read("aws", ipProtocol="icmpv6", toPort=0.0, **v6).permission.high == 0
    neutron = {"direction": "ingress", "ethertype": "IPv6", "remoteIpPrefix": "::/0"}
    ipv6_icmp = _read(
        "openstack", protocol="ipv6-icmp", portRangeMin=2.0, portRangeMax=0.0, **neutron
    )
    # gophercloud does not send the 0: Neutron stores no code, i.e. any code.
    assert (ipv6_icmp.permission.protocol, ipv6_icmp.permission.high) == ("ipv6-icmp", None)
    legacy = _read("openstack", protocol="icmp", portRangeMin=2.0, portRangeMax=0.0, **neutron)
    assert legacy.permission != ipv6_icmp.permission
    coded = _read("openstack", protocol="ipv6-icmp", portRangeMin=1.0, portRangeMax=4.0, **neutron)
    assert coded.permission.high == 4
    # An ICMP type 0 never reaches Neutron either: it would be stored as every type.
    every = _read("openstack", protocol="icmp", portRangeMin=0.0, portRangeMax=0.0, **neutron)
    assert (every.permission.low, every.permission.high) == (None, None)


def test_the_expectation_and_the_reader_are_independent_of_the_program() -> None:
    """Neither module may read the program's matrix, planner or inventory: only the
    recording.s types come from the offline runner."""
    for module in ("doc_reader.py", "registered.py"):
        tree = ast.parse((PROJECT_DIR / "tests" / module).read_text())
        imported = {
            node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
        } | {
            alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.Import)
            for alias in node.names
        }
        program = {name for name in imported if name.startswith("clearwater_sg")}
        assert program == set(), (module, program)
