"""The quota pre-flight (`clearwater_sg.quota`) refuses a plan the cloud would refuse
half-way, before anything is registered, and accepts one that fits; it counts what each
cloud counts (split networks' groups, extra rules, a prefix list as its max entries) and
names the setting that costs the most. Expected counts come from the resources the
program registers when it is allowed to, not from the planner."""

from __future__ import annotations

from collections import Counter

import pulumi
import pytest

from clearwater_sg import DeploymentOptions
from clearwater_sg.component import prepare
from clearwater_sg.quota import QuotaExceededError
from clearwater_sg.resources import AWS_GROUP, AWS_INGRESS, OPENSTACK_GROUP, OPENSTACK_RULE
from harness import VPC, aws, openstack, run_main
from harness.largest import largest
from offline.runner import Recording
from tests.beyond import ALL
from tests.helpers import BGCF, PL, SG_A, UUID_A, refused

GENEROUS = {"securityGroups": 1000, "securityGroupRules": 10000}


def neutron_usage(recording: Recording) -> tuple[int, int]:
    """The most groups and rules the project can hold while this deployment is created,
    counted from the registrations: the `default` group with its 4 rules, and each group
    with either its own rules or, while it is new, Neutron's 2 default egress rules."""
    groups = recording.of_type(OPENSTACK_GROUP)
    per_group = Counter(
        rule.inputs["securityGroupId"] for rule in recording.of_type(OPENSTACK_RULE)
    )
    return len(groups) + 1, 4 + sum(max(per_group[group.id], 2) for group in groups)


def test_a_group_without_rules_still_needs_room_for_neutrons_default_rules() -> None:
    # With only Sprout deployed, Sprout's group has no peers and so no rules of its own.
    recording = run_main(openstack(roles=["sprout"], limits=GENEROUS))
    _, rules = neutron_usage(recording)
    assert run_main(openstack(roles=["sprout"], limits={"securityGroupRules": rules})).resources
    message = refused(openstack(roles=["sprout"], limits={"securityGroupRules": rules - 1}))
    assert "default rules of groups created with fewer" in message


def test_openstack_plan_that_exactly_fits_is_accepted_and_one_less_is_refused() -> None:
    groups, rules = neutron_usage(run_main(largest("openstack", "dual", limits=GENEROUS)))
    exact = {"securityGroups": groups, "securityGroupRules": rules}
    assert run_main(largest("openstack", "dual", limits=exact)).resources
    message = refused(
        largest("openstack", "dual", limits={**exact, "securityGroupRules": rules - 1})
    )
    assert f"OpenStack security group rules in the project: {rules} needed" in message
    assert "openstack quota set --secgroup-rules" in message
    assert "clearwater-sg:limits.securityGroupRules" in message
    message = refused(largest("openstack", "dual", limits={**exact, "securityGroups": groups - 1}))
    assert f"OpenStack security groups in the project: {groups} needed" in message


def test_the_largest_deployment_fits_neutrons_default_quota_with_little_to_spare() -> None:
    # No limits set: Neutron's defaults, 10 and 100.
    recording = run_main(largest("openstack", "dual"))
    groups, rules = neutron_usage(recording)
    assert groups <= 10 and rules <= 100
    # A few more SSH sources are enough to need a raised quota, and the message says so.
    extra = [f"192.0.2.{i * 16}/28" for i in range(12)]
    message = refused(largest("openstack", "dual", sshSources=["::/0", *extra]))
    assert "100 allowed" in message and "openstack quota set --secgroup-rules" in message


def test_aws_counts_rules_per_group_and_family_with_group_references_in_both() -> None:
    recording = run_main(largest("aws", "dual"))
    role_of = {
        group.id: group.inputs["tags"]["clearwater:role"] for group in recording.of_type(AWS_GROUP)
    }
    per_group: Counter[tuple[str, int]] = Counter()
    for rule in recording.of_type(AWS_INGRESS):
        inputs = rule.inputs
        if "referencedSecurityGroupId" in inputs:
            families: tuple[int, ...] = (4, 6)  # AWS counts a reference in both families
        else:
            families = (6,) if "cidrIpv6" in inputs else (4,)
        for family in families:
            per_group[(role_of[inputs["securityGroupId"]], family)] += 1
    busiest = max(per_group.values())
    message = refused(largest("aws", "dual", limits={"rulesPerGroup": busiest - 1}))
    assert any(
        f"per family: {busiest} needed ({role}, IPv{family})" in message
        for (role, family), count in per_group.items()
        if count == busiest
    ), message
    assert run_main(largest("aws", "dual", limits={"rulesPerGroup": busiest})).resources


def test_many_world_cidrs_overflow_an_aws_group() -> None:
    # Bono opens 6 ports to each world CIDR, plus TCP/5058 to two peer groups.
    world = [f"198.51.{i}.0/24" for i in range(11)]
    message = refused(aws(worldCidrs=world))
    assert "AWS inbound rules per security group, per family: 68 needed (bono, IPv4)" in message
    assert "60 allowed" in message and "worldCidrs" in message


def test_aws_caps_the_product_of_its_two_quotas() -> None:
    message = refused(aws(limits={"rulesPerGroup": 250, "groupsPerInterface": 5}))
    assert "AWS rules per group x groups per interface: 1250 needed" in message


def test_aws_needs_two_groups_per_interface() -> None:
    message = refused(aws(limits={"groupsPerInterface": 1}))
    assert "AWS security groups per network interface: 2 needed" in message


@pytest.mark.parametrize(
    ("limits", "words"),
    [
        (
            {"rulesPerGroups": 100},
            ["clearwater-sg:limits.rulesPerGroups", "did you mean 'rulesPerGroup'"],
        ),
        ({"securityGroupRules": 0}, ["clearwater-sg:limits.securityGroupRules", "greater than 0"]),
        ("many", ["clearwater-sg:limits", "YAML map"]),
    ],
)
def test_limits_are_validated(limits: object, words: list[str]) -> None:
    message = refused(openstack(limits=limits))
    for word in words:
        assert word in message


def test_the_quota_refusal_names_the_setting_that_costs_the_most() -> None:
    site = [f"10.{i}.0.0/16" for i in range(60)]
    options = DeploymentOptions(
        cloud="aws", vpc_id=VPC, peer_sites={"site-b": site}, roles=["sprout", "vellum"]
    )
    with pytest.raises(QuotaExceededError) as raised:
        prepare(options, "clearwater")
    assert "Most rules come from peerSites.site-b" in str(raised.value)
    assert "worldCidrs/sshSources/snmpSources" not in str(raised.value)


def test_the_pre_flight_counts_the_split_groups() -> None:
    # 8 groups become 16: Neutron's default quota of 10 (with the project's default group)
    # cannot hold them, and the program says so before creating any.
    recording = Recording()
    config = {"cloud": "openstack", "roles": ALL, "networks": "split"}
    with pytest.raises(pulumi.RunError) as raised:
        run_main(config, recording=recording)
    assert recording.resources == []
    assert "OpenStack security groups in the project: 17 needed" in str(raised.value)


def test_the_pre_flight_counts_extra_rules() -> None:
    many = [{**BGCF, "ports": str(20000 + i), "sources": ["10.40.0.0/16"]} for i in range(60)]
    recording = Recording()
    with pytest.raises(pulumi.RunError, match="inbound rules per security group"):
        run_main(aws(extraRules={"sprout": many}), recording=recording)
    assert recording.resources == []


def test_the_pre_flight_counts_a_prefix_list_as_its_max_entries() -> None:
    # all-nodes holds 5 IPv4 rules besides SSH (3 ICMP, 2 etcd): with a 40-entry list
    # for SSH that is 45 of AWS's 60; with a 60-entry list, 65.
    assert run_main(aws(sshSources=[PL], prefixLists={PL: 40})).resources
    recording = Recording()
    with pytest.raises(pulumi.RunError, match="inbound rules per security group"):
        run_main(aws(sshSources=[PL], prefixLists={PL: 60}), recording=recording)
    assert recording.resources == []


def test_existing_groups_and_their_rules_are_counted_and_their_own_rules_are_named() -> None:
    """A group given by existingGroups takes a place in the project like a created one,
    and the rules put on it count; the rules it holds already are the cloud's to know,
    so the check says to leave room for them."""
    for cloud, owned in (("openstack", UUID_A), ("aws", SG_A)):
        vpc = {"vpc_id": VPC} if cloud == "aws" else {}
        created = prepare(DeploymentOptions(cloud=cloud, **vpc), "cw", "prod").quota
        existing = prepare(
            DeploymentOptions(cloud=cloud, existing_groups={"sprout": owned}, **vpc), "cw", "prod"
        ).quota
        assert [check.used for check in existing] == [check.used for check in created]
        assert not any("existingGroups" in check.fix for check in created)
        rules = [c for c in existing if "rules" in c.limit and "x" not in c.limit]
        assert rules and all(
            "existing groups (existingGroups) already hold" in c.fix for c in rules
        )


def test_restricted_egress_counts_against_awss_own_outbound_limit() -> None:
    """AWS limits outbound rules per group apart from inbound ones: 31 resolvers are 62
    DNS rules (UDP and TCP) on all-nodes, refused before anything is registered, naming
    the setting that costs them."""
    resolvers = [f"10.0.{i}.2/32" for i in range(31)]
    message = refused(aws(egress="restricted", egressDestinations={"dns": resolvers}))
    assert (
        "AWS outbound rules per security group, per family: 64 needed (all-nodes, IPv4)" in message
    )
    assert "egressDestinations.dns (62)" in message
