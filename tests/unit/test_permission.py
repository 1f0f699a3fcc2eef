"""What a rule lets through, read the same way from a plan, from the program's
registrations and from a live cloud: a hand-made or hostile rule must read as everything
it opens. The expectations are the clouds' documented semantics (EC2's `-1`, Neutron's
absent remote and port 0, IANA protocol numbers), not the code's tables."""

from __future__ import annotations

import pytest

from clearwater_sg.permission import (
    ANY_FAMILY,
    Addresses,
    AddressGroup,
    OutsideGroup,
    PeerGroup,
    Permission,
    PrefixList,
    aws_permission,
    internal_reach,
    neutron_permission,
    world_reach,
)
from clearwater_sg.resources import AWS_EGRESS, AWS_INGRESS

KEYS = {"sg-vellum": "vellum", "sg-sprout": "sprout"}
NEUTRON_KEYS = {"uuid-vellum": "vellum", "uuid-sprout": "sprout"}


def _aws(type_: str = AWS_INGRESS, **inputs: object) -> Permission:
    return aws_permission(type_, {"securityGroupId": "sg-vellum", **inputs}, KEYS)


def _neutron(**inputs: object) -> Permission:
    rule = {"securityGroupId": "uuid-vellum", "direction": "ingress", **inputs}
    return neutron_permission(rule, NEUTRON_KEYS)


def _tcp(low: int | None, high: int | None, protocol: str = "tcp") -> Permission:
    return Permission("vellum", "ingress", "IPv4", protocol, low, high, Addresses("0.0.0.0/0"))


# ---- AWS


def test_an_aws_rule_of_every_protocol_opens_every_port_of_every_protocol() -> None:
    permission = _aws(ipProtocol="-1", cidrIpv4="0.0.0.0/0")
    assert permission.protocol == "all" and (permission.low, permission.high) == (None, None)
    assert permission.opens("tcp", 9160) and permission.opens("udp", 1)
    assert internal_reach(permission) == "every port"


@pytest.mark.parametrize(("protocol", "name"), [("6", "tcp"), ("17", "udp"), ("TCP", "tcp")])
def test_an_aws_protocol_given_by_number_or_case_reads_as_its_name(
    protocol: str, name: str
) -> None:
    # The engine's wire format sends numbers as floats.
    permission = _aws(
        ipProtocol=protocol, fromPort=7000.0, toPort=7000.0, cidrIpv4="203.0.113.0/24"
    )
    assert (permission.protocol, permission.low, permission.high) == (name, 7000, 7000)


def test_aws_icmp_from_an_ipv6_range_is_not_the_icmpv6_the_plan_asks_for() -> None:
    wrong = _aws(ipProtocol="icmp", fromPort=128, toPort=-1, cidrIpv6="::/0")
    right = _aws(ipProtocol="icmpv6", fromPort=128, toPort=-1, cidrIpv6="::/0")
    assert right.protocol == "icmp" and right.family == "IPv6" and right.high is None
    assert wrong != right


def test_an_aws_group_reference_names_the_deployments_group_or_an_outside_one() -> None:
    inside = _aws(AWS_EGRESS, ipProtocol="tcp", referencedSecurityGroupId="sg-sprout")
    outside = _aws(ipProtocol="tcp", referencedSecurityGroupId="sg-bastion")
    assert (inside.direction, inside.peer, inside.family) == (
        "egress",
        PeerGroup("sprout"),
        ANY_FAMILY,
    )
    assert outside.peer == OutsideGroup("sg-bastion")


def test_an_aws_cidr_with_host_bits_reads_as_the_network_the_cloud_stores() -> None:
    permission = _aws(ipProtocol="tcp", fromPort=22, toPort=22, cidrIpv4="11.1.2.3/8")
    assert permission.peer == Addresses("11.0.0.0/8")
    assert world_reach(permission.peer, None, "") == ["11.0.0.0/8"]


# ---- Neutron


@pytest.mark.parametrize(("ethertype", "world"), [("IPv4", "0.0.0.0/0"), ("IPv6", "::/0")])
def test_a_neutron_rule_without_a_remote_admits_every_address_of_its_ethertype(
    ethertype: str, world: str
) -> None:
    permission = _neutron(ethertype=ethertype, protocol="tcp", portRangeMin=9160)
    assert permission.peer == Addresses(world)
    assert world_reach(permission.peer, None, "") == [world]


@pytest.mark.parametrize("ports", [{}, {"portRangeMin": 0, "portRangeMax": 0}])
def test_a_neutron_rule_without_ports_or_with_port_zero_opens_every_port(
    ports: dict[str, int],
) -> None:
    permission = _neutron(ethertype="IPv4", protocol="6", remoteIpPrefix="10.0.0.0/8", **ports)
    assert permission.protocol == "tcp"
    assert permission.opens_every_port()


def test_a_neutron_rule_without_a_protocol_opens_every_protocol() -> None:
    permission = _neutron(ethertype="IPv6", remoteGroupId="uuid-sprout")
    assert permission.protocol == "all" and permission.peer == PeerGroup("sprout")
    assert internal_reach(permission) == "every port"


# ---- what a permission opens


def test_a_range_opens_its_ports_and_no_other() -> None:
    permission = _tcp(32768, 65535)
    assert permission.opens("tcp", 32768) and permission.opens("tcp", 65535)
    assert not permission.opens("tcp", 32767) and not permission.opens("udp", 40000)
    assert not permission.opens_every_port()


@pytest.mark.parametrize(("low", "high"), [(1, 65535), (0, 65535), (None, None)])
def test_every_port_however_it_is_written_is_every_port(low: int | None, high: int | None) -> None:
    assert _tcp(low, high).opens_every_port()


def test_an_internal_port_open_to_anyone_is_named_with_what_listens_there() -> None:
    reach = internal_reach(_tcp(7000, 7000))
    assert reach.startswith("internal port(s) TCP/7000 (") and "Cassandra" in reach
    assert internal_reach(_tcp(5060, 5060)) == ""  # SIP: the document opens it to the world


def test_a_list_whose_contents_cannot_be_known_counts_as_the_world() -> None:
    assert world_reach(PrefixList("pl-1"), None, "not readable") == [
        "prefix list pl-1 (not readable: what it holds cannot be known, so counted as the world)"
    ]
    assert world_reach(AddressGroup("ag-1"), ["10.0.0.0/8", "8.8.8.0/24"], "") == [
        "address group ag-1, which holds 8.8.8.0/24"
    ]
    assert world_reach(PeerGroup("sprout"), None, "") == []
    assert world_reach(OutsideGroup("sg-bastion"), None, "") == []
