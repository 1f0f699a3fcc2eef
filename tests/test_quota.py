"""The quota pre-flight refuses a plan the cloud would refuse half-way, before anything
is registered, and accepts one that fits. Expected counts come from the resources the
program registers when it is allowed to, not from the planner."""

from __future__ import annotations

from collections import Counter

import pulumi
import pytest

from clearwater_sg.inventory import AWS_GROUP, AWS_INGRESS, OPENSTACK_GROUP, OPENSTACK_RULE
from clearwater_sg.offline import Recording
from tests.helpers import ALL_ROLES, aws, openstack, run_main

LARGEST = {
    "roles": ALL_ROLES,
    "memento": True,
    "hss": True,
    "snmpSources": ["10.20.0.0/24", "fd00:20::/64"],
    "ipVersion": "dual",
}
GENEROUS = {"securityGroups": 1000, "securityGroupRules": 10000}


def refused(config: dict[str, object]) -> str:
    recording = Recording()
    with pytest.raises(pulumi.RunError) as raised:
        run_main(config, recording=recording)
    assert recording.resources == [], "resources were registered before the quota error"
    return str(raised.value)


def neutron_usage(recording: Recording) -> tuple[int, int]:
    """Groups and rules the project holds at the peak of creation, counted independently:
    the `default` group with its 4 rules, each new group with Neutron's 2 default egress
    rules, and every rule the program registers."""
    groups = len(recording.of_type(OPENSTACK_GROUP))
    rules = len(recording.of_type(OPENSTACK_RULE))
    return groups + 1, rules + 4 + 2 * groups


def test_openstack_plan_that_exactly_fits_is_accepted_and_one_less_is_refused() -> None:
    groups, rules = neutron_usage(run_main(openstack(**LARGEST, limits=GENEROUS)))
    exact = {"securityGroups": groups, "securityGroupRules": rules}
    assert run_main(openstack(**LARGEST, limits=exact)).resources
    message = refused(openstack(**LARGEST, limits={**exact, "securityGroupRules": rules - 1}))
    assert f"OpenStack security group rules in the project: {rules} needed" in message
    assert "openstack quota set --secgroup-rules" in message
    assert "clearwater-sg:limits.securityGroupRules" in message
    message = refused(openstack(**LARGEST, limits={**exact, "securityGroups": groups - 1}))
    assert f"OpenStack security groups in the project: {groups} needed" in message


def test_the_largest_dual_stack_deployment_does_not_fit_neutrons_default_quota() -> None:
    # 100 rules is Neutron's default; this deployment needs more, and says so up front.
    message = refused(openstack(**LARGEST))
    assert "100 allowed" in message


def test_aws_counts_rules_per_group_and_family_with_group_references_in_both() -> None:
    recording = run_main(aws(**LARGEST))
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
    message = refused(aws(**LARGEST, limits={"rulesPerGroup": busiest - 1}))
    assert any(
        f"per family: {busiest} needed ({role}, IPv{family})" in message
        for (role, family), count in per_group.items()
        if count == busiest
    ), message
    assert run_main(aws(**LARGEST, limits={"rulesPerGroup": busiest})).resources


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
