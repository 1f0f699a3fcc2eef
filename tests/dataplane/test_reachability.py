"""The judge (harness/reachability.py) on hosts and rules written out here: what passes
is what both ends' rules let through, replies need no rule, and with split networks each
flow holds on the interface Clearwater's sources put it on."""

from __future__ import annotations

import pytest

from harness.doc_reader import Permission
from harness.reachability import (
    BOTH,
    MANAGEMENT,
    SIGNALING,
    SINGLE,
    Endpoint,
    Expected,
    Judge,
    Probe,
    interfaces,
    mismatches,
)

SPROUT = Endpoint("sprout-1", frozenset({"all-nodes", "sprout"}), True, {(SINGLE, 4): "10.99.0.10"})
VELLUM = Endpoint("vellum-1", frozenset({"all-nodes", "vellum"}), True, {(SINGLE, 4): "10.99.0.11"})
ELLIS = Endpoint("ellis-1", frozenset({"all-nodes", "ellis"}), True, {(SINGLE, 4): "10.99.0.12"})
WORLD = Endpoint("world", frozenset(), False, {(SINGLE, 4): "203.0.113.10"})
HOSTS = {h.name: h for h in (SPROUT, VELLUM, ELLIS, WORLD)}
CHRONOS = Permission("vellum", "ingress", "IPv4", "tcp", 7253, 7253, "group:sprout")
EVERYTHING_OUT = Permission("all-nodes", "egress", "IPv4", None, None, None, "0.0.0.0/0")
PING = Permission("all-nodes", "ingress", "IPv4", "icmp", 8, None, "0.0.0.0/0")
SSH = Permission("all-nodes", "ingress", "IPv4", "tcp", 22, 22, "203.0.113.0/24")


def _probe(source: str, target: str, protocol: str = "tcp", port: int | None = 7253) -> Probe:
    return Probe(source, target, SINGLE, 4, protocol, port)


def test_a_flow_passes_when_the_receivers_rules_admit_the_sender_and_the_senders_let_it_out() -> (
    None
):
    judge = Judge([CHRONOS, EVERYTHING_OUT, PING, SSH], HOSTS, split=False)
    assert judge.expected(_probe("sprout-1", "vellum-1")) is Expected.OPEN
    assert judge.expected(_probe("sprout-1", "vellum-1", port=7254)) is Expected.BLOCKED
    assert judge.expected(_probe("sprout-1", "vellum-1", "udp")) is Expected.BLOCKED
    assert judge.expected(_probe("ellis-1", "vellum-1")) is Expected.BLOCKED
    assert judge.expected(_probe("world", "vellum-1")) is Expected.BLOCKED
    # By address: the world host is in the SSH CIDR, a node is not.
    assert judge.expected(_probe("world", "sprout-1", port=22)) is Expected.OPEN
    assert judge.expected(_probe("vellum-1", "sprout-1", port=22)) is Expected.BLOCKED
    # ICMP echo from anywhere, nodes included; the reply needs no rule.
    assert judge.expected(_probe("vellum-1", "sprout-1", "icmp", None)) is Expected.OPEN
    # Nothing filters an outside host: a node may reach any of its ports.
    assert judge.expected(_probe("sprout-1", "world", port=9)) is Expected.OPEN


def test_without_an_egress_rule_nothing_leaves_a_node() -> None:
    judge = Judge([CHRONOS, PING], HOSTS, split=False)
    assert judge.expected(_probe("sprout-1", "vellum-1")) is Expected.BLOCKED
    assert judge.expected(_probe("sprout-1", "world", port=53)) is Expected.BLOCKED
    # The world's echo request enters; the node's reply leaves by connection tracking.
    assert judge.expected(_probe("world", "sprout-1", "icmp", None)) is Expected.OPEN
    mirrored = Permission("sprout", "egress", "IPv4", "tcp", 7253, 7253, "group:vellum")
    assert (
        Judge([CHRONOS, mirrored], HOSTS, split=False).expected(_probe("sprout-1", "vellum-1"))
        is Expected.OPEN
    )


@pytest.mark.parametrize(
    ("permission", "where"),
    [
        (Permission("all-nodes", "ingress", "IPv4", "tcp", 22, 22, "192.0.2.0/24"), {MANAGEMENT}),
        (Permission("all-nodes", "ingress", "IPv6", "udp", 161, 162, "fd00::/64"), {MANAGEMENT}),
        (Permission("homer", "ingress", "IPv4", "tcp", 7888, 7888, "group:ellis"), {MANAGEMENT}),
        (Permission("homer", "ingress", "IPv4", "tcp", 7888, 7888, "group:sprout"), {SIGNALING}),
        (Permission("homer", "ingress", "IPv4", "tcp", 7888, 7888, "0.0.0.0/0"), {SIGNALING}),
        (CHRONOS, {SIGNALING}),
        (Permission("sprout", "egress", "IPv4", "tcp", 7253, 7253, "group:vellum"), {SIGNALING}),
        (Permission("ellis", "egress", "IPv4", "tcp", 8889, 8889, "group:dime"), {MANAGEMENT}),
        (
            Permission("all-nodes", "egress", "IPv4", "tcp", 2380, 2380, "group:all-nodes"),
            {MANAGEMENT},
        ),
        (PING, BOTH),
        (EVERYTHING_OUT, BOTH),
        (Permission("all-nodes", "egress", "IPv4", "udp", 53, 53, "10.0.0.2/32"), BOTH),
        (Permission("all-nodes", "egress", "IPv4", "udp", 123, 123, "10.0.0.3/32"), {MANAGEMENT}),
        (Permission("sprout", "egress", "IPv4", "udp", 53, 53, "10.0.0.4/32"), {SIGNALING}),
        (Permission("bono", "egress", "IPv4", "udp", None, None, "10.0.0.5/32"), {SIGNALING}),
        (Permission("vellum", "egress", "IPv4", "tcp", 7000, 7000, "10.70.0.0/16"), {SIGNALING}),
        (Permission("sprout", "ingress", "IPv4", "tcp", 443, 443, "0.0.0.0/0"), set()),
    ],
    ids=str,
)
def test_split_networks_put_each_flow_where_the_sources_say(
    permission: Permission, where: set[str]
) -> None:
    assert interfaces(permission) == frozenset(where)


def test_a_mismatch_names_both_ends_the_protocol_the_port_and_both_verdicts() -> None:
    judge = Judge([CHRONOS, EVERYTHING_OUT], HOSTS, split=False)
    found = mismatches(
        judge,
        {
            _probe("sprout-1", "vellum-1"): "filtered",
            _probe("ellis-1", "vellum-1"): "open",
            _probe("sprout-1", "vellum-1", port=7254): "filtered",
            _probe("world", "vellum-1"): "error:no route",
        },
    )
    assert [str(m) for m in found] == [
        "MISMATCH ellis-1 -> vellum-1 IPv4 tcp/7253: expected blocked, seen open",
        "MISMATCH sprout-1 -> vellum-1 IPv4 tcp/7253: expected open, seen filtered",
        "MISMATCH world -> vellum-1 IPv4 tcp/7253: expected blocked, seen error:no route",
    ]


def test_a_flow_the_sources_place_on_neither_interface_must_pass_on_exactly_one() -> None:
    memento = Permission("sprout", "ingress", "IPv4", "tcp", 443, 443, "0.0.0.0/0")
    at = {(MANAGEMENT, 4): "10.98.0.10", (SIGNALING, 4): "10.99.0.10"}
    hosts = {
        "sprout-1": Endpoint("sprout-1", frozenset({"all-nodes", "sprout"}), True, at),
        "world": Endpoint("world", frozenset(), False, {(n, 4): "203.0.113.10" for n, _ in at}),
    }
    judge = Judge([memento], hosts, split=True)
    on = {n: Probe("world", "sprout-1", n, 4, "tcp", 443) for n in (MANAGEMENT, SIGNALING)}
    assert judge.expected(on[MANAGEMENT]) is Expected.ONE_INTERFACE
    assert mismatches(judge, {on[MANAGEMENT]: "filtered", on[SIGNALING]: "open"}) == []
    [both] = mismatches(judge, {on[MANAGEMENT]: "open", on[SIGNALING]: "open"})
    assert str(both) == (
        "MISMATCH world -> sprout-1 IPv4 tcp/443 on either: expected open on one interface, "
        "seen management open, signaling open"
    )
    assert len(mismatches(judge, {on[MANAGEMENT]: "filtered", on[SIGNALING]: "filtered"})) == 1
