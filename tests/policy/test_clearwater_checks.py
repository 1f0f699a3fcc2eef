"""The policy pack's checks (`policy/clearwater_checks.py`), plain functions of (resource
type, props), called here directly: each policy fires on a bad resource, whatever shape
the rule is written in and however the internet is split into pieces (what counts as the
world is `clearwater_sg.world`'s), reads a protocol as the clouds do and refuses one they
would fail on, and stays quiet on the resources this project's stacks register. The
pack as pulumi-policy and the CLI run it, following prefix lists and address groups with
the stack in view: test_clearwater_pack.py."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from harness import aws, run_main
from tests.helpers import BGCF, STACK_FILES
from tests.policy.helpers import (
    AWS_DEFAULT_GROUP,
    AWS_EGRESS,
    AWS_GROUP,
    AWS_INGRESS,
    AWS_RULE,
    DESCRIPTION,
    EGRESS,
    INLINE,
    INTERNAL,
    MANAGEMENT,
    MANAGEMENT_API,
    OPENSTACK_RULE,
    PROTOCOL,
    aws_ingress,
    aws_rule,
    checks,
    fired,
    openstack_ingress,
    registrations,
)

# Read from Clearwater_IP_Port_Usage.rst: the TCP ports it opens only to other nodes
# (etcd; Bono's, Sprout's and application servers' internal SIP; Chronos; Dime's, Homer's
# RESTful interfaces; Vellum's Cassandra, Memcached and Astaire).
DOC_INTERNAL_TCP = frozenset(
    (2380, 4000, 5052, 5054, 5058, 7000, 7253, 7888, 8888, 8889, 9160, 9888, 10888, 11211, 11311)
)


def test_internal_ports_are_the_documents_peer_only_ports() -> None:
    # And, beyond the document, the trusted application servers' UDP ports (issue 10).
    assert set(checks.INTERNAL_PORTS) == {("tcp", port) for port in DOC_INTERNAL_TCP} | {
        ("udp", 5054),
        ("udp", 5058),
    }
    # SSH and SNMP; apart, the management-http profile's management APIs.
    assert set(checks.MANAGEMENT_PORTS) == {("tcp", 22), ("udp", 161), ("udp", 162)}
    assert set(checks.MANAGEMENT_API_PORTS) == {("tcp", 9886), ("tcp", 8886)}


def test_homers_ut_port_faces_the_world_only_for_a_stack_that_uses_the_ut_profile() -> None:
    rule = aws_ingress(7888, "0.0.0.0/0")
    assert checks.internal_port_open_to_world(AWS_INGRESS, rule) != []
    assert checks.internal_port_open_to_world(AWS_INGRESS, rule, profiles=["ut"]) == []
    # The profile opens 7888 only: Cassandra stays internal.
    cassandra = aws_ingress(9160, "0.0.0.0/0")
    assert checks.internal_port_open_to_world(AWS_INGRESS, cassandra, profiles=["ut"]) != []


@pytest.mark.parametrize("port", [9886, 8886])
def test_the_management_apis_may_never_face_the_world(port: int) -> None:
    assert fired(AWS_INGRESS, aws_ingress(port, "0.0.0.0/0")) == {MANAGEMENT_API}
    assert fired(AWS_INGRESS, aws_ingress(port, "10.60.0.0/24")) == set()


@pytest.mark.parametrize("port", sorted(DOC_INTERNAL_TCP))
@pytest.mark.parametrize("cidr", ["0.0.0.0/0", "::/0"])
def test_an_internal_port_open_to_the_world_is_refused(port: int, cidr: str) -> None:
    assert fired(AWS_INGRESS, aws_ingress(port, cidr)) == {INTERNAL}


@pytest.mark.parametrize(
    ("resource_type", "props"),
    [
        # Every port, every protocol, or a range spanning internal ports.
        (AWS_INGRESS, aws_ingress(0, ipProtocol="-1", fromPort=None, toPort=None)),
        (AWS_INGRESS, aws_ingress(5000, toPort=6000)),
        (AWS_INGRESS, aws_ingress(9160, ipProtocol="6")),
        (
            AWS_RULE,
            {"type": "ingress", "protocol": "tcp", "fromPort": 7000, "toPort": 7000}
            | {"cidrBlocks": ["10.0.0.0/8", "0.0.0.0/0"], "description": "x"},
        ),
        (
            AWS_RULE,
            {"type": "ingress", "protocol": "all", "fromPort": 0, "toPort": 0}
            | {"ipv6CidrBlocks": ["::/0"], "description": "x"},
        ),
        (OPENSTACK_RULE, openstack_ingress(9888, remoteIpPrefix="0.0.0.0/0")),
        (OPENSTACK_RULE, openstack_ingress(None, remoteIpPrefix="::/0", ethertype="IPv6")),
        (OPENSTACK_RULE, openstack_ingress(11211)),  # no remote at all: anyone
        (OPENSTACK_RULE, openstack_ingress(None, protocol=None, remoteIpPrefix="0.0.0.0/0")),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_world_openings_of_every_rule_shape_are_seen(
    resource_type: str, props: Mapping[str, Any]
) -> None:
    assert INTERNAL in fired(resource_type, props)


@pytest.mark.parametrize(
    ("resource_type", "props"),
    [
        (AWS_INGRESS, aws_ingress(5060)),  # SIP is for the world
        (AWS_INGRESS, aws_ingress(5058, "10.0.0.0/8")),
        (AWS_INGRESS, aws_ingress(5058, referencedSecurityGroupId="sg-0aaa", cidrIpv4=None)),
        (OPENSTACK_RULE, openstack_ingress(5058, remoteGroupId="f6b0c2a4-aaaa")),
        (OPENSTACK_RULE, openstack_ingress(None, protocol="icmp", remoteIpPrefix="0.0.0.0/0")),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_allowed_flows_pass(resource_type: str, props: Mapping[str, Any]) -> None:
    assert fired(resource_type, props) == set()


def test_the_message_names_the_port_and_what_it_is_for() -> None:
    ((_, message),) = checks.violations(AWS_INGRESS, aws_ingress(9160, "::/0"))
    assert "TCP/9160" in message and "Cassandra" in message and "::/0" in message


# --- What counts as the world: any CIDR that includes an internet address ---------------

# Sources that hold internet addresses but are not 0.0.0.0/0 or ::/0.
INTERNET_PIECES = [
    "0.0.0.0/1",  # the IPv4 internet in two halves
    "128.0.0.0/1",
    "0.0.0.0/2",
    "192.0.0.0/2",
    "8.0.0.0/7",  # a large public block
    "1.0.0.0/8",
    "198.41.0.4/32",  # one public address
    "10.0.0.0/7",  # 10.0.0.0/8 and the public 11.0.0.0/8
    "172.16.0.0/11",  # 172.16.0.0/12 and the public 172.0.0.0/12
    "192.168.0.0/15",  # 192.168.0.0/16 and the public 192.169.0.0/16
    "100.0.0.0/8",  # shared address space 100.64.0.0/10 and public space around it
    "192.0.0.9/32",  # PCP anycast: globally reachable inside 192.0.0.0/24
    "224.0.0.0/4",  # multicast is not private space either
    "::/1",  # the IPv6 internet in two halves
    "8000::/1",
    "2000::/3",  # global unicast
    "2001::/32",  # Teredo: internet hosts tunnelled over IPv4
    "2001:db8::/31",  # documentation space and the public 2001:db9::/32
    "::ffff:0:0/96",  # every IPv4 address, IPv4-mapped
    "::ffff:8.8.8.0/120",
    "64:ff9b::/96",  # NAT64: the IPv4 internet, translated
]
# 0.0.0.0/0 and ::/0 as they may also be written.
WORLD_SPELLINGS = ["1.2.3.4/0", "0.0.0.0/00", "::0/0", "0:0:0:0:0:0:0:0/0", "2001:db8::/000"]
# Not `address/prefix-length`: what a cloud makes of them is not certain, so the world.
UNREADABLE = [
    "0/0",
    "0.0/0",
    "000.000.000.000/0",
    " 0.0.0.0/0",
    "0.0.0.0/0 ",
    "0.0.0.0/0.0.0.0",
    "0.0.0.0/+0",
    "0.0.0.0",
    "::",
    "fe80::%eth0/64",
    "anywhere",
]
# Wholly inside private, shared, reserved or documentation space.
NOT_THE_WORLD = [
    "10.0.0.0/8",
    "10.1.2.3/8",  # host bits set: the clouds drop them
    "172.16.0.0/12",
    "192.168.0.0/16",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "0.0.0.0/8",
    "192.0.0.0/29",
    "198.18.0.0/15",
    "240.0.0.0/4",
    "192.0.2.0/24",  # documentation: this project's stacks use it for operators' networks
    "198.51.100.0/24",
    "203.0.113.0/24",
    "fc00::/7",
    "fd12:3456:789a::/48",
    "fe80::/10",
    "::1/128",
    "2001:db8::/32",
    "2001:db8:100::/56",
    "3fff::/20",
    "::ffff:10.0.0.0/104",
    "::ffff:192.168.0.0/112",
]


def every_shape(port: int, cidr: str) -> list[tuple[str, dict[str, Any]]]:
    """An ingress rule for `port` from `cidr` as each resource type writes it."""
    ethertype = "IPv6" if ":" in cidr else "IPv4"
    block = {"protocol": "tcp", "fromPort": port, "toPort": port, "cidrBlocks": [cidr]}
    return [
        (AWS_INGRESS, aws_ingress(port, cidr)),
        (AWS_RULE, aws_rule(port, cidr)),
        (AWS_GROUP, {"ingress": [block]}),
        (OPENSTACK_RULE, openstack_ingress(port, remoteIpPrefix=cidr, ethertype=ethertype)),
    ]


@pytest.mark.parametrize("cidr", INTERNET_PIECES + WORLD_SPELLINGS + UNREADABLE)
def test_any_source_that_includes_an_internet_address_is_the_world(cidr: str) -> None:
    for resource_type, props in every_shape(7000, cidr):
        assert INTERNAL in fired(resource_type, props), resource_type
    for resource_type, props in every_shape(22, cidr):
        assert MANAGEMENT in fired(resource_type, props), resource_type


@pytest.mark.parametrize("cidr", NOT_THE_WORLD)
def test_a_source_wholly_inside_non_global_space_is_not_the_world(cidr: str) -> None:
    for port in (7000, 22):
        for resource_type, props in every_shape(port, cidr):
            assert fired(resource_type, props) <= {INLINE}, (resource_type, port)


def test_the_internet_split_into_pieces_is_refused_piece_by_piece() -> None:
    halves = ("0.0.0.0/1", "128.0.0.0/1", "::/1", "8000::/1")
    messages = checks.internal_port_open_to_world(AWS_RULE, aws_rule(9160, *halves))
    assert [half for half in halves for message in messages if f"open to {half} " in message] == [
        *halves
    ]
    # Every /8 of IPv4 holds internet addresses but "this network", 10/8, loopback and
    # the reserved 240.0.0.0/4.
    refused = {
        first
        for first in range(256)
        if INTERNAL in fired(AWS_INGRESS, aws_ingress(9160, f"{first}.0.0.0/8"))
    }
    assert set(range(256)) - refused == {0, 10, 127, *range(240, 256)}


def test_the_message_says_which_internet_addresses_a_cidr_includes() -> None:
    ((_, message),) = checks.violations(AWS_INGRESS, aws_ingress(2380, "10.1.0.0/7"))
    assert message.startswith(
        "open to 10.1.0.0/7 (that is, 10.0.0.0/7, which includes internet addresses such as "
        "11.0.0.0/8): TCP/2380 (All nodes: etcd)"
    )
    ((_, message),) = checks.violations(AWS_INGRESS, aws_ingress(22, "0/0"))
    assert "'0/0' (not a CIDR" in message and "TCP/22" in message


@pytest.mark.parametrize(
    ("resource_type", "props"),
    [
        # Neutron's "any" protocol, by name and by number.
        (OPENSTACK_RULE, openstack_ingress(None, protocol="any", remoteIpPrefix="0.0.0.0/1")),
        (OPENSTACK_RULE, openstack_ingress(None, protocol="0", remoteIpPrefix="::/1")),
        # A protocol number sent as a number; an upper-case name.
        (OPENSTACK_RULE, openstack_ingress(7000, protocol=6.0, remoteIpPrefix="8.0.0.0/7")),
        (AWS_INGRESS, aws_ingress(7000, "8000::/1", ipProtocol="TCP")),
        # AWS ignores the ports of an all-protocols rule.
        (AWS_INGRESS, aws_ingress(22, "128.0.0.0/1", ipProtocol="-1")),
        (AWS_RULE, aws_rule(80, "0.0.0.0/2", protocol="all")),
        # A port range with an internal port inside it; a range with no upper bound.
        (AWS_INGRESS, aws_ingress(2000, "2000::/3", toPort=3000)),
        (OPENSTACK_RULE, openstack_ingress(None, remoteIpPrefix="1.0.0.0/8", portRangeMin=7000)),
        # Neutron: an empty remote prefix and no remote group admit anyone.
        (OPENSTACK_RULE, openstack_ingress(7000, remoteIpPrefix="")),
        # A VPC's default security group, with inline rules like any other group.
        (
            AWS_DEFAULT_GROUP,
            {"ingress": [{"protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["::/1"]}]},
        ),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_every_way_of_writing_an_internal_port_is_seen(
    resource_type: str, props: Mapping[str, Any]
) -> None:
    assert INTERNAL in fired(resource_type, props)


@pytest.mark.parametrize("description", [None, "", "   "])
@pytest.mark.parametrize("resource_type", [AWS_INGRESS, AWS_EGRESS, AWS_RULE, OPENSTACK_RULE])
def test_a_rule_without_a_description_is_refused(
    resource_type: str, description: str | None
) -> None:
    props = {"ipProtocol": "tcp", "fromPort": 80, "toPort": 80, "cidrIpv4": "10.0.0.0/8"}
    if description is not None:
        props["description"] = description
    assert fired(resource_type, props) == {DESCRIPTION}
    assert fired(resource_type, props | {"description": "Web UI from the world"}) == set()


@pytest.mark.parametrize("field", ["ingress", "egress"])
def test_inline_rules_in_a_security_group_are_refused(field: str) -> None:
    block = {"protocol": "tcp", "fromPort": 80, "toPort": 80, "cidrBlocks": ["10.0.0.0/8"]}
    group = {"name": "web", "description": "web", "vpcId": "vpc-0123456789abcdef0"}
    assert fired(AWS_GROUP, group | {field: [block]}) == {INLINE}
    assert fired(AWS_GROUP, group | {field: []}) == set()
    assert fired(AWS_GROUP, group) == set()


def test_an_inline_rule_opening_an_internal_port_is_refused_twice() -> None:
    block = {"protocol": "tcp", "fromPort": 2380, "toPort": 2380, "cidrBlocks": ["0.0.0.0/0"]}
    assert fired(AWS_GROUP, {"ingress": [block]}) == {INLINE, INTERNAL}


@pytest.mark.parametrize(
    ("resource_type", "props"),
    [
        (AWS_INGRESS, aws_ingress(22)),
        (AWS_INGRESS, aws_ingress(161, "::/0", ipProtocol="udp", toPort=162)),
        (OPENSTACK_RULE, openstack_ingress(162, protocol="udp", remoteIpPrefix="0.0.0.0/0")),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_ssh_or_snmp_open_to_the_world_is_advised_against(
    resource_type: str, props: Mapping[str, Any]
) -> None:
    assert fired(resource_type, props) == {MANAGEMENT}


def test_ssh_from_a_bastion_network_passes() -> None:
    assert fired(AWS_INGRESS, aws_ingress(22, "192.0.2.0/24")) == set()
    assert fired(OPENSTACK_RULE, openstack_ingress(22, remoteIpPrefix="192.0.2.0/24")) == set()


def registered(stack_file: Path) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for resource_type, name, _, props in registrations(stack_file):
        yield resource_type, name, props


@pytest.mark.parametrize("stack_file", STACK_FILES, ids=lambda path: path.name)
def test_our_stacks_pass_every_mandatory_policy(stack_file: Path) -> None:
    seen_rules = 0
    for resource_type, name, props in registered(stack_file):
        seen_rules += resource_type in checks.RULE_TYPES
        mandatory = [
            (policy.name, message)
            for policy, message in checks.violations(resource_type, props)
            if policy.mandatory
        ]
        assert mandatory == [], name
    assert seen_rules > 0


def test_only_the_labs_ssh_from_the_world_draws_advice() -> None:
    # aio-lab leaves sshSources unset: SSH stays open to the world, as the document says.
    advised = {
        (stack_file.name, name)
        for stack_file in STACK_FILES
        for resource_type, name, props in registered(stack_file)
        if MANAGEMENT in fired(resource_type, props)
    }
    assert advised == {("Pulumi.aio-lab.yaml", "clearwater-all-nodes-in-tcp-22-from-0.0.0.0_0")}


def test_the_policy_pack_forbids_an_extra_rule_toward_an_internal_port_from_the_world() -> None:
    cassandra = {**BGCF, "ports": "9160", "sources": ["0.0.0.0/0"], "description": "debug"}
    recording = run_main(aws(extraRules={"vellum": [cassandra]}))
    (rule,) = [
        r
        for r in recording.resources
        if r.type == AWS_INGRESS and r.inputs.get("fromPort") == 9160 and r.inputs.get("cidrIpv4")
    ]
    assert checks.internal_port_open_to_world(rule.type, rule.inputs) != []


@pytest.mark.parametrize(
    ("resource_type", "props", "advised"),
    [
        (AWS_EGRESS, {"ipProtocol": "-1", "cidrIpv4": "0.0.0.0/0", "description": "d"}, True),
        (AWS_EGRESS, {"ipProtocol": "-1", "cidrIpv6": "::/0", "description": "d"}, True),
        (AWS_EGRESS, {"ipProtocol": "udp", "fromPort": 53, "toPort": 53,
                      "cidrIpv4": "0.0.0.0/0", "description": "d"}, False),
        (AWS_EGRESS, {"ipProtocol": "-1", "cidrIpv4": "10.0.0.0/8", "description": "d"}, False),
        (AWS_RULE, {"type": "egress", "protocol": "-1", "fromPort": 0, "toPort": 0,
                    "cidrBlocks": ["0.0.0.0/0"], "description": "d"}, True),
        (AWS_DEFAULT_GROUP, {"egress": [{"protocol": "-1", "fromPort": 0, "toPort": 0,
                                         "cidrBlocks": ["0.0.0.0/0"]}]}, True),
        (OPENSTACK_RULE, {"direction": "egress", "ethertype": "IPv4", "description": "d"}, True),
        (OPENSTACK_RULE, {"direction": "egress", "ethertype": "IPv4",
                          "remoteIpPrefix": "0.0.0.0/0", "description": "d"}, True),
        # Every port of TCP is nearly all: advised (a Neutron rule without ports has all).
        (OPENSTACK_RULE, {"direction": "egress", "ethertype": "IPv4", "protocol": "tcp",
                          "remoteIpPrefix": "0.0.0.0/0", "description": "d"}, True),
        (OPENSTACK_RULE, {"direction": "egress", "ethertype": "IPv4", "protocol": "tcp",
                          "portRangeMin": 443, "portRangeMax": 443,
                          "remoteIpPrefix": "0.0.0.0/0", "description": "d"}, False),
        (OPENSTACK_RULE, {"direction": "egress", "ethertype": "IPv4",
                          "remoteGroupId": "abc", "description": "d"}, False),
    ],
)  # fmt: skip
def test_allow_all_egress_is_advised_against(
    resource_type: str, props: Mapping[str, Any], advised: bool
) -> None:
    """Advised against, never refused: allow-all egress is what clouds give a new group
    (the egress cases here draw no other policy)."""
    assert fired(resource_type, props) == ({EGRESS} if advised else set())


def test_restricted_egress_draws_no_egress_advice() -> None:
    for config in (aws(), aws(egress="restricted", egressDestinations={"dns": ["10.0.0.2/32"]})):
        advised = [r.name for r in run_main(config).resources if EGRESS in fired(r.type, r.inputs)]
        assert bool(advised) is (config == aws())


# --- Protocols, as the clouds read them ---------------------------------------------------


@pytest.mark.parametrize("protocol", ["06", "006", 6.0, "6", "TCP"])
def test_a_protocol_number_is_read_by_its_value(protocol: object) -> None:
    """Neutron reads "06" as 6 (int("06")): Cassandra to the world, by any spelling of TCP."""
    rule = openstack_ingress(7000, protocol=protocol, remoteIpPrefix="0.0.0.0/0")
    assert INTERNAL in fired(OPENSTACK_RULE, rule)
    assert INTERNAL in fired(AWS_INGRESS, aws_ingress(7000, ipProtocol=protocol))


@pytest.mark.parametrize(
    ("protocol", "refused"),
    [
        ("06", True),  # Neutron stores it as written and answers HTTP 500 (tests/engine)
        ("017", True),
        ("256", True),
        ("+6", True),
        (" 6", True),
        ("tcpp", True),
        ("6", False),
        (6.0, False),
        ("tcp", False),
        ("TCP", False),
        ("ipv6-icmp", False),
        ("-1", False),
        ("0", False),
        (None, False),
    ],
)
def test_a_protocol_the_clouds_refuse_or_misread_is_a_violation(
    protocol: object, refused: bool
) -> None:
    """Wherever the rule opens: a private source does not make "06" pass."""
    neutron = openstack_ingress(5060, protocol=protocol, remoteIpPrefix="10.0.0.0/8")
    aws = aws_ingress(5060, "10.0.0.0/8", ipProtocol=protocol)
    block = {"protocol": protocol, "fromPort": 5060, "toPort": 5060, "cidrBlocks": ["10.0.0.0/8"]}
    for resource_type, props in [
        (OPENSTACK_RULE, neutron),
        (AWS_INGRESS, aws),
        (AWS_RULE, aws_rule(5060, "10.0.0.0/8", protocol=protocol)),
        (AWS_DEFAULT_GROUP, {"ingress": [block]}),
    ]:
        assert (PROTOCOL in fired(resource_type, props)) is refused, (resource_type, protocol)


def test_the_protocol_message_says_what_to_write() -> None:
    (message,) = checks.protocol_not_readable(OPENSTACK_RULE, openstack_ingress(22, protocol="06"))
    assert "'06'" in message and "write 6 (tcp)" in message


# --- Near-allow-all egress ----------------------------------------------------------------


def egress(destination: str, protocol: str, ports: tuple[int, int] | None) -> dict[str, Any]:
    rule: dict[str, Any] = {"ipProtocol": protocol, "cidrIpv4": destination, "description": "d"}
    if ports is not None:
        rule |= {"fromPort": ports[0], "toPort": ports[1]}
    return rule


@pytest.mark.parametrize(
    ("props", "advised"),
    [
        # The internet in halves, every protocol: each half is the world.
        (egress("0.0.0.0/1", "-1", None), True),
        (egress("128.0.0.0/1", "-1", None), True),
        # Every port of TCP, or of UDP: nearly everything out.
        (egress("0.0.0.0/0", "tcp", (0, 65535)), True),
        (egress("0.0.0.0/0", "udp", (1, 65535)), True),
        (egress("8.0.0.0/7", "6", (1, 65535)), True),
        # A named flow, or everything toward your own network.
        (egress("0.0.0.0/0", "udp", (53, 53)), False),
        (egress("0.0.0.0/0", "tcp", (1, 65534)), False),
        (egress("10.0.0.0/8", "tcp", (0, 65535)), False),
    ],
)
def test_near_allow_all_egress_is_advised_against(props: dict[str, Any], advised: bool) -> None:
    assert fired(AWS_EGRESS, props) == ({EGRESS} if advised else set())


def test_every_port_egress_message_names_the_protocol() -> None:
    (message,) = checks.allow_all_egress(AWS_EGRESS, egress("0.0.0.0/0", "udp", (0, 65535)))
    assert message.startswith("lets every UDP port (1-65535) out to 0.0.0.0/0;")


# --- A prefix list or address group is judged with the stack in view ---------------------


@pytest.mark.parametrize(
    ("resource_type", "props"),
    [
        (AWS_INGRESS, aws_ingress(7000, cidrIpv4=None, prefixListId="pl-0a1b2c3d4e5f60718")),
        (OPENSTACK_RULE, openstack_ingress(7000, remoteAddressGroupId="ad-0000")),
        (AWS_RULE, aws_rule(7000, prefixListIds=["pl-0a1b2c3d4e5f60718"])),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_one_resource_alone_leaves_its_prefix_list_or_address_group_to_the_stack(
    resource_type: str, props: Mapping[str, Any]
) -> None:
    """Alone, a rule cannot say what its list holds; the stack's judgement follows it
    (test_clearwater_pack.py), and counts the world when the stack does not say."""
    assert fired(resource_type, props) == set()
    follow_to_the_world = checks.internal_port_open_to_world(
        resource_type, props, follow=lambda rule: ["0.0.0.0/0"]
    )
    assert len(follow_to_the_world) == 1 and "which holds 0.0.0.0/0" in follow_to_the_world[0]
    unknowable = checks.internal_port_open_to_world(resource_type, props, follow=lambda rule: None)
    assert len(unknowable) == 1 and "counted as the world" in unknowable[0]
    private = checks.internal_port_open_to_world(
        resource_type, props, follow=lambda rule: ["10.0.0.0/8"]
    )
    assert private == []
