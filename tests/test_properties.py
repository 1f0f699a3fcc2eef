"""Properties of the real stack program over generated configurations, valid and broken.

Each example runs `__main__.py` under the SDK's mock engine (`tests.helpers.run_main`) and
looks only at what was registered. What a configuration may open is derived here, from the
configuration and the README's description of its keys, never from `clearwater_sg`:

1. Every rule's source is one the configuration names: a CIDR of `worldCidrs` (the
   family's any-address when it is absent), `sshSources` or `snmpSources`, a group of this
   program, or an id the configuration lists; allow-all egress to the any-address. SSH
   (TCP/22) is opened only to the SSH sources and SNMP (UDP/161-162) only to the pollers.
2. No two registered rules permit the same traffic, compared by what they permit (group,
   direction, family, protocol, ports or ICMP type and code, source), not by name.
3. A refused configuration registers nothing and names every key it got wrong, all at once.
   The generator injects at most one mistake per key and none into a key that another
   mistake's check reads: two mistakes in related keys hide each other today, which the
   strict-xfail cases at the end record.
4. An explicit empty list opens nothing: `sshSources: []` no SSH, `worldCidrs: []` no CIDR
   rule but egress (while `sshSources` follows it), no SNMP without pollers.

The configurations come from tests/strategies.py, which says which keys they cover.
"""

from __future__ import annotations

import copy
import ipaddress
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pytest
from hypothesis import assume, event, given
from hypothesis import strategies as st

from offline.runner import Recording, Registered
from tests.helpers import run_main
from tests.registered import AWS_EGRESS, AWS_GROUP, AWS_INGRESS, OPENSTACK_GROUP, OPENSTACK_RULE
from tests.strategies import (
    ANY_ADDRESS,
    CLOUDS,
    FAMILIES,
    NAMESPACE,
    ROLES,
    SNMP_PORTS,
    SSH_PORTS,
    Config,
    derandomized,
    group_ids,
    labels,
    network_of,
    networks,
    spellings,
    valid_configs,
    vpc_ids,
)

GROUP_TYPES = (AWS_GROUP, OPENSTACK_GROUP)
RULE_TYPES = (AWS_INGRESS, AWS_EGRESS, OPENSTACK_RULE)
COMPONENT = "clearwater-sg:index:ClearwaterSecurityGroups"


# Runs of the program on valid configurations take ~0.3-0.6 s each; refusals a few ms.
VALID_EXAMPLES = 50
EMPTY_LIST_EXAMPLES = 20
BROKEN_EXAMPLES = 250


# ==========================================================================
# What a registered rule permits, read from its inputs as the provider gets them


@dataclass(frozen=True)
class Permission:
    """The traffic one registered rule lets through, whatever the rule is named."""

    group: str  # id of the group the rule belongs to
    direction: str  # ingress / egress
    family: int | None  # None: a group reference without a family (AWS: both)
    protocol: str  # tcp, udp, icmp, all
    first: int | None  # first port, or the ICMP type; None: every one
    last: int | None  # last port, or the ICMP code; None: every one
    source: tuple[str, str]  # ("cidr", canonical network) or ("group", id)


def _number(value: object) -> int | None:
    if value is None:
        return None
    assert isinstance(value, (int, float)) and not isinstance(value, bool), value
    assert value == int(value), value
    return int(value)


def _network(text: object, family: int | None) -> str:
    """A registered CIDR: canonical, of the rule's family (when it has one)."""
    assert isinstance(text, str), text
    network = ipaddress.ip_network(text)  # strict: host bits would raise
    assert str(network) == text, f"{text!r} is sent in a form the cloud rewrites"
    assert family is None or network.version == family, f"{text} on an IPv{family} rule"
    return text


_AWS_PROTOCOLS = {"-1": "all", "tcp": "tcp", "6": "tcp", "udp": "udp", "17": "udp"}
_AWS_ICMP = {"icmp": 4, "1": 4, "icmpv6": 6, "58": 6}


def _aws_permission(rule: Registered) -> Permission:
    inputs = rule.inputs
    raw = str(inputs["ipProtocol"]).lower()
    sources = [k for k in ("cidrIpv4", "cidrIpv6", "referencedSecurityGroupId") if inputs.get(k)]
    assert len(sources) == 1, f"{rule.name}: sources {sources}"
    family = {"cidrIpv4": 4, "cidrIpv6": 6}.get(sources[0])
    if raw in _AWS_ICMP:
        assert family in (None, _AWS_ICMP[raw]), f"{rule.name}: {raw} from IPv{family}"
        family, protocol = _AWS_ICMP[raw], "icmp"
        first, last = _number(inputs.get("fromPort")), _number(inputs.get("toPort"))
        first, last = (None if first == -1 else first), (None if last == -1 else last)
    else:
        protocol = _AWS_PROTOCOLS[raw]
        first, last = _number(inputs.get("fromPort")), _number(inputs.get("toPort"))
        if protocol == "all":
            first = last = None  # AWS ignores ports of "-1"
    source = (
        ("group", str(inputs["referencedSecurityGroupId"]))
        if sources[0] == "referencedSecurityGroupId"
        else ("cidr", _network(inputs[sources[0]], family))
    )
    return Permission(
        group=str(inputs["securityGroupId"]),
        direction="ingress" if rule.type == AWS_INGRESS else "egress",
        family=family,
        protocol=protocol,
        first=first,
        last=last,
        source=source,
    )


def _openstack_permission(rule: Registered) -> Permission:
    inputs = rule.inputs
    family = {"IPv4": 4, "IPv6": 6}[str(inputs["ethertype"])]
    raw = inputs.get("protocol")
    protocols = {None: "all", "": "all", "tcp": "tcp", "6": "tcp", "udp": "udp", "17": "udp"}
    icmp = ("icmp", "1") if family == 4 else ("icmp", "icmpv6", "ipv6-icmp", "58")
    protocol = "icmp" if raw in icmp else protocols[None if raw is None else str(raw)]
    # gophercloud leaves a 0 port out of the request: Neutron reads it as "any".
    first = _number(inputs.get("portRangeMin")) or None
    last = _number(inputs.get("portRangeMax")) or None
    if protocol == "all":
        first = last = None
    prefix, remote = inputs.get("remoteIpPrefix"), inputs.get("remoteGroupId")
    assert not (prefix and remote), f"{rule.name}: both a prefix and a group"
    source = (
        ("group", str(remote))
        if remote
        else ("cidr", _network(prefix, family) if prefix else ANY_ADDRESS[family])
    )
    return Permission(
        group=str(inputs["securityGroupId"]),
        direction=str(inputs["direction"]),
        family=family,
        protocol=protocol,
        first=first,
        last=last,
        source=source,
    )


def permissions(recording: Recording) -> list[tuple[Registered, Permission]]:
    found = []
    for resource in recording.resources:
        if resource.type in (AWS_INGRESS, AWS_EGRESS):
            found.append((resource, _aws_permission(resource)))
        elif resource.type == OPENSTACK_RULE:
            found.append((resource, _openstack_permission(resource)))
    return found


def audiences(permission: Permission) -> set[str]:
    """Which settings govern the ports a rule opens: ssh (TCP/22), snmp (UDP/161-162),
    other (everything else, opened to the world or to the deployment's own groups)."""
    if permission.protocol == "all":
        return {"ssh", "snmp", "other"}
    if permission.protocol == "icmp":
        return {"other"}
    first = 0 if permission.first is None else permission.first
    last = 65535 if permission.last is None else permission.last
    found = set()
    for name, (protocol, low, high) in (("ssh", SSH_PORTS), ("snmp", SNMP_PORTS)):
        if permission.protocol == protocol and first <= high and low <= last:
            found.add(name)
            if first < low or last > high:
                found.add("other")
    return found or {"other"}


# ==========================================================================
# What the configuration allows, derived from it and the README alone


@dataclass
class Allowed:
    families: tuple[int, ...]
    cidrs: dict[str, set[str]] = field(default_factory=dict)  # audience -> networks
    groups: dict[str, set[str]] = field(default_factory=dict)  # audience -> group ids


def listed(config: Mapping[str, object], key: str) -> list[str]:
    """The entries of a list setting of a valid configuration ([] when absent)."""
    value = config.get(key)
    assert value is None or isinstance(value, list), value
    return [str(entry) for entry in value or []]


def labelled(config: Mapping[str, object], key: str) -> dict[str, str]:
    """A label -> group id setting of a valid configuration ({} when absent)."""
    value = config.get(key)
    assert value is None or isinstance(value, dict), value
    return {str(label): str(group) for label, group in (value or {}).items()}


def split(entries: Iterable[str]) -> tuple[set[str], set[str]]:
    """Sources as (networks, group ids)."""
    cidrs = {c for entry in entries if (c := network_of(entry)) is not None}
    ids = {entry for entry in entries if network_of(entry) is None}
    return cidrs, ids


def allowed_sources(config: Mapping[str, object], own_groups: set[str]) -> Allowed:
    families = FAMILIES[str(config.get("ipVersion", "4"))]
    allowed = Allowed(families=families)
    world = (
        {ANY_ADDRESS[family] for family in families}
        if "worldCidrs" not in config
        else split(listed(config, "worldCidrs"))[0]
    )
    if "sshSources" in config:
        ssh_cidrs, ssh_ids = split(listed(config, "sshSources"))
    elif labelled(config, "sshSourceGroups"):
        ssh_cidrs, ssh_ids = set(), set()  # the labelled groups are the SSH sources
    else:
        ssh_cidrs, ssh_ids = world, set()  # "worldCidrs, as the document says"
    snmp_cidrs, snmp_ids = split(listed(config, "snmpSources"))
    allowed.cidrs = {"other": world, "ssh": ssh_cidrs, "snmp": snmp_cidrs}
    allowed.groups = {
        "other": own_groups,
        "ssh": ssh_ids | set(labelled(config, "sshSourceGroups").values()),
        "snmp": snmp_ids | set(labelled(config, "snmpSourceGroups").values()),
    }
    return allowed


def source_violations(config: Mapping[str, object], recording: Recording) -> list[str]:
    """Invariant 1: every rule admits only what the configuration names."""
    own = {r.id for r in recording.resources if r.type in GROUP_TYPES}
    allowed = allowed_sources(config, own)
    problems = []
    for rule, permission in permissions(recording):
        where = f"{rule.name}: {permission}"
        if permission.group not in own:
            problems.append(f"{where}: belongs to no group of this program")
        if permission.family is not None and permission.family not in allowed.families:
            problems.append(f"{where}: IPv{permission.family} is not in use")
        if permission.direction == "egress":
            if permission.protocol != "all" or permission.source not in {
                ("cidr", ANY_ADDRESS[family]) for family in allowed.families
            }:
                problems.append(f"{where}: egress other than allow-all to the any-address")
            continue
        kind, value = permission.source
        for audience in sorted(audiences(permission)):
            pool = (allowed.cidrs if kind == "cidr" else allowed.groups)[audience]
            if value not in pool:
                problems.append(f"{where}: {audience} ports from {value}, allowed {sorted(pool)}")
    return problems


def duplicate_permissions(recording: Recording) -> list[str]:
    """Invariant 2: what each rule permits, counted; and every resource named once."""
    counted = Counter(permission for _, permission in permissions(recording))
    problems = [f"{count} rules permit {p}" for p, count in counted.items() if count > 1]
    urns = Counter(resource.urn for resource in recording.resources)
    problems += [f"{urn} registered {count} times" for urn, count in urns.items() if count > 1]
    return problems


def empty_list_violations(config: Mapping[str, object], recording: Recording) -> list[str]:
    """Invariant 4: an explicit [] opens nothing; checked here without `allowed_sources`."""
    ingress = [(rule.name, p) for rule, p in permissions(recording) if p.direction == "ingress"]
    labelled_ssh = set(labelled(config, "sshSourceGroups").values())
    labelled_snmp = set(labelled(config, "snmpSourceGroups").values())
    snmp_cidrs = split(listed(config, "snmpSources"))[0]
    problems = []
    for name, p in ingress:
        opens = audiences(p)
        if (
            config.get("sshSources") == []
            and "ssh" in opens
            and (p.source[0] == "cidr" or p.source[1] not in labelled_ssh)
        ):
            problems.append(f"sshSources is [] but {name} opens SSH to {p.source}")
        if (
            config.get("worldCidrs") == []
            and "sshSources" not in config
            and p.source[0] == "cidr"
            and (opens != {"snmp"} or p.source[1] not in snmp_cidrs)
        ):
            problems.append(f"worldCidrs is [] but {name} admits {p.source[1]}")
        if not config.get("snmpSources") and not labelled_snmp and "snmp" in opens:
            problems.append(f"no SNMP pollers but {name} opens SNMP to {p.source}")
    return problems


def check_accepted(config: Mapping[str, object]) -> Recording | None:
    """Run a valid configuration; hold invariants 1, 2 and 4 on what it registers.

    Only the quota pre-flight may refuse it, and only at the clouds' default limits
    (`limits` left out); then nothing is registered and the message names the limit.
    Returns the recording, or None for such a refusal.
    """
    recording = Recording()
    try:
        run_main(config, recording=recording)
    except pulumi.RunError as exc:
        assert "limits" not in config, f"a valid configuration was refused:\n{exc}"
        assert recording.resources == [], "resources were registered before the refusal"
        assert f"{NAMESPACE}:limits." in str(exc), str(exc)
        event("refused by the quota pre-flight at default limits")
        return None
    assert any(r.type in GROUP_TYPES for r in recording.resources)
    # A resource of another type would escape every check below: teach this module first.
    unknown = {r.type for r in recording.resources} - {*GROUP_TYPES, *RULE_TYPES, COMPONENT}
    assert not unknown, f"registered types this test cannot read: {sorted(unknown)}"
    problems = source_violations(config, recording)
    problems += duplicate_permissions(recording)
    problems += empty_list_violations(config, recording)
    assert problems == [], "\n".join(problems)
    event(f"{config['cloud']}, {len(permissions(recording)) // 20 * 20}+ rules")
    return recording


# ==========================================================================
# Invariants 1, 2 and 4 on valid configurations


@derandomized(VALID_EXAMPLES)
@given(config=valid_configs())
def test_an_accepted_configuration_opens_only_what_it_names_and_each_permission_once(
    config: Config,
) -> None:
    check_accepted(config)


@st.composite
def configs_with_empty_lists(draw: st.DrawFn) -> Config:
    """A valid configuration with one of the README's explicit-empty cases forced."""
    config = draw(valid_configs(raised_limits=True))
    case = draw(st.sampled_from(["no-ssh", "no-world", "no-world-no-sources", "no-snmp"]))
    event(f"empty lists: {case}")
    if case == "no-ssh":
        config["sshSources"] = []
    elif case == "no-world":
        config["worldCidrs"] = []
        config.pop("sshSources", None)
    elif case == "no-world-no-sources":
        config["worldCidrs"] = []
        for key in ("sshSources", "sshSourceGroups", "snmpSourceGroups"):
            config.pop(key, None)
        config["snmpSources"] = draw(st.sampled_from([[], None]))
        if config["snmpSources"] is None:
            del config["snmpSources"]
    else:
        config["snmpSources"] = []
        config.pop("snmpSourceGroups", None)
    return config


@derandomized(EMPTY_LIST_EXAMPLES)
@given(config=configs_with_empty_lists())
def test_an_explicit_empty_list_opens_nothing(config: Config) -> None:
    recording = check_accepted(config)  # includes the general form of these checks
    assert recording is not None
    ingress = [p for _, p in permissions(recording) if p.direction == "ingress"]
    if config.get("sshSources") == [] and not config.get("sshSourceGroups"):
        assert not [p for p in ingress if "ssh" in audiences(p)], "SSH was opened"
    if not config.get("snmpSources") and not config.get("snmpSourceGroups"):
        assert not [p for p in ingress if "snmp" in audiences(p)], "SNMP was opened"
    if config.get("worldCidrs") == [] and "sshSources" not in config:
        if not config.get("snmpSources"):
            assert not [p for p in ingress if p.source[0] == "cidr"], "a CIDR rule was registered"
        egress = [p for _, p in permissions(recording) if p.direction == "egress"]
        assert egress, "allow-all egress stays"


# ==========================================================================
# Strategies: broken configurations, each mistake tied to the key it is reported at

BAD_ROLES: tuple[object, ...] = (
    "sprot", "elis", "Bono", "homer ", "vellum\n", "app_server", "appserver", "dimes",
    "all-nodes", "all-in-one", "SPROUT", "", 7, True, None,
)  # fmt: skip
MALFORMED_CIDRS: tuple[object, ...] = (
    "10.0.0.256/24", "10.0.0.0/33", "not-a-cidr", "10.0.0.0/8/8", "fd00::/129", "fd00::g/64",
    "10.0.0.0/8\n", " 10.0.0.0/8", "10.0.0.0 /8", "10.0.0.0/-1", "1.2.3/24", "10.0.0.0",
    "fd00::", "10.0.0.0/+8", "abc", "", 10, None, ["10.0.0.0/8"],
)  # fmt: skip
NOT_BOOLEANS: tuple[object, ...] = (
    "maybe", "yes", "no", "on", "off", "1", "0", 1, 0, 2, "tru", "False!", [], {},
)  # fmt: skip
BAD_LABELS: tuple[str, ...] = (
    "sg-bastion", "sg-0123abcd", "sg-0123456789abcdef0", "Bastion", "-x", "9lives",
    "has space", "under_score", "bastion\n", "a" * 41, "ellis", "all-nodes", "all-in-one",
    "app-server", "0d2a6c1e-52f4-4c1b-9a5e-3f2b1c0d9e8f", "abcdef01-2345-6789-abcd-ef0123456789",
)  # fmt: skip
UNKNOWN_KEYS: tuple[str, ...] = (
    "sshSource", "worldCidr", "vpcID", "region", "role", "snmpSourceGroup", "namePrefx",
    "tag", "limit", "ipversion", "ssh-sources", "Cloud", "deploy", "mementos",
)  # fmt: skip
BAD_NAME_PREFIXES: tuple[str, ...] = (
    "prod\n", "-prod", "prod ims", "a" * 64, "ims/prod", ".prod", "prod:1", "_x",
)  # fmt: skip
SOURCE_LISTS = ("worldCidrs", "sshSources", "snmpSources")
GROUP_MAPS = ("sshSourceGroups", "snmpSourceGroups")


@dataclass
class Breaker:
    """Injects mistakes into a valid configuration, one at a time, remembering the keys
    each must be reported at. A mistake is injected only when it cannot hide another:
    it writes no key an earlier one read or wrote, and reads no key an earlier one wrote
    (a refused `cloud` or `ipVersion` changes what the keys that depend on it accept)."""

    draw: st.DrawFn
    config: Config
    read: set[str] = field(default_factory=set)
    written: set[str] = field(default_factory=set)
    keys: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    issued: set[str] = field(default_factory=set)  # fresh labels and ids handed out

    def take(self, reads: Iterable[str] = (), writes: Iterable[str] = ()) -> bool:
        reads, writes = set(reads), set(writes)
        if writes & (self.read | self.written) or reads & self.written:
            return False
        self.read |= reads
        self.written |= writes
        return True

    def expect(self, key: str) -> None:
        self.keys.append(key)

    @property
    def cloud(self) -> str:
        """The cloud, or (once refused) the cloud whose ids to use."""
        cloud = self.config.get("cloud")
        return cloud if isinstance(cloud, str) and cloud in CLOUDS else "aws"

    @property
    def families(self) -> tuple[int, ...]:
        """The families in use; both once ipVersion is refused."""
        return FAMILIES.get(str(self.config.get("ipVersion", "4")), (4, 6))

    @property
    def distributed(self) -> bool:
        return self.config.get("deployment", "distributed") == "distributed"

    def pick(self, options: Sequence[Any]) -> Any:
        return self.draw(st.sampled_from(options))

    def fresh_id(self, cloud: str | None = None) -> str:
        """A group id the configuration does not mention yet."""
        taken = repr(self.config)
        fresh = self.draw(
            group_ids(cloud or self.cloud).filter(lambda i: i not in taken and i not in self.issued)
        )
        self.issued.add(fresh)
        return fresh

    def fresh_label(self) -> str:
        """A valid label of neither map yet."""
        used = {label for key in GROUP_MAPS for label in self.mapping(key)} | self.issued
        fresh = self.draw(labels().filter(lambda label: label not in used))
        self.issued.add(fresh)
        return fresh

    def mapping(self, key: str) -> dict[str, Any]:
        value = self.config.get(key)
        return dict(value) if isinstance(value, dict) else {}

    def entries(self, key: str) -> list[Any]:
        value = self.config.get(key)
        return list(value) if isinstance(value, list) else []

    def insert(self, key: str, bad: Sequence[object]) -> None:
        """Put `bad` entries at drawn positions of list `key`; expect each's index."""
        current = self.config.get(key)
        entries: list[object] = list(current) if isinstance(current, list) else []
        marked = [(False, e) for e in entries] + [(True, e) for e in bad]
        shuffled = self.draw(st.permutations(marked))
        self.config[key] = [entry for _, entry in shuffled]
        for index, (is_bad, _) in enumerate(shuffled):
            if is_bad:
                self.expect(f"{key}[{index}]")

    def some(self, options: Sequence[Any], most: int = 2) -> list[Any]:
        """1 to `most` distinct options."""
        return list(
            self.draw(st.lists(st.sampled_from(options), min_size=1, max_size=most, unique_by=repr))
        )


Mistake = Callable[[Breaker], bool]


def typo_in_roles(b: Breaker) -> bool:
    if not b.distributed or not b.take(reads=["deployment"], writes=["roles"]):
        return False
    b.config["roles"] = b.entries("roles") or b.draw(st.lists(st.sampled_from(ROLES), unique=True))
    b.insert("roles", b.some(BAD_ROLES))
    return True


def role_listed_twice(b: Breaker) -> bool:
    if not b.distributed or not b.take(reads=["deployment"], writes=["roles"]):
        return False
    roles = b.entries("roles") or list(ROLES[:6])
    first = b.draw(st.integers(0, len(roles) - 1))
    later = b.draw(st.integers(first + 1, len(roles)))
    roles.insert(later, roles[first])
    b.config["roles"] = roles
    b.expect(f"roles[{later}]")
    return True


def empty_roles(b: Breaker) -> bool:
    if not b.distributed or not b.take(reads=["deployment"], writes=["roles"]):
        return False
    b.config["roles"] = []
    b.expect("roles")
    return True


def roles_on_all_in_one(b: Breaker) -> bool:
    if b.distributed or not b.take(reads=["deployment"], writes=["roles"]):
        return False
    b.config["roles"] = b.some(ROLES, most=3)
    b.expect("roles")
    return True


def toggle_on_all_in_one(b: Breaker) -> bool:
    toggles = b.some(["memento", "hss"])
    if b.distributed or not b.take(reads=["deployment"], writes=toggles):
        return False
    for toggle in toggles:
        b.config[toggle] = True
        b.expect(toggle)
    return True


def not_a_boolean(b: Breaker) -> bool:
    toggles = b.some(["memento", "hss", "protect"], most=3)
    if not b.take(writes=toggles):
        return False
    for toggle in toggles:
        b.config[toggle] = b.pick(NOT_BOOLEANS)
        b.expect(toggle)
    return True


def malformed_cidr(b: Breaker) -> bool:
    key = b.pick(SOURCE_LISTS)
    if not b.take(writes=[key]):
        return False
    b.insert(key, b.some(MALFORMED_CIDRS))
    return True


# IPv4 networks written as IPv6: mapped and compatible, each of its own family's text.
EMBEDDED_IPV4 = ("::ffff:10.0.0.0/104", "::ffff:0:0/96", "::ffff:c000:200/120", "::10.1.0.0/112")


def ipv4_written_as_ipv6(b: Breaker) -> bool:
    key = b.pick(SOURCE_LISTS)
    if not b.take(writes=[key]):
        return False
    b.insert(key, b.some(EMBEDDED_IPV4))
    return True


# Internet addresses under a key that names the deployment's own hosts.
WORLD_COVERING = ("0.0.0.0/0", "0.0.0.0/1", "8.8.8.0/24", "10.0.0.0/7", "::/0", "2000::/3")


def a_peer_site_on_the_internet(b: Breaker) -> bool:
    if not b.take(reads=["deployment"], writes=["peerSites"]):
        return False
    b.config["peerSites"] = {"site-b": b.some(WORLD_COVERING, most=1)}
    b.expect("peerSites.site-b[0]" if b.distributed else "peerSites")
    return True


def control_characters_in_a_reason(b: Breaker) -> bool:
    if not b.take(reads=["ipVersion", "deployment", "roles"], writes=["extraRules"]):
        return False
    source = "10.40.0.0/16" if 4 in b.families else "fd00:40::/48"
    reason = b.pick(["IMS-7\n| forged | row |", "IMS-7\x1b[2J", "IMS\u202e7", "\x00"])
    extra = {"protocol": "tcp", "ports": "5053", "sources": [source], "description": "SBC"}
    b.config["extraRules"] = {"all-nodes": [{**extra, "reason": reason}]}
    b.expect("extraRules.all-nodes[0].reason")
    return True


def host_bits(b: Breaker) -> bool:
    key = b.pick(SOURCE_LISTS)
    if not b.take(writes=[key]):
        return False
    family = b.pick(b.families)
    bits = 32 if family == 4 else 128
    prefix = b.draw(st.integers(0, bits - 1))
    start = b.draw(st.integers(0, 2**prefix - 1)) << (bits - prefix)  # the network
    host = b.draw(st.integers(1, 2 ** (bits - prefix) - 1))  # any host bit set
    address = (ipaddress.IPv4Address if family == 4 else ipaddress.IPv6Address)(start + host)
    b.insert(key, [f"{address}/{prefix}"])
    return True


def wrong_family(b: Breaker) -> bool:
    key = b.pick(SOURCE_LISTS)
    if len(b.families) != 1 or not b.take(reads=["ipVersion"], writes=[key]):
        return False
    other = 6 if b.families == (4,) else 4
    b.insert(key, [str(b.draw(networks(other)))])
    return True


def group_id_in_world(b: Breaker) -> bool:
    if not b.take(writes=["worldCidrs"]):
        return False
    b.insert("worldCidrs", [b.fresh_id(b.pick(CLOUDS))])
    return True


def other_clouds_group_id(b: Breaker) -> bool:
    key = b.pick(["sshSources", "snmpSources"])
    if not b.take(reads=["cloud"], writes=[key]):
        return False
    b.insert(key, [b.fresh_id("openstack" if b.cloud == "aws" else "aws")])
    return True


def listed_twice(b: Breaker) -> bool:
    key = b.pick(SOURCE_LISTS)
    # A refused cloud makes every group id in the sources lists a mistake, and a list
    # with a refused entry is not checked for repeats.
    if not b.take(reads=["cloud"] if key != "worldCidrs" else [], writes=[key]):
        return False
    entries = b.entries(key)
    if not entries:
        entries = [str(b.draw(networks(b.pick(b.families))))]
    first = b.draw(st.integers(0, len(entries) - 1))
    original = str(entries[first])
    network = network_of(original)
    again = original if network is None else b.draw(spellings(ipaddress.ip_network(network)))
    later = b.draw(st.integers(first + 1, len(entries)))
    entries.insert(later, again)
    b.config[key] = entries
    b.expect(f"{key}[{later}]")
    return True


def id_also_labelled(b: Breaker) -> bool:
    sources, groups = b.pick(
        [("sshSources", "sshSourceGroups"), ("snmpSources", "snmpSourceGroups")]
    )
    if not b.take(reads=["cloud"], writes=[sources, groups]):
        return False
    named = b.mapping(groups)
    if not named:
        named[b.fresh_label()] = b.fresh_id()
        b.config[groups] = named
    b.insert(sources, [b.pick(sorted(named.values()))])
    return True


def two_labels_for_one_group(b: Breaker) -> bool:
    key = b.pick(GROUP_MAPS)
    # snmpSourceGroups is checked for repeats only when its labels agree with SSH's.
    reads = ["sshSourceGroups"] if key == "snmpSourceGroups" else []
    if not b.take(reads=reads, writes=[key]):
        return False
    named = b.mapping(key)
    if not named:
        named[b.fresh_label()] = b.fresh_id()
    first = b.pick(sorted(named))
    items = [*named.items(), (b.fresh_label(), named[first])]
    ordered = dict(b.draw(st.permutations(items)))
    b.config[key] = ordered
    group = named[first]
    b.expect(f"{key}.{[label for label, g in ordered.items() if g == group][-1]}")
    return True


def one_label_two_groups(b: Breaker) -> bool:
    if not b.take(writes=GROUP_MAPS):
        return False
    ssh = b.mapping("sshSourceGroups")
    if not ssh:
        ssh[b.fresh_label()] = b.fresh_id()
        b.config["sshSourceGroups"] = ssh
    label = b.pick(sorted(ssh))
    snmp = b.mapping("snmpSourceGroups")
    snmp[label] = b.fresh_id()
    b.config["snmpSourceGroups"] = dict(b.draw(st.permutations(list(snmp.items()))))
    b.expect(f"snmpSourceGroups.{label}")
    return True


def bad_label(b: Breaker) -> bool:
    key = b.pick(GROUP_MAPS)
    if not b.take(writes=[key]):
        return False
    named = b.mapping(key)
    for label in b.some(BAD_LABELS):
        named[label] = b.fresh_id()
        b.expect(f"{key}.{label}")
    b.config[key] = dict(b.draw(st.permutations(list(named.items()))))
    return True


def bad_group_id(b: Breaker) -> bool:
    key = b.pick(GROUP_MAPS)
    if not b.take(reads=["cloud"], writes=[key]):
        return False
    named = b.mapping(key)
    good = b.fresh_id()
    values = [
        "sg-xyz", "sg-0123", f"{good}\n", f" {good}", good.upper(), "", 42, None,
        b.fresh_id("openstack" if b.cloud == "aws" else "aws"),
    ]  # fmt: skip
    label = b.fresh_label()
    named[label] = b.pick(values)
    b.config[key] = named
    b.expect(f"{key}.{label}")
    return True


def unknown_key(b: Breaker) -> bool:
    keys = b.some(UNKNOWN_KEYS)
    if not b.take(writes=keys):
        return False
    for key in keys:
        b.config[key] = b.pick(["x", 1, True, ["a"], {"a": 1}])
        b.expect(key)
    return True


def vpc_mistake(b: Breaker) -> bool:
    if not b.take(reads=["cloud"], writes=["vpcId"]):
        return False
    if b.cloud == "openstack":
        b.config["vpcId"] = b.draw(vpc_ids())
    else:
        options: list[object] = [
            None, "vpc-123", "vpc-0123456789ABCDEF0", f"{b.config['vpcId']}\n",
            "subnet-0123456789abcdef0", 12345, "vpc-0123456789abcdef01",
        ]  # fmt: skip
        value = b.pick(options)
        if value is None:
            del b.config["vpcId"]
        else:
            b.config["vpcId"] = value
    b.expect("vpcId")
    return True


def bad_name_prefix(b: Breaker) -> bool:
    options = list(BAD_NAME_PREFIXES) + (["sg-prod", "SG-x"] if b.cloud == "aws" else [])
    if not b.take(reads=["cloud"], writes=["namePrefix"]):
        return False
    b.config["namePrefix"] = b.pick(options)
    b.expect("namePrefix")
    return True


def bad_tag(b: Breaker) -> bool:
    if not b.take(reads=["cloud"], writes=["tags"]):
        return False
    tags = b.mapping("tags")
    options: list[tuple[str, object]] = [
        ("aws:cost", "x"), ("AWS:Owner", "x"), ("Name", "x"), ("clearwater:role", "x"),
        ("k" * 129, "v"), ("owner", "v" * 257), ("count", 5), ("flag", True), ("none", None),
    ]  # fmt: skip
    if b.cloud == "openstack":
        options.append(("a=b", "c"))
    for key, value in b.some(options):
        tags[key] = value
        b.expect(f"tags.{key}")
    b.config["tags"] = tags
    return True


def tags_over_a_limit(b: Breaker) -> bool:
    if not b.take(reads=["cloud"], writes=["tags"]):
        return False
    if b.cloud == "openstack" and b.draw(st.booleans()):
        b.config["tags"] = {"owner": "v" * 250}  # 'owner=v...' is 256 characters
        b.expect("tags.owner")
    else:
        b.config["tags"] = {f"k{i}": "v" for i in range(49)}
        b.expect("tags")
    return True


def bad_limits(b: Breaker) -> bool:
    if not b.take(writes=["limits"]):
        return False
    if b.draw(st.integers(0, 4)) == 0:
        b.config["limits"] = b.pick(["lots", ["rulesPerGroup"], 100])
        b.expect("limits")
        return True
    limits = b.mapping("limits")
    options: list[tuple[str, object]] = [
        ("rulesPerGroup", 0), ("rulesPerGroup", -1), ("groupsPerInterface", "many"),
        ("securityGroups", 1.5), ("securityGroupRules", -100), ("rulesPerGroups", 60),
        ("maxRules", 1),
    ]  # fmt: skip
    chosen = dict(b.some(options))
    limits |= chosen
    for key in chosen:
        b.expect(f"limits.{key}")
    b.config["limits"] = limits
    return True


def bad_ip_version(b: Breaker) -> bool:
    if not b.take(writes=["ipVersion"]):
        return False
    b.config["ipVersion"] = b.pick(["5", "ipv4", "both", "4.0", "v6", "Dual", 46, [4]])
    b.expect("ipVersion")
    return True


def bad_deployment(b: Breaker) -> bool:
    if not b.take(writes=["deployment"]):
        return False
    b.config["deployment"] = b.pick(["distributed-ish", "aio", "All-in-one", "single", 1])
    b.expect("deployment")
    return True


def bad_cloud(b: Breaker) -> bool:
    if not b.take(writes=["cloud"]):
        return False
    value = b.pick(["gcp", "AWS", "azure", "open-stack", None])
    if value is None:
        del b.config["cloud"]
    else:
        b.config["cloud"] = value
    b.expect("cloud")
    return True


MISTAKES: tuple[Mistake, ...] = (
    typo_in_roles, role_listed_twice, empty_roles, roles_on_all_in_one, toggle_on_all_in_one,
    not_a_boolean, malformed_cidr, host_bits, wrong_family, group_id_in_world,
    other_clouds_group_id, listed_twice, id_also_labelled, two_labels_for_one_group,
    one_label_two_groups, bad_label, bad_group_id, unknown_key, vpc_mistake, bad_name_prefix,
    bad_tag, tags_over_a_limit, bad_limits, bad_ip_version, bad_deployment, bad_cloud,
    ipv4_written_as_ipv6, a_peer_site_on_the_internet, control_characters_in_a_reason,
)  # fmt: skip


@st.composite
def broken_configs(draw: st.DrawFn) -> tuple[Config, list[str]]:
    """A valid configuration with 1-4 independent mistakes, and the keys to report."""
    breaker = Breaker(draw, copy.deepcopy(draw(valid_configs())))
    for mistake in draw(st.lists(st.sampled_from(MISTAKES), min_size=1, max_size=4, unique=True)):
        if mistake(breaker):
            breaker.names.append(mistake.__name__)
    assume(breaker.keys)
    for name in breaker.names:
        event(f"mistake: {name}")
    return breaker.config, breaker.keys


# ==========================================================================
# Invariant 3 on broken configurations


@derandomized(BROKEN_EXAMPLES)
@given(broken=broken_configs())
def test_a_refused_configuration_registers_nothing_and_names_every_mistake(
    broken: tuple[Config, list[str]],
) -> None:
    config, keys = broken
    recording = Recording()
    with pytest.raises(pulumi.RunError) as raised:
        run_main(config, recording=recording)
    assert recording.resources == [], "resources were registered before the refusal"
    message = str(raised.value)
    missing = [key for key in keys if f"{NAMESPACE}:{key}: " not in message]
    assert missing == [], f"not reported: {missing}\n{message}"


# ==========================================================================
# Mistakes that hide each other today (found by widening the generator above)

SG_A = "sg-0aaaaaaaaaaaaaaaa"
SG_B = "sg-0bbbbbbbbbbbbbbbb"
VPC = "vpc-0123456789abcdef0"


@pytest.mark.parametrize(
    ("config", "keys"),
    [
        ({"roles": ["sprot", "ellis", "ellis"]}, ["roles[0]", "roles[2]"]),
        ({"sshSources": ["10.0.0.0/8", "10.0.0.0/8", "::/0"]}, ["sshSources[1]", "sshSources[2]"]),
        (
            {"sshSourceGroups": {"ops": SG_A}, "snmpSourceGroups": {"ops": SG_B, "x": "bad"}},
            ["snmpSourceGroups.ops", "snmpSourceGroups.x"],
        ),
        (
            {"sshSourceGroups": {"a": SG_B}, "snmpSourceGroups": {"a": SG_A, "b": SG_A}},
            ["snmpSourceGroups.a", "snmpSourceGroups.b"],
        ),
        (
            {"cloud": "openstack", "tags": {"owner": "v" * 250, "AWS:x": "y"}},
            ["tags.owner", "tags.AWS:x"],
        ),
        pytest.param(
            {"sshSources": [SG_A], "sshSourceGroups": {"Bad": SG_B, "bastion": SG_A}},
            ["sshSourceGroups.Bad", "sshSources[0]"],
            marks=pytest.mark.xfail(
                strict=True,
                reason="a check that reads another key (sshSources against sshSourceGroups) "
                "runs only once that key is valid: this repeat is reported one round later",
            ),
            id="ssh-groups",
        ),
    ],
    ids=["roles", "sshSources", "snmp-label", "snmp-repeat", "neutron-tags", "ssh-groups"],
)
def test_two_mistakes_in_related_keys_are_reported_at_once(config: Config, keys: list[str]) -> None:
    full: Config = {"cloud": "aws", "vpcId": VPC, **config}
    if full["cloud"] == "openstack":
        del full["vpcId"]
    recording = Recording()
    with pytest.raises(pulumi.RunError) as raised:
        run_main(full, recording=recording)
    assert recording.resources == []
    missing = [key for key in keys if f"{NAMESPACE}:{key}: " not in str(raised.value)]
    assert missing == [], f"not reported: {missing}\n{raised.value}"
