"""Hypothesis strategies of stack configurations, valid ones, as the README describes them,
and hostile ones: a valid one with the mistakes of issue 24 (`hostile_configs`).

The property tests of the program (tests/test_main.py, tests/unit/test_stack_config.py),
the conformance sample (tests/conformance/test_generated_configs.py) and the engine's
(tests/engine/test_generated.py) draw their configurations from here. What the README
says is written out here rather than imported from `clearwater_sg`.

The configurations cover the keys the program had when this was written (cloud, vpcId,
deployment, ipVersion, roles, memento, hss, worldCidrs, sshSources, snmpSources,
sshSourceGroups, snmpSourceGroups, namePrefix, tags, protect, limits, and egress with
egressDestinations toward the services every node reaches); keys that add
sources of their own (profiles, managementSources, peerSites, extraRules, networks) are
not generated, and their sources would have to join `allowed_sources` (tests/test_main.py)
when they are.

Hypothesis runs derandomized and without an example database, so CI sees the same examples
on every run; its cache lives in the system's temporary directory, not in the repository.
"""

from __future__ import annotations

import datetime
import ipaddress
import re
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import HealthCheck, assume, configuration, settings
from hypothesis import strategies as st

from harness.doc_reader import CORE_ROLES

# Hypothesis caches what it learns about the code under test (and would keep examples)
# below its home directory, `.hypothesis` in the working directory by default.
configuration.set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "clearwater-sg-hypothesis")

# ==========================================================================
# What the README says, written out here rather than imported

NAMESPACE = "clearwater-sg"
CLOUDS = ("aws", "openstack")
ROLES = (*CORE_ROLES, "app-server")  # the document's node roles, and standalone AS
GROUP_KEYS = ("all-nodes", "all-in-one", *ROLES)  # every group's role; none is a label
FAMILIES: dict[str, tuple[int, ...]] = {"4": (4,), "6": (6,), "dual": (4, 6)}
ANY_ADDRESS = {4: "0.0.0.0/0", 6: "::/0"}
SSH_PORTS = ("tcp", 22, 22)
SNMP_PORTS = ("udp", 161, 162)
# Quotas far above any generated plan: rulesPerGroup x groupsPerInterface stays <= 1000.
RAISED_LIMITS: dict[str, int] = {
    "rulesPerGroup": 200,
    "groupsPerInterface": 5,
    "securityGroups": 1000,
    "securityGroupRules": 10000,
}

LOWER = "abcdefghijklmnopqrstuvwxyz"
DIGITS = "0123456789"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
AWS_ID = re.compile(r"sg-[0-9a-f]{8}(?:[0-9a-f]{9})?")


def derandomized(max_examples: int) -> settings:
    """Settings for a test over examples of these strategies: the same examples on every
    run, no example database, no deadline."""
    return settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )


Config = dict[str, object]

# ==========================================================================
# Strategies: valid configurations


def aws_group_ids() -> st.SearchStrategy[str]:
    return st.integers(0, 16**17 - 1).map(lambda number: f"sg-{number:017x}")


def openstack_group_ids() -> st.SearchStrategy[str]:
    return st.uuids().map(str)


def group_ids(cloud: str) -> st.SearchStrategy[str]:
    return aws_group_ids() if cloud == "aws" else openstack_group_ids()


def vpc_ids() -> st.SearchStrategy[str]:
    return st.integers(0, 16**17 - 1).map(lambda number: f"vpc-{number:017x}")


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def embeds_ipv4(network: Network) -> bool:
    """The README: an IPv6 CIDR in ::ffff:0:0/96 (IPv4-mapped), or in ::/96 at ::1:0 or
    above (IPv4-compatible, which Neutron writes dotted), is refused."""
    if network.version == 4:
        return False
    address = int(network.network_address)
    return address >> 32 == 0xFFFF or (address >> 32 == 0 and address >= 1 << 16)


def networks(family: int) -> st.SearchStrategy[Network]:
    """Any network of a family the README accepts, from /0 to a single address."""
    if family == 4:
        return st.builds(
            lambda address, prefix: ipaddress.IPv4Network((address, prefix), strict=False),
            st.integers(0, 2**32 - 1),
            st.integers(0, 32),
        )
    return st.builds(
        lambda address, prefix: ipaddress.IPv6Network((address, prefix), strict=False),
        st.integers(0, 2**128 - 1),
        st.integers(0, 128),
    ).filter(lambda network: not embeds_ipv4(network))


def spellings(network: Network) -> st.SearchStrategy[str]:
    """Ways an operator may write one network that the program accepts: the canonical
    text, a zero-padded prefix length, and for IPv6 the exploded or upper-case form."""
    canonical = str(network)
    variants = [canonical, f"{network.network_address}/0{network.prefixlen}"]
    if network.version == 6:
        variants += [network.exploded, canonical.upper()]
    return st.sampled_from(variants)


def labels() -> st.SearchStrategy[str]:
    """Labels the README allows: lowercase, starting with a letter, not a role name, not
    shaped like a group id."""
    return st.builds(
        lambda first, rest: first + rest,
        st.sampled_from(LOWER),
        st.text(LOWER + DIGITS + "-", max_size=12),
    ).filter(
        lambda label: (
            label not in GROUP_KEYS
            and not label.startswith("sg-")
            and not AWS_ID.fullmatch(label)
            and not UUID.fullmatch(label)
        )
    )


def optional_list(items: st.SearchStrategy[list[str]]) -> st.SearchStrategy[list[str] | None]:
    """Absent, an explicit empty list, or entries."""
    return st.one_of(st.none(), st.just([]), items)


@st.composite
def cidr_lists(
    draw: st.DrawFn, families: Sequence[int], min_size: int = 1, max_size: int = 3
) -> list[str]:
    """Distinct networks of the families in use, each spelled some accepted way."""
    found = draw(
        st.lists(
            st.sampled_from(families).flatmap(networks),
            min_size=min_size,
            max_size=max_size,
            unique=True,
        )
    )
    return [draw(spellings(network)) for network in found]


@st.composite
def labelled_groups(
    draw: st.DrawFn, ids: Sequence[str], max_size: int, avoid: Iterable[str] = ()
) -> dict[str, str]:
    """label -> group id, each id under one label, ids drawn from `ids`."""
    chosen = draw(st.lists(st.sampled_from(ids), unique=True, max_size=max_size)) if ids else []
    names = draw(
        st.lists(
            labels().filter(lambda label: label not in set(avoid)),
            min_size=len(chosen),
            max_size=len(chosen),
            unique=True,
        )
    )
    return dict(zip(names, chosen, strict=True))


@st.composite
def valid_configs(
    draw: st.DrawFn,
    clouds: Sequence[str] = CLOUDS,
    max_entries: int = 3,
    raised_limits: bool | None = None,
    max_roles: int | None = None,
) -> Config:
    """A configuration the README says is valid, in the stack file's shape (camelCase
    keys, `run_main` namespaces them). `raised_limits=None` sometimes leaves `limits` out,
    so that the clouds' default quotas apply; `max_roles` bounds a distributed deployment
    to that many roles, always listed (for samples applied to slow servers)."""
    cloud = draw(st.sampled_from(clouds))
    config: Config = {"cloud": cloud}
    if cloud == "aws":
        config["vpcId"] = draw(vpc_ids())
    deployment = draw(st.sampled_from([None, "distributed", "all-in-one"]))
    if deployment is not None:
        config["deployment"] = deployment
    version = draw(st.sampled_from([None, "4", "6", "dual", 4, 6]))
    if version is not None:
        config["ipVersion"] = version
    families = FAMILIES[str(version or "4")]
    if deployment == "all-in-one":
        for toggle in ("memento", "hss"):
            if draw(st.booleans()):
                config[toggle] = False  # the only value all-in-one accepts
    else:
        listed_roles = st.lists(st.sampled_from(ROLES), min_size=1, max_size=max_roles, unique=True)
        roles = draw(listed_roles if max_roles else st.none() | listed_roles)
        if roles is not None:
            config["roles"] = roles
        for toggle in ("memento", "hss"):
            value = draw(st.sampled_from([None, False, True, True]))
            if value is not None:
                config[toggle] = value

    world = draw(optional_list(cidr_lists(families, max_size=max_entries)))
    if world is not None:
        config["worldCidrs"] = world

    # Existing groups: one pool, assigned so that no group is listed twice for one port
    # (an id and a label for one group, or two labels for one group, are refused).
    pool = draw(st.lists(group_ids(cloud), min_size=6, max_size=6, unique=True))

    def sources(ids: Sequence[str]) -> st.SearchStrategy[list[str]]:
        cidrs = cidr_lists(families, min_size=0, max_size=max_entries)
        chosen_ids = st.lists(st.sampled_from(ids), max_size=2, unique=True)
        return st.tuples(cidrs, chosen_ids).flatmap(lambda both: st.permutations(both[0] + both[1]))

    ssh_groups = draw(st.none() | labelled_groups(pool[:4], max_size=2))
    ssh_labelled = set((ssh_groups or {}).values())
    ssh = draw(optional_list(sources([i for i in pool if i not in ssh_labelled])))
    snmp_groups: dict[str, str] | None = draw(st.sampled_from([None, {}, {}]))
    if snmp_groups is not None and draw(st.booleans()):
        # Some labels shared with sshSourceGroups (same label, same group), some new.
        shared = draw(st.lists(st.sampled_from(sorted(ssh_groups or {}) or [""]), unique=True))
        snmp_groups = {label: (ssh_groups or {})[label] for label in shared if label}
        fresh = [i for i in pool[2:] if i not in snmp_groups.values()]
        snmp_groups |= draw(
            labelled_groups(fresh, max_size=2, avoid=[*(ssh_groups or {}), *snmp_groups])
        )
        snmp_groups = dict(draw(st.permutations(list(snmp_groups.items()))))
    snmp_labelled = set((snmp_groups or {}).values())
    snmp = draw(optional_list(sources([i for i in pool if i not in snmp_labelled])))
    sources_settings: tuple[tuple[str, object], ...] = (
        ("sshSourceGroups", ssh_groups),
        ("sshSources", ssh),
        ("snmpSourceGroups", snmp_groups),
        ("snmpSources", snmp),
    )
    config |= {key: setting for key, setting in sources_settings if setting is not None}

    if draw(st.sampled_from([False, False, True])):
        # Least-privilege egress, toward services every deployment has (all-nodes sends
        # them): some kinds given, the others closed.
        config["egress"] = "restricted"
        kinds = draw(st.lists(st.sampled_from(["dns", "ntp", "packages"]), unique=True))
        config["egressDestinations"] = {
            kind: draw(cidr_lists(families, min_size=1, max_size=max_entries)) for kind in kinds
        }

    prefix = draw(
        st.none()
        | st.builds(
            lambda first, rest: first + rest,
            st.sampled_from(LOWER + LOWER.upper() + DIGITS),
            st.text(LOWER + LOWER.upper() + DIGITS + "._-", max_size=20),
        ).filter(lambda text: cloud != "aws" or not text.lower().startswith("sg-"))
    )
    if prefix is not None:
        config["namePrefix"] = prefix
    tags = draw(
        st.none()
        | st.dictionaries(
            st.text(LOWER + LOWER.upper() + DIGITS + "_.:/-", min_size=1, max_size=16).filter(
                lambda key: (
                    key not in ("Name", "clearwater:role") and not key.lower().startswith("aws:")
                )
            ),
            st.text(LOWER + DIGITS + " _.:/=+-@", max_size=16),
            max_size=3,
        )
    )
    if tags is not None:
        config["tags"] = tags
    protect = draw(st.none() | st.booleans())
    if protect is not None:
        config["protect"] = protect
    if raised_limits is None:
        raised_limits = draw(st.sampled_from([True, True, True, False]))
    if raised_limits:
        config["limits"] = dict(RAISED_LIMITS)
    return config


def network_of(entry: str) -> str | None:
    """The network an entry names, or None for a group id."""
    try:
        return str(ipaddress.ip_network(entry))
    except ValueError:
        return None


# The roles a distributed deployment has when `roles` is absent.
DEFAULT_ROLES = list(CORE_ROLES)


def with_defaults_written_out(config: Config) -> Config:
    """The same configuration with the defaults the README gives an absent `worldCidrs`,
    `sshSources`, `roles` and `egress` written out: what a package caller must write
    (docs/configuration-inputs.md), since from the package absence cannot be told from a
    misspelt input an SDK dropped."""
    written = dict(config)
    families = FAMILIES.get(str(config.get("ipVersion", "4")), (4,))
    written.setdefault("worldCidrs", [ANY_ADDRESS[family] for family in families])
    if not config.get("sshSourceGroups"):
        written.setdefault("sshSources", written["worldCidrs"])
    if config.get("deployment") != "all-in-one":
        written.setdefault("roles", DEFAULT_ROLES)
    written.setdefault("egress", "all")
    return written


# ==========================================================================
# Strategies: hostile configurations, the shapes of issue 24, on a valid base
#
# Each shape is one an operator writes by mistake and that a path could read as absent,
# or as the other of two values: a misspelt setting, a near miss of the project's
# namespace, a null (a commented-out list), the same setting written twice under its two
# spellings. Every path must refuse each, naming the setting.

# Namespaces that look like the project's but are not (the CLI hands them on unread).
NEAR_MISS_NAMESPACES = ("clearwater_sg", "Clearwater-SG", "clearwater-sq", "clearwatersg")
# Every setting the README lists, by the name a stack file writes.
SETTINGS = (
    "cloud", "deployment", "ipVersion", "vpcId", "roles", "memento", "hss", "worldCidrs",
    "sshSourceGroups", "snmpSourceGroups", "sshSources", "snmpSources", "profiles",
    "managementSources", "peerSites", "replicateTimersAcrossSites", "networks",
    "existingGroups", "egress", "egressDestinations", "extraRules", "groupNames",
    "prefixLists", "namePrefix", "tags", "tagRules", "protect", "limits",
)  # fmt: skip


def snake_case(name: str) -> str:
    """A setting's Python name (README: `ssh_sources` for `sshSources`)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def misspellings(key: str) -> st.SearchStrategy[str]:
    """Ways a setting's name is mistyped: lower case, a letter dropped or doubled, a
    plural; never another setting's name."""
    variants = {key.lower(), key + "s", key[:-1], key[0] + key[0] + key[1:]}
    variants |= {key[:i] + key[i + 1 :] for i in range(1, len(key))}
    return st.sampled_from(sorted(v for v in variants if v not in SETTINGS and v))


@dataclass(frozen=True)
class Hostile:
    """A configuration as written: `settings` (stack file names, a value of None is a
    null, a key with a namespace is under that namespace), `twice` (settings written a
    second time under their other spelling, with that value), and the settings whose
    refusal is worded by each path its own way (a key written twice, a near miss, a null),
    where only the setting refused is compared."""

    settings: Config
    twice: Config = field(default_factory=dict)
    worded_per_path: frozenset[str] = frozenset()
    shapes: tuple[str, ...] = ()  # the shapes applied, for the tests' statistics

    @property
    def stack_file_only(self) -> bool:
        """Whether a shape is one only YAML can write (the package receives no YAML)."""
        return "yaml-corner" in self.shapes


SHAPES = ("typo", "near-miss", "null", "nested-null", "twice", "yaml-corner")
# Values PyYAML writes as YAML the Pulumi CLI rewrites: bytes as !!binary, a float, a date.
YAML_CORNERS: tuple[object, ...] = (b"10.0.0.0/8", 1.5, datetime.date(2026, 12, 2))


@st.composite
def hostile_configs(
    draw: st.DrawFn,
    base: st.SearchStrategy[Config] | None = None,
    shapes: Sequence[str] = SHAPES,
) -> Hostile:
    """A valid configuration (of `base`, by default any) with one to three of `shapes`."""
    settings = dict(draw(base or valid_configs()))
    twice: Config = {}
    worded: set[str] = set()
    applied: list[str] = []
    for shape in draw(st.lists(st.sampled_from(shapes), min_size=1, max_size=3, unique=True)):
        present = sorted(k for k in settings if ":" not in k and k not in twice)
        if shape == "twice":  # a Python name that is the stack file's has no second spelling
            present = [k for k in present if snake_case(k) != k]
        if shape == "nested-null":
            present = [k for k in present if isinstance(settings[k], (list, dict)) and settings[k]]
        if not present:
            continue
        key = draw(st.sampled_from(present))
        applied.append(shape)
        if shape == "typo":  # "did you mean" is worked out from the name as typed
            typo = draw(misspellings(key))
            settings[typo] = settings.pop(key)
            worded.add(typo)
        elif shape == "near-miss":
            namespace = draw(st.sampled_from(NEAR_MISS_NAMESPACES))
            settings[f"{namespace}:{key}"] = settings.pop(key)
            worded.add(f"{namespace}:{key}")
        elif shape == "null":
            settings[key] = None
            worded.add(key)
        elif shape == "nested-null":
            value = settings[key]
            if isinstance(value, list):
                settings[key] = [*value[:-1], None]
            elif isinstance(value, dict):
                settings[key] = {**value, draw(st.sampled_from(sorted(value))): None}
            worded.add(key)
        elif shape == "yaml-corner":  # a setting, or its last entry
            corner = draw(st.sampled_from(YAML_CORNERS))
            value = settings[key]
            settings[key] = [*value[:-1], corner] if isinstance(value, list) and value else corner
            worded.add(key)
        else:  # twice: the second spelling says something else (the world, or the opposite)
            value = settings[key]
            twice[key] = (
                not value
                if isinstance(value, bool)
                else ["0.0.0.0/0"]
                if isinstance(value, list)
                else value
            )
            worded.add(key)
    assume(applied)
    return Hostile(settings, twice, frozenset(worded), tuple(applied))
