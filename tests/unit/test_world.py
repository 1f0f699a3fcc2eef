"""What counts as "the world": every key meaning "our own nodes" is checked with it, and
the policy pack refuses internal ports open to it. The expectations are IANA's
special-purpose address registries (IPv4 and IPv6, "Globally Reachable"), read at their
boundaries, and the ways a hostile stack could write the internet so as not to look like it.
"""

from __future__ import annotations

import ipaddress

import pytest

from clearwater_sg.world import internet_block, reaches_world, read_cidr

WORLD = (
    "0.0.0.0/0",
    "::/0",
    # The internet in pieces: each piece holds internet addresses.
    "0.0.0.0/1",
    "128.0.0.0/1",
    "8.0.0.0/7",
    "10.0.0.0/7",  # 10/8 and 11/8: 11/8 is public
    "172.16.0.0/11",  # 172.0/12 is public, 172.16/12 private
    "1.1.1.1/32",
    "100.63.255.255/32",  # just below shared CGN space
    "100.128.0.0/32",  # just above it
    "192.0.0.9/32",  # PCP anycast, global inside 192.0.0.0/24
    "192.0.0.10/32",  # TURN anycast
    "224.0.0.0/4",  # multicast
    "2000::/3",
    "2600::/32",
    "2001::/32",  # Teredo
    "2002::/16",  # 6to4
    "64:ff9b::/96",  # NAT64's well-known prefix maps the IPv4 internet
    "::ffff:0:0/96",  # IPv4-mapped: judged by the IPv4 addresses it maps
    "::ffff:8.8.8.8/128",
    "ff00::/8",  # multicast
)
NOT_WORLD = (
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "100.64.0.0/10",  # shared address space (carrier-grade NAT)
    "127.0.0.0/8",
    "169.254.0.0/16",
    "192.0.0.8/32",  # IETF protocol assignments, beside the two anycast addresses
    "192.0.2.0/24",  # documentation, which the bundled stacks use for operators' networks
    "198.51.100.0/24",
    "203.0.113.0/24",
    "198.18.0.0/15",
    "240.0.0.0/4",
    "255.255.255.255/32",
    "fc00::/7",
    "fd12:3456::/48",
    "fe80::/10",
    "::1/128",
    "2001:db8::/32",
    "3fff::/20",
    "::ffff:10.0.0.0/104",  # IPv4-mapped private space
    "10.1.2.3/8",  # host bits dropped, as the clouds do: 10.0.0.0/8
)
# What the checks cannot read as address/prefix-length is the world: a guardrail must
# not pass what it does not understand.
UNREADABLE = (
    "10.0.0.1",  # no prefix length
    "0/0",  # inet_aton shorthand
    "010.0.0.0/8",  # leading zeros
    " 10.0.0.0/8",
    "10.0.0.0/ 8",
    "10.0.0.0/+8",
    "fe80::1%eth0/64",  # a scope id
    "10.0.0.0/٨",  # a non-ASCII digit
    "10.0.0.0/33",
    "anywhere",
    "",
)


@pytest.mark.parametrize("cidr", WORLD)
def test_a_range_holding_any_internet_address_is_the_world(cidr: str) -> None:
    assert reaches_world(cidr) is not None


@pytest.mark.parametrize("cidr", NOT_WORLD)
def test_a_range_wholly_inside_special_purpose_space_is_not_the_world(cidr: str) -> None:
    assert reaches_world(cidr) is None


@pytest.mark.parametrize("text", UNREADABLE)
def test_what_cannot_be_read_as_a_cidr_counts_as_the_world(text: str) -> None:
    assert read_cidr(text) is None
    message = reaches_world(text)
    assert message is not None and "counted as the world" in message


def test_the_message_names_the_internet_addresses_a_wide_range_hides() -> None:
    message = reaches_world("10.0.0.0/7")
    assert message == "10.0.0.0/7 (which includes internet addresses such as 11.0.0.0/8)"
    assert reaches_world("11.1.2.3/8") == "11.1.2.3/8 (that is, 11.0.0.0/8)"


def test_the_internet_block_lies_inside_the_range_and_is_internet_only() -> None:
    network = ipaddress.ip_network("100.0.0.0/8")
    block = internet_block(network)
    assert block is not None and block.subnet_of(network)  # type: ignore[arg-type]
    assert not block.overlaps(ipaddress.ip_network("100.64.0.0/10"))
