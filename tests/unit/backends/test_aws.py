"""The AWS backend (`clearwater_sg.backends.aws`), read from what the real program
registers under the mock engine: one `aws.ec2.SecurityGroup` per group, in the stack's
VPC, with no inline rules, revoking its rules on delete, named (or, with `groupNames:
generated`, name-prefixed) and tagged; one `aws.vpc.SecurityGroup{Ingress,Egress}Rule`
per rule, a peer group by its id, ICMP's type and code in the ports, tagged like its group
when asked; and what EC2 refuses (characters of names and descriptions, tag sizes)
refused before anything is registered."""

from __future__ import annotations

import pytest

from clearwater_sg import DeploymentOptions
from clearwater_sg.backends.aws import AwsBackend
from clearwater_sg.component import prepare
from clearwater_sg.plan import GroupSpec, Plan
from clearwater_sg.resources import AWS_EGRESS, AWS_INGRESS
from harness import ALL_ROLES, VPC, aws, run_main
from offline.runner import Registered
from tests.helpers import groups_by_role, rules_of


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


def test_aws_groups_revoke_their_rules_on_delete() -> None:
    # Peer groups' rules reference a group being deleted; without revoking them first,
    # EC2 refuses the delete (DependencyViolation).
    groups = groups_by_role(run_main(aws())).values()
    assert all(isinstance(g, Registered) and g.inputs["revokeRulesOnDelete"] for g in groups)


def test_aws_descriptions_and_names_are_checked_against_ec2s_characters() -> None:
    plan = Plan(
        families=(4,),
        groups=(
            GroupSpec(
                key="ellis",
                role="ellis",
                network=None,
                name="cw-ellis",
                description="Ellis <web>",
                tags={},
            ),
        ),
        rules=(),
    )
    (problem,) = AwsBackend(vpc_id=VPC).refusals(plan, "clearwater")
    assert "description of group 'cw-ellis'" in problem and "255" in problem


def test_a_rule_name_tag_longer_than_aws_allows_is_refused_before_anything_exists() -> None:
    options = DeploymentOptions(cloud="aws", vpc_id=VPC, tag_rules=True, name_prefix="ims")
    with pytest.raises(Exception, match=r"tag Name of rule .* AWS allows 256"):
        prepare(options, "c" * 230)
    prepare(options, "c" * 20)  # the same plan under a short name fits


def test_aws_rules_carry_their_groups_tags_when_asked() -> None:
    config = {"cloud": "aws", "vpcId": VPC, "tags": {"owner": "ims"}, "tagRules": True}
    rules = [r for r in run_main(config).resources if r.type == AWS_INGRESS]
    ssh = next(r for r in rules if r.name == "clearwater-all-nodes-in-tcp-22-from-0.0.0.0_0")
    assert ssh.inputs["tags"] == {
        "owner": "ims",
        "clearwater:role": "all-nodes",
        "Name": "clearwater-all-nodes-in-tcp-22-from-0.0.0.0_0",
    }
    # Off by default: existing stacks' rules do not change.
    plain = [r for r in run_main({"cloud": "aws", "vpcId": VPC}).resources if r.type == AWS_INGRESS]
    assert all("tags" not in r.inputs for r in plain)


def test_generated_names_let_aws_complete_each_group_name() -> None:
    groups = groups_by_role(run_main({"cloud": "aws", "vpcId": VPC, "groupNames": "generated"}))
    sprout = groups["sprout"].inputs
    assert sprout["namePrefix"] == "clearwater-dev-sprout-" and "name" not in sprout
    # The Name tag keeps the readable name for the console.
    assert sprout["tags"]["Name"] == "clearwater-dev-sprout"


def test_fixed_names_stay_the_default() -> None:
    sprout = groups_by_role(run_main({"cloud": "aws", "vpcId": VPC}))["sprout"].inputs
    assert sprout["name"] == "clearwater-dev-sprout" and "namePrefix" not in sprout


# --- What a rule permits, read back (adopt, drift, synth) ---------------------------------


def _permits(ip_protocol: str, source: dict[str, str]) -> object:
    inputs = {"securityGroupId": "sg-1", "ipProtocol": ip_protocol, "fromPort": 8, "toPort": -1}
    return AwsBackend.permission(AWS_INGRESS, inputs | source, {"sg-1": "all-nodes"})


def test_icmp_of_the_other_family_does_not_pass_for_the_planned_icmp_rule() -> None:
    """EC2 stores `icmp` from an IPv6 range, but ICMPv4 never arrives over IPv6: drift
    must report it, and adopt must not import it, as the planned ICMPv6 rule."""
    planned_v6 = _permits("icmpv6", {"cidrIpv6": "::/0"})
    planned_v4 = _permits("icmp", {"cidrIpv4": "0.0.0.0/0"})
    assert _permits("icmp", {"cidrIpv6": "::/0"}) not in (planned_v6, planned_v4)
    assert _permits("icmpv6", {"cidrIpv4": "0.0.0.0/0"}) not in (planned_v6, planned_v4)
    # The numbers EC2 also accepts mean the same as the names.
    assert _permits("58", {"cidrIpv6": "::/0"}) == planned_v6
    assert _permits("1", {"cidrIpv4": "0.0.0.0/0"}) == planned_v4
