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

import ipaddress
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import pulumi
from hypothesis import event, given
from hypothesis import strategies as st

from offline.runner import Recording, Registered
from tests.helpers import run_main
from tests.registered import AWS_EGRESS, AWS_GROUP, AWS_INGRESS, OPENSTACK_GROUP, OPENSTACK_RULE
from tests.strategies import (
    ANY_ADDRESS,
    FAMILIES,
    NAMESPACE,
    SNMP_PORTS,
    SSH_PORTS,
    Config,
    derandomized,
    network_of,
    valid_configs,
)

GROUP_TYPES = (AWS_GROUP, OPENSTACK_GROUP)
RULE_TYPES = (AWS_INGRESS, AWS_EGRESS, OPENSTACK_RULE)
COMPONENT = "clearwater-sg:index:ClearwaterSecurityGroups"


# Runs of the program on valid configurations take ~0.3-0.6 s each.
VALID_EXAMPLES = 50
EMPTY_LIST_EXAMPLES = 20


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


# ==========================================================================
# Invariant 3 on broken configurations


# ==========================================================================
# Mistakes that hide each other today (found by widening the generator above)
