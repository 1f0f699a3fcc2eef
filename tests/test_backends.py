"""What each cloud backend hands the Pulumi engine, read from the mock engine's registrations."""

from __future__ import annotations

import pytest

from clearwater_sg import ClearwaterSecurityGroups, DeploymentOptions
from offline.inventory import (
    AWS_EGRESS,
    AWS_GROUP,
    AWS_INGRESS,
    OPENSTACK_GROUP,
    OPENSTACK_RULE,
)
from offline.runner import Recording, Registered, run_program
from tests.helpers import ALL_ROLES, VPC, aws, groups_by_role, openstack, run_main

COMPONENT = "clearwater-sg:index:ClearwaterSecurityGroups"


def rules_of(recording: Recording, rule_type: str, group: Registered) -> list[dict[str, object]]:
    return [
        r.inputs for r in recording.of_type(rule_type) if r.inputs["securityGroupId"] == group.id
    ]


# --- AWS -------------------------------------------------------------------------------


def test_aws_groups_have_no_inline_rules_and_live_in_the_vpc() -> None:
    recording = run_main(aws(roles=ALL_ROLES))
    groups = groups_by_role(recording)
    assert set(groups) == {"all-nodes", *ALL_ROLES}
    for group in groups.values():
        assert group.inputs["vpcId"] == VPC
        # Inline ingress/egress would fight the separate rule resources on every update.
        assert "ingress" not in group.inputs and "egress" not in group.inputs


def test_aws_peer_references_resolve_to_the_peer_groups_id() -> None:
    recording = run_main(aws())
    groups = groups_by_role(recording)
    bono_rules = rules_of(recording, AWS_INGRESS, groups["bono"])
    internal_sip = {r["referencedSecurityGroupId"] for r in bono_rules if r.get("fromPort") == 5058}
    assert internal_sip == {groups["bono"].id, groups["sprout"].id}
    # And the other way round: Sprout's TCP/5054 and 5052 come from Bono's group.
    sprout_rules = rules_of(recording, AWS_INGRESS, groups["sprout"])
    from_bono = {
        r["fromPort"]
        for r in sprout_rules
        if r.get("referencedSecurityGroupId") == groups["bono"].id
    }
    assert from_bono == {5052, 5054}


def test_aws_icmp_uses_type_as_from_port_and_any_code() -> None:
    recording = run_main(aws(ipVersion="dual"))
    shared = groups_by_role(recording)["all-nodes"]
    icmp = {
        (r["ipProtocol"], r["fromPort"], r["toPort"], r.get("cidrIpv4") or r.get("cidrIpv6"))
        for r in rules_of(recording, AWS_INGRESS, shared)
        if r["ipProtocol"] in ("icmp", "icmpv6")
    }
    assert icmp == {
        ("icmp", 8, -1, "0.0.0.0/0"),
        ("icmp", 0, -1, "0.0.0.0/0"),
        ("icmp", 3, -1, "0.0.0.0/0"),
        ("icmpv6", 128, -1, "::/0"),
        ("icmpv6", 129, -1, "::/0"),
        ("icmpv6", 1, -1, "::/0"),
        ("icmpv6", 2, -1, "::/0"),
    }


@pytest.mark.parametrize(
    ("ip_version", "expected"),
    [
        ("4", {("cidrIpv4", "0.0.0.0/0")}),
        ("dual", {("cidrIpv4", "0.0.0.0/0"), ("cidrIpv6", "::/0")}),
    ],
)
def test_aws_declares_allow_all_egress_per_family_on_the_shared_group(
    ip_version: str, expected: set[tuple[str, str]]
) -> None:
    recording = run_main(aws(ipVersion=ip_version))
    groups = groups_by_role(recording)
    egress = recording.of_type(AWS_EGRESS)
    assert {r.inputs["securityGroupId"] for r in egress} == {groups["all-nodes"].id}
    assert all(r.inputs["ipProtocol"] == "-1" for r in egress)
    assert all("fromPort" not in r.inputs and "toPort" not in r.inputs for r in egress)
    assert {
        (key, r.inputs[key]) for r in egress for key in ("cidrIpv4", "cidrIpv6") if key in r.inputs
    } == expected


def test_aws_groups_are_tagged_with_role_and_operator_tags() -> None:
    recording = run_main(aws(tags={"environment": "prod", "owner": "ims"}), stack="prod")
    for role, group in groups_by_role(recording).items():
        assert group.inputs["tags"] == {
            "clearwater:role": role,
            "Name": f"clearwater-prod-{role}",
            "environment": "prod",
            "owner": "ims",
        }
        assert group.inputs["name"] == f"clearwater-prod-{role}"


def test_ssh_from_an_existing_group_references_it() -> None:
    bastion = "sg-0123456789abcdef0"
    recording = run_main(aws(sshSources=[bastion, "10.1.0.0/16"]))
    shared = groups_by_role(recording)["all-nodes"]
    ssh = [r for r in rules_of(recording, AWS_INGRESS, shared) if r.get("fromPort") == 22]
    assert {(r.get("referencedSecurityGroupId"), r.get("cidrIpv4")) for r in ssh} == {
        (bastion, None),
        (None, "10.1.0.0/16"),
    }


# --- OpenStack ---------------------------------------------------------------------------


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


# --- Both --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "config", [aws(protect=True), openstack(protect=True)], ids=["aws", "openstack"]
)
def test_protect_applies_to_groups_and_everything_is_parented_to_the_component(
    config: dict[str, object],
) -> None:
    recording = run_main(config)
    components = recording.of_type(COMPONENT)
    assert len(components) == 1
    children = [r for r in recording.resources if r.type != COMPONENT]
    assert children and all(r.parent == components[0].urn for r in children)
    group_type = AWS_GROUP if config["cloud"] == "aws" else OPENSTACK_GROUP
    assert all(r.protect == (r.type == group_type) for r in children)


def test_no_group_is_protected_by_default() -> None:
    assert not any(r.protect for r in run_main(aws()).resources)
