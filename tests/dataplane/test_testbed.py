"""The test bed's plan (harness/testbed.py), from configurations alone: where each host
goes, which roles get two nodes, which ports are probed, and which pairs."""

from __future__ import annotations

import ipaddress
from typing import Any

from harness import DOC
from harness.doc_reader import expected_rules, read_document
from harness.reachability import MANAGEMENT, SIGNALING, SINGLE
from harness.testbed import UNOPENED, Plan, plan

PORTS = read_document(DOC)
STAGING = {
    "cloud": "openstack",
    "ipVersion": "dual",
    "sshSources": ["192.0.2.0/24", "2001:db8:100::/56"],
}


def _plan(config: dict[str, Any]) -> Plan:
    return plan(config, expected_rules(config, PORTS))


def _in(address: str, network: str) -> bool:
    return ipaddress.ip_address(address) in ipaddress.ip_network(network)


def test_each_role_gets_a_node_and_a_role_that_admits_its_own_group_two() -> None:
    hosts = _plan(STAGING).hosts
    nodes = sorted(name for name, host in hosts.items() if host.kind == "node")
    # Bono admits Bono (TCP/5058), Vellum admits Vellum (Cassandra, Memcached, Chronos).
    assert nodes == [
        *("bono-1", "bono-2", "dime-1", "ellis-1", "homer-1", "sprout-1", "vellum-1", "vellum-2"),
    ]
    assert hosts["sprout-1"].groups == {"all-nodes", "sprout"}
    # One role: etcd between the nodes of all-nodes needs two of them.
    alone = _plan({"cloud": "openstack", "deployment": "all-in-one"}).hosts
    assert sorted(n for n, h in alone.items() if h.kind == "node") == [
        "all-in-one-1",
        "all-in-one-2",
    ]


def test_outside_hosts_stand_in_their_cidrs_and_nodes_in_none_of_the_narrow_ones() -> None:
    hosts = _plan(STAGING).hosts
    ssh = hosts["ssh"].addresses
    assert _in(ssh[(SINGLE, 4)], "192.0.2.0/24") and _in(ssh[(SINGLE, 6)], "2001:db8:100::/56")
    assert hosts["world"].stands_for == ("world",)
    for node in (h for h in hosts.values() if h.kind == "node"):
        assert not _in(node.addresses[(SINGLE, 4)], "192.0.2.0/24")


def test_a_source_inside_the_usual_node_subnet_moves_the_nodes_elsewhere() -> None:
    config = {"cloud": "openstack", "sshSources": ["10.99.0.5/32"], "worldCidrs": ["10.0.0.0/8"]}
    result = _plan(config)
    assert result.subnets[(SINGLE, 4)] != "10.99.0.0/24"
    assert result.hosts["ssh"].addresses[(SINGLE, 4)] == "10.99.0.5"
    # A host outside every configured CIDR, to be refused what only those may reach.
    outsider = result.hosts["outsider"].addresses[(SINGLE, 4)]
    assert not _in(outsider, "10.0.0.0/8")


def test_a_cidr_with_no_address_a_host_can_hold_is_reported_not_hidden() -> None:
    result = _plan({"cloud": "openstack", "sshSources": ["127.0.0.0/8", "224.0.0.0/4"]})
    assert result.unplaced == (
        "127.0.0.0/8 (ssh): no usable address in it",
        "224.0.0.0/4 (ssh): no usable address in it",
    )


def test_a_source_given_as_a_group_id_gets_a_member_of_that_group() -> None:
    group = "5fc292ae-5c8b-1b44-25ef-f13db51c31d5"
    result = _plan(
        {"cloud": "openstack", "roles": ["homer"], "sshSourceGroups": {"bastion": group}}
    )
    [member] = [h for h in result.hosts.values() if h.kind == "member"]
    assert member.groups == {f"external:{group}"} and member.stands_for == (group, "ssh")
    assert not member.receives and all(p.target != member.name for p in result.probes())


def test_every_documented_port_its_neighbours_and_a_sample_nobody_opens_are_probed() -> None:
    ports = set(_plan(STAGING).ports)
    assert {("tcp", 7252), ("tcp", 7253), ("tcp", 7254)} <= ports
    # RTP, UDP 32768-65535: both ends, the middle and the port below.
    assert {("udp", 32767), ("udp", 32768), ("udp", 49151), ("udp", 65535)} <= ports
    assert set(UNOPENED) <= ports


def test_probes_run_between_every_pair_but_two_hosts_nothing_filters() -> None:
    result = _plan(STAGING)
    probes = result.probes()
    pairs = {(p.source, p.target) for p in probes}
    assert ("world", "ssh") not in pairs and ("ssh", "world") not in pairs
    assert ("sprout-1", "world") in pairs and ("world", "sprout-1") in pairs
    per_pair = len(result.ports) + 1  # and an ICMP echo
    assert len(probes) == len(pairs) * per_pair * 2  # IPv4 and IPv6


def test_split_networks_give_each_host_an_address_on_both() -> None:
    result = _plan({**STAGING, "networks": "split"})
    assert result.networks == (MANAGEMENT, SIGNALING)
    assert set(result.hosts["sprout-1"].addresses) == {
        (network, family) for network in (MANAGEMENT, SIGNALING) for family in (4, 6)
    }
    assert result.subnets[(MANAGEMENT, 4)] != result.subnets[(SIGNALING, 4)]
