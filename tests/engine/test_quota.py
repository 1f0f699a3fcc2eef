"""The quota pre-flight and the clouds agree at the boundary, under the real engine.

OpenStack: the project's quota is set to 4 groups and 20 rules (its `default` group takes
one group and 4 rules of that). A plan needing exactly that is deployed; one rule more, or
one group more, is refused by the program before anything exists. Told a higher limit
than the project has, the program lets the same plan through, and Neutron then refuses it
half-way through `pulumi up`: the failure the pre-flight exists to prevent.

AWS: the same at EC2's 60 inbound rules a group, in one group of an IPv4 deployment:
there moto counts as EC2 does. (moto counts a group's IPv4 and IPv6 rules together,
stricter than EC2, which counts each family on its own: tests/conformance/test_oracles.py
pins it, and no dual-stack plan is taken to moto's limit here.)
"""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from pulumi.automation.errors import CommandError

from harness.engine import deployable, settings
from harness.local_aws import AwsTarget
from harness.local_openstack import Project
from tests.engine.conftest import StackFactory

QUOTA_GROUPS, QUOTA_RULES = 4, 20
LIMITS = {"securityGroups": QUOTA_GROUPS, "securityGroupRules": QUOTA_RULES}
GENEROUS = {"securityGroups": 1000, "securityGroupRules": 10000}
FITS = {"roles": ["bono", "sprout"]}  # all-nodes 6 rules, bono 8, sprout 2: 4 groups, 20
ONE_RULE_MORE = {**FITS, "sshSources": ["0.0.0.0/0", "192.0.2.0/24"]}  # SSH from one more
ONE_GROUP_MORE = {"roles": ["ellis", "sprout", "dime"]}  # 5 groups, 18 rules
GROUPS = "OpenStack security groups in the project"
RULES = "OpenStack security group rules in the project"


@pytest.fixture
def small_project(os_project: Project) -> Project:
    """The test's project with the small quota, set as an administrator sets it."""
    os_project.connection().network.update_quota(
        os_project.id, security_groups=QUOTA_GROUPS, security_group_rules=QUOTA_RULES
    )
    return os_project


def _usage(project: Project) -> tuple[int, int]:
    groups, rules = project.listing()
    return len(groups), len(rules)


def _config(shape: Mapping[str, object], limits: dict[str, int]) -> dict[str, object]:
    return settings(cloud="openstack", limits=limits, **shape)


def test_a_plan_needing_exactly_the_quota_is_deployed(
    engine_stack: StackFactory, small_project: Project
) -> None:
    engine_stack("quota", _config(FITS, LIMITS)).up()
    assert _usage(small_project) == (QUOTA_GROUPS, QUOTA_RULES)  # the project is full


@pytest.mark.parametrize(
    ("shape", "over", "within"),
    [
        (ONE_RULE_MORE, f"{RULES}: {QUOTA_RULES + 1} needed", GROUPS),
        (ONE_GROUP_MORE, f"{GROUPS}: {QUOTA_GROUPS + 1} needed", RULES),
    ],
    ids=["one rule more", "one group more"],
)
def test_one_more_is_refused_by_the_program_and_by_neutron(
    engine_stack: StackFactory,
    small_project: Project,
    shape: dict[str, object],
    over: str,
    within: str,
) -> None:
    before = small_project.snapshot()
    told_the_truth = engine_stack("quota", _config(shape, LIMITS))
    with pytest.raises(CommandError) as refused:
        told_the_truth.up()
    assert over in str(refused.value) and f"{within}:" not in str(refused.value)
    assert told_the_truth.state_urns() == [] and small_project.snapshot() == before

    told_too_much = engine_stack("quota-unchecked", _config(shape, GENEROUS))
    with pytest.raises(CommandError) as half_way:
        told_too_much.up()
    assert "Quota exceeded" in str(half_way.value) or "OverQuota" in str(half_way.value)
    assert told_too_much.state_urns() != [], "Neutron refused only part of the plan"


AWS_INBOUND = "AWS inbound rules per security group, per family"
# all-nodes: 3 ICMP rules from each of 16 world CIDRs, 10 SSH sources, 2 etcd references.
AWS_AT_LIMIT = {
    "roles": ["sprout"],
    "worldCidrs": [f"198.51.100.{8 * i}/29" for i in range(16)],
    "sshSources": [f"10.{i}.0.0/16" for i in range(10)],
}


@pytest.mark.parametrize("cloud", ["aws"])
def test_sixty_rules_a_group_deploy_and_one_more_is_refused_by_the_program_and_by_ec2(
    engine_stack: StackFactory, target: AwsTarget, cloud: str
) -> None:
    at_limit = deployable(settings(cloud=cloud, **AWS_AT_LIMIT), cloud, target)
    stack = engine_stack("quota", at_limit)
    stack.up()
    groups, rules = target.listing()
    [all_nodes] = [g["GroupId"] for g in groups if g["GroupName"].endswith("-all-nodes")]
    inbound = [r for r in rules if r["GroupId"] == all_nodes and not r["IsEgress"]]
    assert len(inbound) == 60

    before = target.snapshot()
    over = at_limit | settings(sshSources=[*AWS_AT_LIMIT["sshSources"], "10.99.0.0/16"])
    stack.write_config(over)
    with pytest.raises(CommandError) as refused:
        stack.up()
    assert f"{AWS_INBOUND}: 61 needed (all-nodes, IPv4), 60 allowed" in str(refused.value)
    assert target.snapshot() == before

    stack.write_config(over | settings(limits={"rulesPerGroup": 100}))
    with pytest.raises(CommandError) as half_way:
        stack.up()
    assert "RulesPerSecurityGroupLimitExceeded" in str(half_way.value)
    assert target.snapshot() == before, "EC2 refused the one rule more, and only that"
