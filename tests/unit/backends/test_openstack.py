"""The OpenStack backend (`clearwater_sg.backends.openstack`), read from what the real
program registers under the mock engine: one `openstack.networking.SecGroup` per group,
its default egress replaced by the declared rules; one `SecGroupRule` per rule and
ethertype, a peer group by its id, deleted before its replacement; what Neutron cannot
store (a name longer than its column) refused before anything is registered.

pulumi-openstack never sends a 0 `port_range_min` or `port_range_max`: gophercloud, which
makes its requests, leaves zero values out (`omitempty`), and Neutron stores a port left
out as "any". So an ICMP rule sends its type as `portRangeMin` and `portRangeMax: 0` for
"any code" (the provider's schema wants both ends once one is set), and IPv4 Echo Reply,
ICMP type 0, cannot be sent at all: Neutron would store it as every ICMP type, so the
backend leaves it out and says why. The tests' readers of what was registered
(tests/registered.py, the property tests) read a 0 as Neutron then stores it."""

from __future__ import annotations

from clearwater_sg import ClearwaterSecurityGroups, DeploymentOptions
from clearwater_sg.backends.openstack import OpenStackBackend
from clearwater_sg.plan import GroupSpec, Plan
from clearwater_sg.resources import OPENSTACK_RULE
from harness import VPC, openstack, run_main
from offline.runner import run_program
from tests.helpers import groups_by_role, rules_of


def test_openstack_rules_carry_one_ethertype_and_reference_peer_groups() -> None:
    recording = run_main(openstack(ipVersion="dual"))
    groups = groups_by_role(recording)
    vellum = rules_of(recording, OPENSTACK_RULE, groups["vellum"])
    astaire = {
        (r["remoteGroupId"], r["ethertype"]) for r in vellum if r.get("portRangeMin") == 11311
    }
    assert astaire == {
        (groups[peer].id, ethertype)
        for peer in ("sprout", "dime")
        for ethertype in ("IPv4", "IPv6")
    }
    assert all(r.inputs["ethertype"] in ("IPv4", "IPv6") for r in recording.of_type(OPENSTACK_RULE))


def test_openstack_icmp_type_in_port_range_min_and_ipv6_icmp() -> None:
    recording = run_main(openstack(ipVersion="dual"))
    shared = groups_by_role(recording)["all-nodes"]
    icmp = {
        (r["protocol"], r["ethertype"], r["portRangeMin"], r.get("portRangeMax"))
        for r in rules_of(recording, OPENSTACK_RULE, shared)
        if str(r.get("protocol", "")).endswith("icmp")
    }
    # The provider needs a code with a type, and never sends a 0: code 0 means "any code".
    # IPv4 Echo Reply (type 0) cannot be sent at all; see the next test.
    assert icmp == {
        ("icmp", "IPv4", 8, 0),
        ("icmp", "IPv4", 3, 0),
        ("ipv6-icmp", "IPv6", 128, 0),
        ("ipv6-icmp", "IPv6", 129, 0),
        ("ipv6-icmp", "IPv6", 1, 0),
        ("ipv6-icmp", "IPv6", 2, 0),
    }


def test_openstack_says_why_it_does_not_create_icmp_echo_reply() -> None:
    created: list[ClearwaterSecurityGroups] = []

    def program() -> None:
        created.append(ClearwaterSecurityGroups("ims", DeploymentOptions(cloud="openstack")))
        created.append(
            ClearwaterSecurityGroups(
                "aws", DeploymentOptions(cloud="aws", vpc_id=VPC, name_prefix="cw-aws")
            )
        )

    run_program(program, project="p", stack="s", config={})
    on_openstack, on_aws = created
    assert [(rule.key, rule.line) for rule, _ in on_openstack.not_created] == [
        ("all-nodes-in-icmp-type0-from-0.0.0.0_0", "Echo Reply")
    ]
    assert "ICMP type 0" in on_openstack.not_created[0][1]
    assert on_aws.not_created == []


def test_openstack_replaces_default_egress_with_declared_rules() -> None:
    recording = run_main(openstack(ipVersion="dual"))
    groups = groups_by_role(recording)
    assert all(group.inputs["deleteDefaultRules"] is True for group in groups.values())
    egress = [
        r.inputs for r in recording.of_type(OPENSTACK_RULE) if r.inputs["direction"] == "egress"
    ]
    assert {(r["securityGroupId"], r["ethertype"], r.get("protocol")) for r in egress} == {
        (groups["all-nodes"].id, "IPv4", None),
        (groups["all-nodes"].id, "IPv6", None),
    }


def test_openstack_rules_are_deleted_before_replacement_and_groups_tagged() -> None:
    recording = run_main(openstack(tags={"environment": "staging"}), stack="staging")
    assert all(rule.delete_before_replace for rule in recording.of_type(OPENSTACK_RULE))
    for role, group in groups_by_role(recording).items():
        assert sorted(group.inputs["tags"]) == sorted(
            [f"clearwater:role={role}", f"Name=clearwater-staging-{role}", "environment=staging"]
        )


def test_neutron_names_are_checked_against_its_column_size() -> None:
    long_name = "n" * 256
    plan = Plan(
        families=(4,),
        groups=(
            GroupSpec(
                key="ellis", role="ellis", network=None, name=long_name, description="d", tags={}
            ),
        ),
        rules=(),
    )
    assert OpenStackBackend().refusals(plan, "clearwater") == [
        f"group name {long_name!r}: Neutron allows at most 255 characters"
    ]
