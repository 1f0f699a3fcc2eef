"""Nodes for a deployment on the data plane, and the probes between them.

:func:`plan` says, from a stack configuration alone, which hosts the test bed has and
where: one node per role (two for a role that talks to its own group, so that flow
crosses the data plane), outside hosts standing for the world, the SSH sources, the SNMP
pollers, the management hosts, the peer sites and each `egressDestinations` kind, a host
outside every configured CIDR when there is room for one, and for a source given as an
existing group's id, a member of that group. Then the ports every target listens on and
every source probes: each port the document reader's rules name (a range at its ends and
middle), the ports beside each, and a sample of ports nobody opens.

:class:`TestBed` builds it in a Keystone project: one network per interface kind (one, or
management and signaling with `networks: split`), with node subnets that need no gateway;
one Neutron port per node and interface carrying the security groups the component output
for that role (what an operator attaches), bound to the data plane's chassis and plugged
into the node's namespace; outside hosts as ports without port security (the internet
beyond the cloud filters nothing here). Every namespace knows each peer's address as an
on-link host route and a permanent neighbour entry, and has no default route. A probe
agent in each namespace (harness/probe_agent.py) listens on every probed port and sends
the probes.
"""

from __future__ import annotations

import ipaddress
import itertools
import json
import random
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from harness.dataplane import DataPlane, Interface, Namespace, die_with_parent
from harness.doc_reader import Configuration, Permission
from harness.reachability import SINGLE, SPLIT, Endpoint, Probe

if TYPE_CHECKING:
    from openstack.connection import Connection

AGENT: Final = Path(__file__).resolve().with_name("probe_agent.py")
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# Ports no document line opens, probed on every target: FTP, Telnet, SMTP, DNS, MySQL,
# Redis, two HTTP alternates; DNS, NTP, the ports beside STUN and SIP over TLS, and the
# one below the RTP range.
UNOPENED: Final = (
    *(("tcp", port) for port in (21, 23, 25, 53, 3306, 6379, 8080, 9999)),
    *(("udp", port) for port in (53, 123, 3479, 5061, 32767)),
)
# Where the nodes' own subnets may go, first fit: each must not hold a configured CIDR
# (a narrower source inside it would have no room for its host).
NODE_SUBNETS: Final = {
    4: [
        ipaddress.ip_network(text)
        for text in (
            *("10.99.0.0/24", "10.98.0.0/24", "172.31.99.0/24", "100.64.99.0/24"),
            *("192.168.99.0/24", "10.97.0.0/24", "172.30.98.0/24", "100.65.0.0/24"),
        )
    ],
    6: [
        ipaddress.ip_network(text)
        for text in (
            *("fd00:99::/64", "fd00:98::/64", "fdcc:99::/64", "fdcc:98::/64"),
            *("fd99::/64", "fd98::/64", "fdcb::/64", "fdca::/64"),
        )
    ],
}
# Where outside hosts go when their CIDR holds it: documentation and test ranges first.
PREFERRED: Final = {
    4: [ipaddress.ip_network(t) for t in ("203.0.113.0/24", "198.51.100.0/24", "192.0.2.0/24")],
    6: [ipaddress.ip_network(t) for t in ("2001:db8:ffff::/64", "2001:db8:fffe::/64")],
}
# What an outside host stands for, by the doc reader's source names and the outbound kinds.
PROBERS: Final = ("world", "ssh", "snmp", "managers", "site")


@dataclass(frozen=True)
class Host:
    """One host of the test bed, as planned."""

    name: str
    kind: str  # "node" (a Clearwater node), "member" (of an existing group), "outside"
    groups: frozenset[str]  # the deployment's groups it carries, by the doc reader's names
    addresses: Mapping[tuple[str, int], str]  # (network, family) -> address
    role: str | None = None
    stands_for: tuple[str, ...] = ()  # for outside hosts: world, ssh, dns...; a member: its id
    sends: bool = True  # a source of probes
    receives: bool = True  # a target of probes

    @property
    def filtered(self) -> bool:
        """Whether the deployment's groups filter it (members only send: their group's
        own rules are Neutron's default allow-all egress, not the deployment's)."""
        return self.kind == "node"

    def endpoint(self) -> Endpoint:
        return Endpoint(self.name, self.groups, self.filtered, self.addresses)


@dataclass(frozen=True)
class Plan:
    networks: tuple[str, ...]
    subnets: Mapping[tuple[str, int], str]  # the nodes' subnet per (network, family)
    hosts: Mapping[str, Host]
    ports: tuple[tuple[str, int], ...]  # (protocol, port) every target listens on
    unplaced: tuple[str, ...] = ()  # configured entries no host could be put in, and why

    def endpoints(self) -> dict[str, Endpoint]:
        return {name: host.endpoint() for name, host in self.hosts.items()}

    def probes(self, targets: Iterable[str] | None = None) -> list[Probe]:
        """Every probe of the test bed (or of those into `targets`): from each source to
        each other target, over each network and family both have, every probed port and
        an ICMP echo; never between two hosts that nothing filters."""
        chosen = set(self.hosts) if targets is None else set(targets)
        found = []
        for source, target in itertools.permutations(self.hosts.values(), 2):
            if not (source.sends and target.receives and target.name in chosen):
                continue
            if not (source.filtered or target.filtered):
                continue
            for network, family in sorted(source.addresses.keys() & target.addresses.keys()):
                found.append(Probe(source.name, target.name, network, family, "icmp", None))
                found += [
                    Probe(source.name, target.name, network, family, protocol, port)
                    for protocol, port in self.ports
                ]
        return found


def probed_ports(permissions: Iterable[Permission]) -> tuple[tuple[str, int], ...]:
    """Each port the rules name (a range at its first, middle and last port), the ports
    beside each, and the sample nobody opens."""
    ports = set(UNOPENED)
    for permission in permissions:
        if permission.protocol not in ("tcp", "udp") or permission.low is None:
            continue
        assert permission.high is not None
        low, high = permission.low, permission.high
        for port in (low - 1, low, (low + high) // 2, high, high + 1):
            if 1 <= port <= 65535:
                ports.add((permission.protocol, port))
    return tuple(sorted(ports))


def _usable(address: Address) -> bool:
    """An address a namespace can hold and send from, on one link, toward its peers."""
    if address.version == 4 and address in ipaddress.ip_network("240.0.0.0/4"):
        return False
    if address.version == 4 and address in ipaddress.ip_network("0.0.0.0/8"):
        return False
    return not (
        address.is_multicast
        or address.is_loopback
        or address.is_unspecified
        or address.is_link_local
        or (address.version == 6 and address.ipv4_mapped is not None)
        or (address.version == 4 and address == ipaddress.ip_address("255.255.255.255"))
    )


def _inside(network: Network) -> Iterator[Address]:
    """Addresses of a network to try: documentation ranges it holds, then its own first
    addresses, middle and last (never a broadcast address)."""
    for pool in PREFERRED[network.version]:
        if pool.subnet_of(network):  # type: ignore[arg-type]
            yield from itertools.islice(pool.hosts(), 10, 60)
        elif network.subnet_of(pool):  # type: ignore[arg-type]
            break
    first, size = int(network.network_address), network.num_addresses
    offsets = [1, 2, 3, 4, size // 2, size // 2 + 1, size - 2] if size > 4 else range(size)
    cls = type(network.network_address)
    for offset in offsets:
        if 0 <= offset < size:
            yield cls(first + offset)


class _Addresses:
    """Hands out each address once, never inside the nodes' subnets."""

    def __init__(self, node_subnets: Iterable[Network]) -> None:
        self.node_subnets = list(node_subnets)
        self.taken: set[Address] = set()

    def take_in(self, network: Network) -> Address | None:
        for address in _inside(network):
            if (
                _usable(address)
                and address not in self.taken
                and not any(address in subnet for subnet in self.node_subnets)
            ):
                self.taken.add(address)
                return address
        return None

    def take_outside(self, networks: Sequence[Network], family: int) -> Address | None:
        """An address in none of `networks` (the configured CIDRs of its family)."""
        for pool in PREFERRED[family]:
            hosts: Iterator[Address] = pool.hosts()
            for address in itertools.islice(hosts, 200, 220):
                if address not in self.taken and not any(address in n for n in networks):
                    self.taken.add(address)
                    return address
        return None


def _node_subnets(
    networks: Sequence[str], families: Sequence[int], cidrs: Sequence[Network]
) -> dict[tuple[str, int], Network]:
    chosen: dict[tuple[str, int], Network] = {}
    for family in families:
        free = [
            candidate
            for candidate in NODE_SUBNETS[family]
            if not any(
                cidr.version == family and cidr.subnet_of(candidate)  # type: ignore[arg-type]
                for cidr in cidrs
            )
        ]
        for network, subnet in zip(networks, free, strict=False):
            chosen[(network, family)] = subnet
        if len(free) < len(networks):
            raise ValueError(f"no IPv{family} node subnet left beside {cidrs}")
    return chosen


def _networks_in(entries: Iterable[str]) -> list[Network]:
    found = []
    for entry in entries:
        try:
            found.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            continue  # a group id
    return found


def roles_of(deployment: Configuration) -> list[str]:
    return sorted(deployment.groups - {"all-nodes"})


def nodes_per_role(deployment: Configuration, permissions: Iterable[Permission]) -> dict[str, int]:
    """Two nodes for a role whose group admits its own members (Cassandra between Vellum
    nodes, etcd on a deployment of one role), one otherwise: a node's traffic to itself
    never crosses the data plane."""
    roles = roles_of(deployment)
    count = dict.fromkeys(roles, 1)
    for permission in permissions:
        if permission.direction != "ingress" or not permission.peer.startswith("group:"):
            continue
        peer = permission.peer.removeprefix("group:")
        for role in roles:
            carried = {"all-nodes", role}
            others = [r for r in roles if r != role and peer in {"all-nodes", r}]
            if permission.group in carried and peer in carried and not others:
                count[role] = 2
    return count


def _nodes(counts: Mapping[str, int], subnets: Mapping[tuple[str, int], Network]) -> list[Host]:
    nodes: list[Host] = []
    for role, count in counts.items():
        for index in range(1, count + 1):
            at = {key: str(subnet[10 + len(nodes)]) for key, subnet in subnets.items()}
            nodes.append(Host(f"{role}-{index}", "node", frozenset({"all-nodes", role}), at, role))
    return nodes


def _by_entry(sources: Mapping[str, Sequence[str]]) -> dict[str, tuple[str, ...]]:
    """Each configured entry with every kind that names it."""
    kinds: dict[str, list[str]] = {}
    for kind, entries in sources.items():
        for entry in entries:
            kinds.setdefault(entry, []).append(kind)
    return {entry: tuple(names) for entry, names in kinds.items()}


def _outside_hosts(
    sources: Mapping[str, Sequence[str]],
    networks: Sequence[str],
    addresses: _Addresses,
    unplaced: list[str],
) -> list[Host]:
    """One host per CIDR entry, an IPv4 and an IPv6 entry of the same kinds sharing it; an
    entry several kinds name is one host standing for all of them."""
    cidrs: dict[tuple[str, ...], dict[int, list[Network]]] = {}
    for entry, kinds in _by_entry(sources).items():
        for cidr in _networks_in([entry]):
            cidrs.setdefault(kinds, {}).setdefault(cidr.version, []).append(cidr)
    hosts = []
    for kinds, by_family in cidrs.items():
        pairs = itertools.zip_longest(by_family.get(4, []), by_family.get(6, []))
        for index, pair in enumerate(pairs, start=1):
            at: dict[tuple[str, int], str] = {}
            for cidr in (c for c in pair if c is not None):
                for network in networks:
                    address = addresses.take_in(cidr)
                    if address is None:
                        unplaced.append(f"{cidr} ({', '.join(kinds)}): no usable address in it")
                        break
                    at[(network, cidr.version)] = str(address)
            if at:
                base = "-".join(kinds)
                name = base if index == 1 else f"{base}-{index}"
                sends = any(kind in PROBERS for kind in kinds)
                hosts.append(Host(name, "outside", frozenset(), at, stands_for=kinds, sends=sends))
    return hosts


def _outsider(
    cidrs: Sequence[Network],
    families: Sequence[int],
    networks: Sequence[str],
    addresses: _Addresses,
) -> list[Host]:
    """A host in no configured CIDR, where there is room for one."""
    at: dict[tuple[str, int], str] = {}
    for family in families:
        for network in networks:
            address = addresses.take_outside([c for c in cidrs if c.version == family], family)
            if address is not None:
                at[(network, family)] = str(address)
    return [Host("outsider", "outside", frozenset(), at, stands_for=("none",))] if at else []


def _members(
    sources: Mapping[str, Sequence[str]], subnets: Mapping[tuple[str, int], Network]
) -> list[Host]:
    """For each source given as an existing group's id, a node in that group only."""
    members: list[Host] = []
    for entry, kinds in _by_entry(sources).items():
        if _networks_in([entry]):
            continue
        index = len(members) + 1
        at = {key: str(subnet[200 + index]) for key, subnet in subnets.items()}
        members.append(
            Host(
                f"member-{index}",
                "member",
                frozenset({f"external:{entry}"}),
                at,
                stands_for=(entry, *kinds),
                receives=False,
            )
        )
    return members


def plan(config: Mapping[str, object], permissions: Iterable[Permission]) -> Plan:
    """The test bed for a stack configuration (keys without namespace) whose expected
    rules, as the document reader says, are `permissions`."""
    permissions = list(permissions)
    deployment = Configuration.from_config(config)
    networks = SPLIT if config.get("networks", "single") == "split" else (SINGLE,)
    sources: dict[str, tuple[str, ...]] = {
        "world": deployment.world,
        "ssh": deployment.ssh,
        "snmp": deployment.snmp,
        "managers": deployment.managers,
        "site": deployment.sites,
        **dict(deployment.destinations),
    }
    every_cidr = _networks_in(entry for entries in sources.values() for entry in entries)
    subnets = _node_subnets(networks, deployment.families, every_cidr)
    addresses = _Addresses(subnets.values())
    unplaced: list[str] = []
    hosts = [
        *_nodes(nodes_per_role(deployment, permissions), subnets),
        *_outside_hosts(sources, networks, addresses, unplaced),
        *_outsider(every_cidr, deployment.families, networks, addresses),
        *_members(sources, subnets),
    ]
    return Plan(
        networks=networks,
        subnets={key: str(subnet) for key, subnet in subnets.items()},
        hosts={host.name: host for host in hosts},
        ports=probed_ports(permissions),
        unplaced=tuple(unplaced),
    )


# -- building it ----------------------------------------------------------------------


class NeutronRequestError(RuntimeError):
    pass


def _call(connection: Connection, method: str, path: str, body: Any = None) -> Any:
    response = connection.network.request(path, method, json=body, raise_exc=False)
    if response.status_code >= 400:
        raise NeutronRequestError(f"{method} {path}: {response.status_code} {response.text}")
    return response.json() if response.content else None


@dataclass
class Agent:
    host: str
    process: subprocess.Popen[str]

    def send(self, probes: Sequence[Probe], hosts: Mapping[str, Host], timeout: float) -> None:
        wire = [
            [hosts[p.target].addresses[(p.network, p.family)], p.protocol, p.port] for p in probes
        ]
        assert self.process.stdin is not None
        job = {"timeout": timeout, "probes": wire}
        self.process.stdin.write(json.dumps(job) + "\n")
        self.process.stdin.flush()

    def receive(self) -> list[str]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the probe agent of {self.host} stopped")
        verdicts: list[str] = json.loads(line)
        return verdicts

    def stop(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@dataclass
class TestBed:
    """A plan built on a data plane in one project: see the module's docstring.

    `group_ids` gives each node's security groups per network, as the component output
    them (`nodeSecurityGroupIds[role]`, or `interfaceSecurityGroupIds[role][network]`).
    """

    plane: DataPlane
    connection: Connection
    plan: Plan
    group_ids: Mapping[str, Mapping[str, Sequence[str]]]  # role -> network -> ids
    timeout: float = 1.5
    concurrency: int = 256  # probes in flight at once, per source
    name: str = "clearwater"
    _networks: dict[str, str] = field(default_factory=dict)  # network -> id
    _mtu: dict[str, int] = field(default_factory=dict)
    _subnets: dict[tuple[str, int], str] = field(default_factory=dict)
    _ports: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    _agents: dict[str, Agent] = field(default_factory=dict)
    _namespaces: dict[str, Namespace] = field(default_factory=dict)
    __test__ = False  # not a pytest class

    def build(self) -> TestBed:
        try:
            self._make_networks()
            self._make_ports()
            self._plug()
            self._wait_until_active()
            self._start_agents()
            self.settle()
        except BaseException:
            self.close()
            raise
        return self

    def settle(self) -> None:
        """Return once every chassis has applied what Neutron wrote to OVN so far."""
        self.plane.nbctl("--wait=hv", "--timeout=60", "sync")

    def _make_networks(self) -> None:
        for network in self.plan.networks:
            made = _call(
                self.connection, "POST", "/networks",
                {"network": {"name": f"{self.name}-{network}"}},
            )["network"]  # fmt: skip
            self._networks[network] = made["id"]
            self._mtu[network] = made["mtu"]
        subnets = [
            {
                "network_id": self._networks[network],
                "name": f"{self.name}-{network}-v{family}",
                "ip_version": family,
                "cidr": cidr,
                "enable_dhcp": False,
                "gateway_ip": None,
            }
            for (network, family), cidr in self.plan.subnets.items()
        ]
        made_subnets = _call(self.connection, "POST", "/subnets", {"subnets": subnets})["subnets"]
        self._subnets = {(s["network_id"], s["ip_version"]): s["id"] for s in made_subnets}

    def _port_body(self, host: Host, network: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "name": f"{self.name}-{host.name}-{network}",
            "network_id": self._networks[network],
            "binding:host_id": self.plane.chassis,
        }
        if host.kind == "outside":
            return {**body, "port_security_enabled": False, "fixed_ips": []}
        fixed = [
            {"subnet_id": self._subnets[(self._networks[net], family)], "ip_address": address}
            for (net, family), address in sorted(host.addresses.items())
            if net == network
        ]
        if host.kind == "member":
            groups = [host.stands_for[0]]
        else:
            assert host.role is not None
            groups = list(self.group_ids[host.role][network])
        return {**body, "fixed_ips": fixed, "security_groups": groups}

    def _make_ports(self) -> None:
        wanted = [
            (host.name, network)
            for host in self.plan.hosts.values()
            for network in self.plan.networks
            if any(net == network for net, _ in host.addresses)
        ]
        bodies = [self._port_body(self.plan.hosts[h], n) for h, n in wanted]
        made = _call(self.connection, "POST", "/ports", {"ports": bodies})["ports"]
        for key, port in zip(wanted, made, strict=True):
            self._ports[key] = port

    def _routes_and_neighbours(self, host: Host, network: str, device: str) -> list[str]:
        """`ip` commands: each peer's address on `network` on-link, its MAC permanent."""
        lines = []
        for peer in self.plan.hosts.values():
            if peer.name == host.name or (peer.name, network) not in self._ports:
                continue
            mac = self._ports[(peer.name, network)]["mac_address"]
            for (net, family), address in peer.addresses.items():
                if net != network:
                    continue
                prefix = 32 if family == 4 else 128
                lines.append(f"route replace {address}/{prefix} dev {device}")
                lines.append(f"neigh replace {address} lladdr {mac} dev {device} nud permanent")
        return lines

    def _plug(self) -> None:
        for host in self.plan.hosts.values():
            interfaces = []
            for network in self.plan.networks:
                port = self._ports.get((host.name, network))
                if port is None:
                    continue
                mine = [
                    ipaddress.ip_interface(f"{address}/{32 if family == 4 else 128}")
                    for (net, family), address in sorted(host.addresses.items())
                    if net == network
                ]
                interfaces.append(
                    Interface(port["id"], port["mac_address"], tuple(mine), mtu=self._mtu[network])
                )
            namespace = self.plane.plug(host.name, interfaces)
            self._namespaces[host.name] = namespace
            script = []
            for device, network in zip(
                namespace.interfaces,
                [n for n in self.plan.networks if (host.name, n) in self._ports],
                strict=True,
            ):
                script += self._routes_and_neighbours(host, network, device)
            subprocess.run(
                namespace.command("ip", "-batch", "-"),
                input="\n".join(script) + "\n",
                text=True,
                check=True,
                capture_output=True,
            )

    def _wait_until_active(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        ids = {port["id"] for port in self._ports.values()}
        while True:
            listed = _call(self.connection, "GET", "/ports?fields=id&fields=status")["ports"]
            down = sorted(p["id"] for p in listed if p["id"] in ids and p["status"] != "ACTIVE")
            if not down:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"ports not ACTIVE after {timeout} s: {down}")
            time.sleep(0.5)

    def _start_agents(self) -> None:
        tcp = ",".join(str(port) for protocol, port in self.plan.ports if protocol == "tcp")
        udp = ",".join(str(port) for protocol, port in self.plan.ports if protocol == "udp")
        for name, namespace in self._namespaces.items():
            command = namespace.command(
                sys.executable, str(AGENT), "--tcp", tcp, "--udp", udp,
                "--concurrency", str(self.concurrency),
            )  # fmt: skip
            self._agents[name] = Agent(
                name,
                subprocess.Popen(
                    command,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    text=True,
                    start_new_session=True,
                    preexec_fn=die_with_parent,
                ),
            )
        for agent in self._agents.values():
            assert agent.process.stdout is not None
            ready = agent.process.stdout.readline().strip()
            if ready != "READY":
                raise RuntimeError(f"the probe agent of {agent.host} did not start: {ready!r}")

    def probe(self, probes: Sequence[Probe], timeout: float | None = None) -> dict[Probe, str]:
        """Run `probes`, every source's at once; each probe's verdict. `timeout`: how long
        a probe waits for its answer (the bed's own by default)."""
        self.plane.forget_connections()
        by_source: dict[str, list[Probe]] = {}
        for probe in probes:
            by_source.setdefault(probe.source, []).append(probe)
        for source, mine in by_source.items():
            # Each source in its own order, so that they do not all flood one target's
            # listen queue at once (a dropped SYN reads as a dropped flow).
            random.Random(source).shuffle(mine)
        for source, mine in by_source.items():
            self._agents[source].send(mine, self.plan.hosts, timeout or self.timeout)
        seen: dict[Probe, str] = {}
        for source, mine in by_source.items():
            seen.update(zip(mine, self._agents[source].receive(), strict=True))
        self.plane.check_alive()
        return seen

    def close(self) -> None:
        """Stop the agents and unplug every namespace. The ports and networks stay in
        Neutron, whose database goes with the data plane."""
        for agent in self._agents.values():
            agent.stop()
        self._agents.clear()
        for namespace in self._namespaces.values():
            self.plane.unplug(namespace)
        self._namespaces.clear()
