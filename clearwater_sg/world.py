"""What the policy pack counts as "the world": every address a host on the internet can have.

A source CIDR reaches the world when it includes even one globally reachable address,
whatever its prefix length: `0.0.0.0/1`, `8.0.0.0/7`, `10.0.0.0/7` (which holds
11.0.0.0/8) and a single public `/32` all do; only a CIDR that lies wholly inside the
address space below does not. So splitting the internet into pieces (`0.0.0.0/1` and
`128.0.0.0/1`, or a thousand public `/16`s) cannot slip past a check: every piece holds
internet addresses, and is refused on its own.

Not the world: the blocks IANA's special-purpose address registries mark "Globally
Reachable: False" (private-use, shared CGN space, loopback, link-local, unique-local,
benchmarking, reserved, documentation and the like), minus the more specific entries
those registries mark globally reachable (PCP and TURN anycast, AMT, AS112, ...). The
list is written out here rather than taken from `ipaddress.is_global`, whose list
differs between Python releases. Three choices lean towards counting the world:

- Teredo (2001::/32) and 6to4 (2002::/16): internet hosts reach IPv6 networks through them.
- Multicast (224.0.0.0/4, ff00::/8), which the registries above do not list.
- An IPv4-mapped IPv6 CIDR (::ffff:0:0/96) is judged by the IPv4 addresses it maps, so
  `::ffff:0:0/96` is the world and `::ffff:10.0.0.0/104` is not.

Documentation ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32,
3fff::/20) are not the world, as the registries (and `ipaddress`) have it: no internet
host has such an address, and this project's stacks and tests use them for an operator's
own networks.

A source this module cannot read as `address/prefix-length` (no prefix length, an
inet_aton shorthand like `0/0`, leading zeros, spaces, a scope id) counts as the world:
a guardrail must not pass what it does not understand.
"""

from __future__ import annotations

import ipaddress
from functools import cache
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network

Network = IPv4Network | IPv6Network

# IANA IPv4 Special-Purpose Address Registry, "Globally Reachable: False".
_IPV4_NOT_GLOBAL = (
    "0.0.0.0/8",  # "this network"
    "10.0.0.0/8",  # private-use (RFC 1918)
    "100.64.0.0/10",  # shared address space (carrier-grade NAT)
    "127.0.0.0/8",  # loopback
    "169.254.0.0/16",  # link-local
    "172.16.0.0/12",  # private-use (RFC 1918)
    "192.0.0.0/24",  # IETF protocol assignments
    "192.0.2.0/24",  # documentation (TEST-NET-1)
    "192.168.0.0/16",  # private-use (RFC 1918)
    "198.18.0.0/15",  # benchmarking
    "198.51.100.0/24",  # documentation (TEST-NET-2)
    "203.0.113.0/24",  # documentation (TEST-NET-3)
    "240.0.0.0/4",  # reserved, and the limited broadcast address 255.255.255.255
)
# More specific entries of the same registry that are globally reachable.
_IPV4_GLOBAL_INSIDE = (
    "192.0.0.9/32",  # Port Control Protocol anycast
    "192.0.0.10/32",  # Traversal Using Relays around NAT anycast
)

# IANA IPv6 Special-Purpose Address Registry, "Globally Reachable: False". IPv4-mapped
# addresses (::ffff:0:0/96) are not listed: they are judged by the IPv4 list, below.
_IPV6_NOT_GLOBAL = (
    "::/128",  # unspecified
    "::1/128",  # loopback
    "64:ff9b:1::/48",  # local-use IPv4/IPv6 translation
    "100::/64",  # discard-only
    "2001::/23",  # IETF protocol assignments
    "2001:db8::/32",  # documentation
    "3fff::/20",  # documentation
    "5f00::/16",  # segment routing (SRv6) SIDs
    "fc00::/7",  # unique-local
    "fe80::/10",  # link-local unicast
)
_IPV6_GLOBAL_INSIDE = (
    "2001::/32",  # Teredo: internet hosts tunnelled over IPv4 (IANA: "N/A")
    "2001:1::1/128",  # Port Control Protocol anycast
    "2001:1::2/128",  # Traversal Using Relays around NAT anycast
    "2001:1::3/128",  # DNS-SD service registration protocol anycast
    "2001:3::/32",  # Automatic Multicast Tunneling
    "2001:4:112::/48",  # AS112-v6
    "2001:20::/28",  # ORCHIDv2
    "2001:30::/28",  # drone remote ID protocol entity tags
)
_IPV4_MAPPED = IPv6Network("::ffff:0:0/96")

Interval = tuple[int, int]  # first and last address, as integers


def _interval(network: Network) -> Interval:
    return int(network.network_address), int(network.broadcast_address)


def _merge(intervals: list[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for first, last in sorted(intervals):
        if merged and first <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return merged


def _gaps(first: int, last: int, covered: list[Interval]) -> list[Interval]:
    """The parts of [first, last] outside `covered` (merged and sorted)."""
    gaps: list[Interval] = []
    cursor = first
    for low, high in covered:
        if high < cursor:
            continue
        if low > last:
            break
        if low > cursor:
            gaps.append((cursor, low - 1))
        cursor = high + 1
    if cursor <= last:
        gaps.append((cursor, last))
    return gaps


def _space(not_global: tuple[str, ...], global_inside: tuple[str, ...]) -> list[Interval]:
    """The addresses of `not_global` but not of `global_inside`, as merged intervals."""
    space = _merge([_interval(ipaddress.ip_network(cidr)) for cidr in not_global])
    for cidr in global_inside:
        first, last = _interval(ipaddress.ip_network(cidr))
        space = _merge([part for low, high in space for part in _gaps(low, high, [(first, last)])])
    return space


_NOT_GLOBAL: dict[int, list[Interval]] = {
    4: _space(_IPV4_NOT_GLOBAL, _IPV4_GLOBAL_INSIDE),
}
_MAPPED_OFFSET = int(_IPV4_MAPPED.network_address)
_NOT_GLOBAL[6] = _merge(
    _space(_IPV6_NOT_GLOBAL, _IPV6_GLOBAL_INSIDE)
    + [(_MAPPED_OFFSET + first, _MAPPED_OFFSET + last) for first, last in _NOT_GLOBAL[4]]
)


def read_cidr(text: str) -> Network | None:
    """The network `address/prefix-length` means, host bits dropped as the clouds do;
    None when `text` is not written that way."""
    address, slash, prefix = text.partition("/")
    if not slash or not (prefix.isascii() and prefix.isdigit()) or "%" in address:
        return None
    try:
        ipaddress.ip_address(address)  # refuses leading zeros, spaces, shorthands
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None


@cache
def internet_block(network: Network) -> Network | None:
    """The largest block of globally reachable addresses inside `network` (the first, of
    equal ones); None when `network` holds none, which is when it is not the world."""
    first, last = _interval(network)
    gaps = _gaps(first, last, _NOT_GLOBAL[network.version])
    blocks: list[Network] = []
    for low, high in gaps:
        if network.version == 4:
            blocks += ipaddress.summarize_address_range(IPv4Address(low), IPv4Address(high))
        else:
            blocks += ipaddress.summarize_address_range(IPv6Address(low), IPv6Address(high))
    return min(blocks, key=lambda block: block.prefixlen, default=None)


def reaches_world(source: str) -> str | None:
    """How a source or destination written as `source` reaches the world, for a message:
    the text, and when that is not plain, what it means and the internet addresses it
    includes; None when it includes none."""
    network = read_cidr(source)
    if network is None:
        return f"{source!r} (not a CIDR the clearwater-sg checks can read, so counted as the world)"
    block = internet_block(network)
    if block is None:
        return None
    notes = [] if source == str(network) else [f"that is, {network}"]
    if network.prefixlen and block != network:
        notes.append(f"which includes internet addresses such as {block}")
    return f"{source} ({', '.join(notes)})" if notes else source
