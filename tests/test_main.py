"""The stack program (`__main__.py`) as a whole, run under the SDK's mock engine
(`tests.helpers.run_main`), with its project files (Pulumi.yaml, requirements.txt,
stacks/): what it exports, the group names it keeps, the keys Pulumi.yaml declares to the
CLI, the bundled stacks, and that the tests collect in a fresh clone; then properties of
the program over generated configurations (hypothesis).

Each example of the properties looks only at what was registered. What a configuration
may open is derived here, from the configuration and the README's description of its
keys, never from `clearwater_sg`:

1. Every rule's source is one the configuration names: a CIDR of `worldCidrs` (the
   family's any-address when it is absent), `sshSources` or `snmpSources`, a group of this
   program, or an id the configuration lists; allow-all egress to the any-address. SSH
   (TCP/22) is opened only to the SSH sources and SNMP (UDP/161-162) only to the pollers.
2. No two registered rules permit the same traffic, compared by what they permit (group,
   direction, family, protocol, ports or ICMP type and code, source), not by name.
3. A refused configuration registers nothing and names every key it got wrong, all at
   once: reading configuration is `clearwater_sg.stack_config`'s, and that property is
   tested with it, in tests/unit/test_stack_config.py.
4. An explicit empty list opens nothing: `sshSources: []` no SSH, `worldCidrs: []` no CIDR
   rule but egress (while `sshSources` follows it), no SNMP without pollers.

The configurations come from tests/strategies.py, which says which keys they cover.
"""

from __future__ import annotations

import ipaddress
import subprocess
import sys
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pulumi
import yaml
from hypothesis import event, given
from hypothesis import strategies as st

from clearwater_sg.options import DeploymentOptions
from clearwater_sg.permission import Addresses, OutsideGroup, PeerGroup, Permission
from clearwater_sg.resources import (
    AWS_GROUP,
    GROUP_TYPES,
    OPENSTACK_RULE,
    RULE_TYPES,
)
from clearwater_sg.resources import COMPONENT_TYPE as COMPONENT
from clearwater_sg.stack_file import load_stack
from harness import PROJECT_DIR, aws, run_main
from offline.inventory import RULE_READERS
from offline.runner import Recording, Registered
from tests.beyond import ALL, split_config
from tests.helpers import STACK_FILES, group_ids_by_role, groups_by_role
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

# ==========================================================================
# The program and its project files

PROJECT_FILE = yaml.safe_load((PROJECT_DIR / "Pulumi.yaml").read_text())


def test_the_program_exports_group_ids_and_per_role_attachments() -> None:
    recording = run_main({"cloud": "openstack", "deployment": "all-in-one"})
    ids = group_ids_by_role(recording)
    assert recording.outputs["securityGroupIds"] == ids
    assert recording.outputs["nodeSecurityGroupIds"] == {
        "all-in-one": [ids["all-nodes"], ids["all-in-one"]]
    }


def test_split_outputs_give_each_role_its_ids_per_interface() -> None:
    recording = run_main(split_config("aws", "4", "split"))
    ids = {g.inputs["name"]: g.id for g in recording.resources if g.type == AWS_GROUP}
    assert "nodeSecurityGroupIds" not in recording.outputs
    assert recording.outputs["interfaceSecurityGroupIds"]["sprout"] == {
        "management": [
            ids["clearwater-dev-all-nodes-management"],
            ids["clearwater-dev-sprout-management"],
        ],
        "signaling": [
            ids["clearwater-dev-all-nodes-signaling"],
            ids["clearwater-dev-sprout-signaling"],
        ],
    }
    assert set(recording.outputs["securityGroupIds"]) == {
        f"{role}-{net}" for role in ["all-nodes", *ALL] for net in ("management", "signaling")
    }
    assert (
        recording.outputs["securityGroupIds"]["sprout-signaling"]
        == ids["clearwater-dev-sprout-signaling"]
    )


def test_the_bundled_program_keeps_its_group_names() -> None:
    names = {g.inputs["name"] for g in groups_by_role(run_main(aws(), stack="prod")).values()}
    assert "clearwater-prod-sprout" in names


def test_declared_keys_are_settings_with_the_programs_defaults() -> None:
    fields = {field.alias: field for field in DeploymentOptions.model_fields.values()}
    for key, declaration in PROJECT_FILE["config"].items():
        assert key in fields, f"Pulumi.yaml declares {key!r}, which the program does not read"
        if "default" in declaration:
            default = fields[key].default
            assert (
                str(declaration["default"]).lower()
                == str(getattr(default, "value", default)).lower()
            )
    assert "default" not in PROJECT_FILE["config"]["cloud"], "cloud must be required"


def test_only_cloud_is_declared_for_the_cli_which_stops_at_its_first_type_error() -> None:
    import yaml

    declared = yaml.safe_load((PROJECT_DIR / "Pulumi.yaml").read_text())["config"]
    assert declared == {
        "cloud": {"type": "string", "description": "Target cloud, aws or openstack."}
    }


def test_the_python_runtime_installs_the_project_into_its_virtualenv() -> None:
    runtime = PROJECT_FILE["runtime"]
    assert runtime["name"] == "python"
    assert runtime["options"]["virtualenv"] and runtime["options"]["toolchain"] == "pip"
    requirements = (PROJECT_DIR / "requirements.txt").read_text().split()
    assert "-e" in requirements and ".[aws,openstack]" in requirements
    assert PROJECT_FILE["stackConfigDir"] == "stacks"


def test_the_bundled_stacks_cover_the_issues_environments() -> None:
    configs = {path.name: load_stack(path).config for path in STACK_FILES}
    assert any(
        c["clearwater-sg:cloud"] == "aws"
        and c.get("clearwater-sg:memento") == "true"
        and c.get("clearwater-sg:hss") == "true"
        for c in configs.values()
    )
    assert any(c["clearwater-sg:cloud"] == "openstack" for c in configs.values())
    assert any(c.get("clearwater-sg:deployment") == "all-in-one" for c in configs.values())


def test_the_tests_collect_in_a_clone_with_nothing_beside_it(tmp_path: Path) -> None:
    clone = tmp_path / "alone" / "clearwater-sg"
    subprocess.run(
        ["git", "clone", "--quiet", str(PROJECT_DIR), str(clone)], check=True, timeout=60
    )
    assert not (clone.parent / "shared").exists()
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"],
        capture_output=True,
        text=True,
        cwd=clone,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "error" not in result.stdout.lower().splitlines()[-1]


# ==========================================================================
# Properties over generated configurations


# Runs of the program on valid configurations take ~0.3-0.6 s each.
VALID_EXAMPLES = 50
EMPTY_LIST_EXAMPLES = 20


# ==========================================================================
# What a registered rule permits, read from its inputs as the provider gets them


# Each cloud's rule resources as its backend reads them (`offline.inventory.RULE_READERS`):
# the one shape of what a rule lets through. Groups keep their ids here (the "keys" the
# reader is given are the ids themselves), so that a rule is judged against the ids the
# configuration names.
_AWS_PROTOCOLS = ("-1", "tcp", "6", "udp", "17")
_AWS_ICMP = {"icmp": 4, "1": 4, "icmpv6": 6, "58": 6}
_NEUTRON_ANY = (None, "", "tcp", "6", "udp", "17")
_NEUTRON_PROTOCOLS = {
    4: (*_NEUTRON_ANY, "icmp", "1"),
    6: (*_NEUTRON_ANY, "icmpv6", "ipv6-icmp", "58"),
}


def _network(text: object, family: int | None) -> str:
    """A registered CIDR: canonical, of the rule's family (when it has one)."""
    assert isinstance(text, str), text
    network = ipaddress.ip_network(text)  # strict: host bits would raise
    assert str(network) == text, f"{text!r} is sent in a form the cloud rewrites"
    assert family is None or network.version == family, f"{text} on an IPv{family} rule"
    return text


def _check_encoding(rule: Registered) -> None:
    """What the reader takes as given: one source, in the form the cloud stores, of the
    rule's family, and a protocol spelled for that family."""
    inputs = rule.inputs
    if rule.type == OPENSTACK_RULE:
        family = {"IPv4": 4, "IPv6": 6}[str(inputs["ethertype"])]
        prefix, remote = inputs.get("remoteIpPrefix"), inputs.get("remoteGroupId")
        assert not (prefix and remote), f"{rule.name}: both a prefix and a group"
        raw = inputs.get("protocol")
        assert raw in _NEUTRON_PROTOCOLS[family], f"{rule.name}: protocol {raw!r}"
        if prefix:
            _network(prefix, family)
        return
    kinds = ("cidrIpv4", "cidrIpv6", "referencedSecurityGroupId")
    sources = [kind for kind in kinds if inputs.get(kind)]
    assert len(sources) == 1, f"{rule.name}: sources {sources}"
    cidr_family = {"cidrIpv4": 4, "cidrIpv6": 6}.get(sources[0])
    raw = str(inputs["ipProtocol"]).lower()
    assert raw in _AWS_PROTOCOLS or raw in _AWS_ICMP, f"{rule.name}: protocol {raw!r}"
    assert cidr_family in (None, _AWS_ICMP.get(raw, cidr_family)), f"{rule.name}: {raw}"
    if cidr_family is not None:
        _network(inputs[sources[0]], cidr_family)


def permissions(recording: Recording) -> list[tuple[Registered, Permission]]:
    ids = {r.id: r.id for r in recording.resources if r.type in GROUP_TYPES}
    found = []
    for resource in recording.resources:
        if resource.type in RULE_READERS:
            _check_encoding(resource)
            found.append(
                (resource, RULE_READERS[resource.type](resource.type, resource.inputs, ids))
            )
    return found


def family_of(permission: Permission) -> int | None:
    """4, 6, or None for a group reference without a family (AWS: both)."""
    return {"IPv4": 4, "IPv6": 6}.get(permission.family)


def source_of(permission: Permission) -> tuple[str, str]:
    """("cidr", network) or ("group", id)."""
    peer = permission.peer
    if isinstance(peer, Addresses):
        return "cidr", peer.cidr
    assert isinstance(peer, (PeerGroup, OutsideGroup)), peer
    return "group", peer.key if isinstance(peer, PeerGroup) else peer.id


def audiences(permission: Permission) -> set[str]:
    """Which settings govern the ports a rule opens: ssh (TCP/22), snmp (UDP/161-162),
    other (everything else, opened to the world or to the deployment's own groups)."""
    if permission.protocol == "all":
        return {"ssh", "snmp", "other"}
    if permission.protocol == "icmp":
        return {"other"}
    first = 0 if permission.low is None else permission.low
    last = 65535 if permission.high is None else permission.high
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
        where = f"{rule.name}: {permission.describe()}"
        if permission.group not in own:
            problems.append(f"{where}: belongs to no group of this program")
        if family_of(permission) is not None and family_of(permission) not in allowed.families:
            problems.append(f"{where}: IPv{family_of(permission)} is not in use")
        if permission.direction == "egress" and config.get("egress") == "restricted":
            # The README: the deployment's own groups, and the destinations given; never
            # every protocol.
            destinations = config.get("egressDestinations") or {}
            assert isinstance(destinations, dict), destinations
            named = split(str(e) for entries in destinations.values() for e in entries)[0]
            kind, value = source_of(permission)
            if permission.protocol == "all" or value not in (own if kind == "group" else named):
                problems.append(f"{where}: egress to what the configuration does not name")
            continue
        if permission.direction == "egress":
            if permission.protocol != "all" or source_of(permission) not in {
                ("cidr", ANY_ADDRESS[family]) for family in allowed.families
            }:
                problems.append(f"{where}: egress other than allow-all to the any-address")
            continue
        kind, value = source_of(permission)
        for audience in sorted(audiences(permission)):
            pool = (allowed.cidrs if kind == "cidr" else allowed.groups)[audience]
            if value not in pool:
                problems.append(f"{where}: {audience} ports from {value}, allowed {sorted(pool)}")
    return problems


def duplicate_permissions(recording: Recording) -> list[str]:
    """Invariant 2: what each rule permits, counted; and every resource named once."""
    counted = Counter(permission for _, permission in permissions(recording))
    problems = [f"{count} rules permit {p.describe()}" for p, count in counted.items() if count > 1]
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
            and (source_of(p)[0] == "cidr" or source_of(p)[1] not in labelled_ssh)
        ):
            problems.append(f"sshSources is [] but {name} opens SSH to {source_of(p)}")
        if (
            config.get("worldCidrs") == []
            and "sshSources" not in config
            and source_of(p)[0] == "cidr"
            and (opens != {"snmp"} or source_of(p)[1] not in snmp_cidrs)
        ):
            problems.append(f"worldCidrs is [] but {name} admits {source_of(p)[1]}")
        if not config.get("snmpSources") and not labelled_snmp and "snmp" in opens:
            problems.append(f"no SNMP pollers but {name} opens SNMP to {source_of(p)}")
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
            assert not [p for p in ingress if source_of(p)[0] == "cidr"], (
                "a CIDR rule was registered"
            )
        egress = [p for _, p in permissions(recording) if p.direction == "egress"]
        assert egress, "allow-all egress stays"
