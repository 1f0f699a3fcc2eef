"""The port matrix (`clearwater_sg.matrix`), through the real program: every rule the
program registers traces to a line of Clearwater's port document, and every line of the
document becomes a rule (under its condition) -- on both clouds; each flow beyond the
document (a profile, a peer site) is opt-in, exactly what the issue lists, sourced, and on
its interface when the networks are split.

Expectations come from harness/doc_reader.py's reading of the .rst (`expected_rules`),
never from the matrix or the planner. What the program registered is read from the raw
resource inputs by tests/registered.py, not by offline.inventory: the comparison
keeps the address family, the protocol as the cloud sees it (ICMPv6 apart from ICMP),
ports, ICMP type and code, and the peer.

Flows beyond the document are expected from the issue's own list (tests/beyond.py, and
`reference/beyond-the-port-doc.md`'s sources), never read from clearwater_sg's matrix:
each profile, each peer site and the split open exactly the listed flows and no more,
on both clouds and every ipVersion.
"""

from __future__ import annotations

import ast
import dataclasses
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from clearwater_sg.resources import AWS_GROUP, AWS_INGRESS, OPENSTACK_GROUP, OPENSTACK_RULE
from clearwater_sg.stack_file import load_stack
from harness import DOC, PROJECT, PROJECT_DIR, VPC, run_main
from harness.doc_reader import (
    ANY_FAMILY,
    ANYWHERE,
    ICMP_TYPES,
    DocPort,
    Permission,
    expected_rules,
    read_document,
    without_network,
)
from harness.largest import largest
from offline.runner import Recording, Registered
from tests.beyond import MANAGERS, PROFILES, SITE_B, base, families, split_config
from tests.registered import RegisteredRule, registered_permissions, registered_rules, tag_map

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
    """The largest configuration (harness/largest.py), as a case."""
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
    """Neither module may read the program's matrix, planner, backends or inventory: the
    recording's types come from the offline runner, and the reader of registrations takes
    only the type tokens, the names of what is registered, from the package."""
    allowed = {"harness/doc_reader.py": set(), "tests/registered.py": {"clearwater_sg.resources"}}
    for module, tokens in allowed.items():
        tree = ast.parse((PROJECT_DIR / module).read_text())
        imported = {
            node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
        } | {
            alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.Import)
            for alias in node.names
        }
        program = {name for name in imported if name.startswith("clearwater_sg")}
        assert program <= tokens, (module, program - tokens)


# ==========================================================================
# Flows beyond the port document

SITE_GROUP = {"aws": "sg-0cccccccccccccccc", "openstack": "12345678-aaaa-bbbb-cccc-0123456789ab"}
PEER_SITE = [
    ("vellum", "tcp", 7000),
    ("vellum", "tcp", 11311),
    ("sprout", "tcp", 5052),
    ("sprout", "tcp", 5054),
]
TIMERS = ("vellum", "tcp", 7253)
SOURCED = re.compile(r"\(Metaswitch/[\w.-]+ [^;()]+(; Metaswitch/[\w.-]+ [^;()]+)*\)$")
BEYOND_CASES = [(cloud, ip) for cloud in ("aws", "openstack") for ip in ("4", "6", "dual")]


def expected(
    cloud: str, ip: str, rows: list[tuple[str, str, int, str]], cidrs: dict[int, str]
) -> Counter[Permission]:
    """The permissions of `rows` as each cloud holds them."""
    found: Counter[Permission] = Counter()
    for group, protocol, port, source in rows:
        for family in families(ip):
            if source in ("world", "managers", "site"):
                peer = ANYWHERE[family] if source == "world" else cidrs[family]
                found[Permission(group, "ingress", f"IPv{family}", protocol, port, port, peer)] += 1
            elif cloud == "aws" and family == families(ip)[0]:  # one rule, both families
                found[
                    Permission(
                        group, "ingress", ANY_FAMILY, protocol, port, port, f"group:{source}"
                    )
                ] += 1
            elif cloud == "openstack":
                found[
                    Permission(
                        group, "ingress", f"IPv{family}", protocol, port, port, f"group:{source}"
                    )
                ] += 1
    return found


def groups(recording: Recording) -> dict[str, dict[str, Any]]:
    return {g.name: g.inputs for g in recording.resources if g.type in (AWS_GROUP, OPENSTACK_GROUP)}


@pytest.mark.parametrize("profile", sorted(PROFILES))
@pytest.mark.parametrize(("cloud", "ip"), BEYOND_CASES)
def test_each_profile_opens_exactly_its_flows_and_replaces_nothing(
    profile: str, cloud: str, ip: str
) -> None:
    extra: dict[str, object] = {"profiles": [profile]}
    if profile == "management-http":
        extra["managementSources"] = [MANAGERS[f] for f in families(ip)]
    without, with_ = run_main(base(cloud, ip)), run_main(base(cloud, ip, **extra))
    added = registered_permissions(with_) - registered_permissions(without)
    removed = registered_permissions(without) - registered_permissions(with_)
    assert removed == Counter()
    assert added == expected(cloud, ip, PROFILES[profile], MANAGERS)
    assert groups(with_) == groups(without), "a profile changed a group"


@pytest.mark.parametrize(("cloud", "ip"), BEYOND_CASES)
@pytest.mark.parametrize("timers", [False, True])
def test_a_peer_site_opens_exactly_the_geographic_redundancy_flows(
    cloud: str, ip: str, timers: bool
) -> None:
    site = [SITE_B[f] for f in families(ip)] + [SITE_GROUP[cloud]]
    extra: dict[str, object] = {"peerSites": {"site-b": site}}
    if timers:
        extra["replicateTimersAcrossSites"] = True
    without, with_ = run_main(base(cloud, ip)), run_main(base(cloud, ip, **extra))
    added = registered_permissions(with_) - registered_permissions(without)
    rows = [(*row, "site") for row in PEER_SITE + ([TIMERS] if timers else [])]
    want = expected(cloud, ip, rows, SITE_B)
    group_families = [ANY_FAMILY] if cloud == "aws" else [f"IPv{f}" for f in families(ip)]
    for group, protocol, port, _ in rows:
        for family in group_families:
            peer = f"external:{SITE_GROUP[cloud]}"
            want[Permission(group, "ingress", family, protocol, port, port, peer)] += 1
    assert added == want
    assert not any(p.low in (2380, 4000) for p in added), "etcd never crosses sites"
    assert groups(with_) == groups(without)
    names = {rule.resource for rule in registered_rules(with_)} - {
        rule.resource for rule in registered_rules(without)
    }
    assert all("-from-site-b-" in name for name in names), "the label names the rules"


def test_every_added_rule_names_its_repository_and_file() -> None:
    config = base(
        "aws",
        "4",
        profiles=sorted(PROFILES),
        managementSources=[MANAGERS[4]],
        peerSites={"site-b": [SITE_B[4]]},
        replicateTimersAcrossSites=True,
    )
    before = {r.resource for r in registered_rules(run_main(base("aws", "4")))}
    added = [r for r in registered_rules(run_main(config)) if r.resource not in before]
    assert len(added) == 15
    for rule in added:
        # "... (Metaswitch/<repository> <file>[; Metaswitch/<repository> <file>])"
        assert SOURCED.search(rule.description), rule.description
        assert len(rule.description) <= 255


# --- networks: split ----------------------------------------------------------------------


MANAGEMENT_ONLY = {22, 161, 2380, 4000, 9886, 8886}  # SSH, SNMP, etcd, management APIs
SIGNALING_ONLY = {3478, 5060, 5062, 32768}  # STUN, SIP, RTP


@pytest.mark.parametrize(("cloud", "ip"), BEYOND_CASES)
def test_split_puts_each_flow_on_its_interface_and_the_union_is_the_single_matrix(
    cloud: str, ip: str
) -> None:
    single = registered_permissions(run_main(split_config(cloud, ip, "single")))
    split_recording = run_main(split_config(cloud, ip, "split"))
    split = registered_permissions(split_recording)
    for permission in split:
        network = "management" if permission.group.endswith("-management") else "signaling"
        assert permission.group.endswith(f"-{network}")
        if permission.peer.startswith("group:"):
            assert permission.peer.endswith(f"-{network}"), "a peer on the other interface"
        if network == "signaling":
            assert permission.low not in MANAGEMENT_ONLY, permission
        else:
            assert permission.low not in SIGNALING_ONLY, permission
    union = Counter(without_network(p) for p in split)
    # ICMP and the egress are on both interfaces; everything else on exactly one.
    doubled = Counter(
        {p: 1 for p in single if p.protocol in ("icmp", "icmpv6", "ipv6-icmp", "-1", None)}
    )
    assert union == single + doubled
    tags = [tag_map(g["tags"]) for g in groups(split_recording).values()]
    assert sorted(t["clearwater:network"] for t in tags) == sorted(["management", "signaling"] * 8)


# ==========================================================================
# The repository's copy of the document

# Where the development machines and CI keep the original, to compare the copy with.
SHARED_DOC = PROJECT_DIR.parent / "shared" / "reference" / DOC.name
if SHARED_DOC.exists():
    # Only where the original lies beside the clone (the development machines and their
    # CI); a user's clone has no ../shared, and there is nothing to compare with.

    def test_the_repositorys_copy_of_the_port_document_is_clearwaters() -> None:
        assert DOC.read_text() == SHARED_DOC.read_text()
