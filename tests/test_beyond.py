"""Flows beyond the port document: opt-in, exactly what the issue lists, and sourced.

Expectations are written here from the issue's own list (and
`reference/beyond-the-port-doc.md`'s sources), never read from clearwater_sg's matrix:
each profile, each peer site and the split open exactly the listed flows and no more,
on both clouds and every ipVersion.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pulumi
import pytest

from offline.runner import Recording
from tests.beyond import ALL, MANAGERS, PROFILES, SITE_B, base, families, split_config
from tests.doc_reader import ANY_FAMILY, ANYWHERE, Permission, without_network
from tests.helpers import run_main
from tests.registered import (
    AWS_GROUP,
    OPENSTACK_GROUP,
    registered_permissions,
    registered_rules,
    tag_map,
)

SITE_GROUP = {"aws": "sg-0cccccccccccccccc", "openstack": "12345678-aaaa-bbbb-cccc-0123456789ab"}

PEER_SITE = [
    ("vellum", "tcp", 7000),
    ("vellum", "tcp", 11311),
    ("sprout", "tcp", 5052),
    ("sprout", "tcp", 5054),
]
TIMERS = ("vellum", "tcp", 7253)
SOURCED = re.compile(r"\(Metaswitch/[\w.-]+ [^;()]+(; Metaswitch/[\w.-]+ [^;()]+)*\)$")
CASES = [(cloud, ip) for cloud in ("aws", "openstack") for ip in ("4", "6", "dual")]


def expected(
    cloud: str, ip: str, rows: list[tuple[str, str, int, str]], cidrs: dict[int, str]
) -> Counter[Permission]:
    """The permissions of `rows` as each cloud holds them."""
    found: Counter[Permission] = Counter()
    for group, protocol, port, source in rows:
        for family in families(ip):
            if source in ("world", "managers", "site"):
                peer = ANYWHERE[family] if source == "world" else cidrs[family]
                found[Permission(group, "ingress", f"IPv{family}", protocol, port, port, peer)] += 1
            elif cloud == "aws" and family == families(ip)[0]:  # one rule, both families
                found[
                    Permission(
                        group, "ingress", ANY_FAMILY, protocol, port, port, f"group:{source}"
                    )
                ] += 1
            elif cloud == "openstack":
                found[
                    Permission(
                        group, "ingress", f"IPv{family}", protocol, port, port, f"group:{source}"
                    )
                ] += 1
    return found


def groups(recording: Recording) -> dict[str, dict[str, Any]]:
    return {g.name: g.inputs for g in recording.resources if g.type in (AWS_GROUP, OPENSTACK_GROUP)}


@pytest.mark.parametrize("profile", sorted(PROFILES))
@pytest.mark.parametrize(("cloud", "ip"), CASES)
def test_each_profile_opens_exactly_its_flows_and_replaces_nothing(
    profile: str, cloud: str, ip: str
) -> None:
    extra: dict[str, object] = {"profiles": [profile]}
    if profile == "management-http":
        extra["managementSources"] = [MANAGERS[f] for f in families(ip)]
    without, with_ = run_main(base(cloud, ip)), run_main(base(cloud, ip, **extra))
    added = registered_permissions(with_) - registered_permissions(without)
    removed = registered_permissions(without) - registered_permissions(with_)
    assert removed == Counter()
    assert added == expected(cloud, ip, PROFILES[profile], MANAGERS)
    assert groups(with_) == groups(without), "a profile changed a group"


@pytest.mark.parametrize(("cloud", "ip"), CASES)
@pytest.mark.parametrize("timers", [False, True])
def test_a_peer_site_opens_exactly_the_geographic_redundancy_flows(
    cloud: str, ip: str, timers: bool
) -> None:
    site = [SITE_B[f] for f in families(ip)] + [SITE_GROUP[cloud]]
    extra: dict[str, object] = {"peerSites": {"site-b": site}}
    if timers:
        extra["replicateTimersAcrossSites"] = True
    without, with_ = run_main(base(cloud, ip)), run_main(base(cloud, ip, **extra))
    added = registered_permissions(with_) - registered_permissions(without)
    rows = [(*row, "site") for row in PEER_SITE + ([TIMERS] if timers else [])]
    want = expected(cloud, ip, rows, SITE_B)
    group_families = [ANY_FAMILY] if cloud == "aws" else [f"IPv{f}" for f in families(ip)]
    for group, protocol, port, _ in rows:
        for family in group_families:
            peer = f"external:{SITE_GROUP[cloud]}"
            want[Permission(group, "ingress", family, protocol, port, port, peer)] += 1
    assert added == want
    assert not any(p.low in (2380, 4000) for p in added), "etcd never crosses sites"
    assert groups(with_) == groups(without)
    names = {rule.resource for rule in registered_rules(with_)} - {
        rule.resource for rule in registered_rules(without)
    }
    assert all("-from-site-b-" in name for name in names), "the label names the rules"


def test_every_added_rule_names_its_repository_and_file() -> None:
    config = base(
        "aws",
        "4",
        profiles=sorted(PROFILES),
        managementSources=[MANAGERS[4]],
        peerSites={"site-b": [SITE_B[4]]},
        replicateTimersAcrossSites=True,
    )
    before = {r.resource for r in registered_rules(run_main(base("aws", "4")))}
    added = [r for r in registered_rules(run_main(config)) if r.resource not in before]
    assert len(added) == 15
    for rule in added:
        # "... (Metaswitch/<repository> <file>[; Metaswitch/<repository> <file>])"
        assert SOURCED.search(rule.description), rule.description
        assert len(rule.description) <= 255


def test_a_profile_whose_roles_are_absent_adds_nothing_and_says_so() -> None:
    config = base("openstack", "4", roles=["ellis", "homer"], profiles=["restund"])
    recording = run_main(config)
    assert registered_permissions(recording) == registered_permissions(
        run_main(base("openstack", "4", roles=["ellis", "homer"]))
    )
    from clearwater_sg.component import components_of

    assert recording.root is not None
    (component,) = components_of(recording.root)
    assert any("restund adds nothing" in note for note in component.plan.notes)


# --- networks: split ---------------------------------------------------------------------

MANAGEMENT_ONLY = {22, 161, 2380, 4000, 9886, 8886}  # SSH, SNMP, etcd, management APIs
SIGNALING_ONLY = {3478, 5060, 5062, 32768}  # STUN, SIP, RTP


@pytest.mark.parametrize(("cloud", "ip"), CASES)
def test_split_puts_each_flow_on_its_interface_and_the_union_is_the_single_matrix(
    cloud: str, ip: str
) -> None:
    single = registered_permissions(run_main(split_config(cloud, ip, "single")))
    split_recording = run_main(split_config(cloud, ip, "split"))
    split = registered_permissions(split_recording)
    for permission in split:
        network = "management" if permission.group.endswith("-management") else "signaling"
        assert permission.group.endswith(f"-{network}")
        if permission.peer.startswith("group:"):
            assert permission.peer.endswith(f"-{network}"), "a peer on the other interface"
        if network == "signaling":
            assert permission.low not in MANAGEMENT_ONLY, permission
        else:
            assert permission.low not in SIGNALING_ONLY, permission
    union = Counter(without_network(p) for p in split)
    # ICMP and the egress are on both interfaces; everything else on exactly one.
    doubled = Counter(
        {p: 1 for p in single if p.protocol in ("icmp", "icmpv6", "ipv6-icmp", "-1", None)}
    )
    assert union == single + doubled
    tags = [tag_map(g["tags"]) for g in groups(split_recording).values()]
    assert sorted(t["clearwater:network"] for t in tags) == sorted(["management", "signaling"] * 8)


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


def test_the_pre_flight_counts_the_split_groups() -> None:
    # 8 groups become 16: Neutron's default quota of 10 (with the project's default group)
    # cannot hold them, and the program says so before creating any.
    recording = Recording()
    config = {"cloud": "openstack", "roles": ALL, "networks": "split"}
    with pytest.raises(pulumi.RunError) as raised:
        run_main(config, recording=recording)
    assert recording.resources == []
    assert "OpenStack security groups in the project: 17 needed" in str(raised.value)
