"""The quota pre-flight and the real servers agree, on both sides of the boundary.

* Every OpenStack case (bundled stacks, the largest configuration) passes the program's
  pre-flight under Neutron's default quotas, and a Neutron with its default quotas
  accepts every request; what Neutron then counts is what the pre-flight counted.
* On a Neutron configured with a small quota (4 groups, 20 rules), a plan needing
  exactly that is accepted by both; one rule more, or one group more, is refused by
  both: the program before registering anything, Neutron at the request that would go
  past the quota. The pre-flight's "default rules of groups created with fewer" term is
  Neutron's real peak in the creation order that puts such a group last.
* On AWS, where moto's counting coincides with AWS's (IPv4 only), the pre-flight's
  rules-per-group check and moto refuse at the same 61st rule; in dual stack moto counts
  both families together, stricter than AWS, and that divergence is asserted as such.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

import pulumi
import pytest
from botocore.exceptions import ClientError

from clearwater_sg.component import prepare
from clearwater_sg.options import DeploymentOptions
from clearwater_sg.quota import QuotaCheck, QuotaExceededError
from clearwater_sg.stack_config import options_from_config
from offline.inventory import AWS_GROUP, AWS_INGRESS, OPENSTACK_GROUP, OPENSTACK_RULE
from offline.runner import Recording
from tests.conformance.appliers import (
    PROJECT,
    ApplyError,
    Ec2Applier,
    NeutronApplier,
    applied_to_neutron,
    case_config,
    case_names,
    recording_of,
)
from tests.conformance.servers import (
    NEUTRON_DEFAULT_QUOTA_SECURITY_GROUP,
    NEUTRON_DEFAULT_QUOTA_SECURITY_GROUP_RULE,
    MotoServer,
    NeutronError,
    NeutronServer,
)
from tests.helpers import aws, openstack, run_main

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client

pytestmark = pytest.mark.conformance

NeutronFactory = Callable[..., NeutronServer]

GROUPS = "OpenStack security groups in the project"
RULES = "OpenStack security group rules in the project"
AWS_INBOUND = "AWS inbound rules per security group, per family"

# A Neutron with room for exactly the deployment FITS: the `default` group and 3 more,
# the default group's 4 rules and 16 more.
QUOTA_GROUPS, QUOTA_RULES = 4, 20
LIMITS = {"securityGroups": QUOTA_GROUPS, "securityGroupRules": QUOTA_RULES}
GENEROUS = {"securityGroups": 1000, "securityGroupRules": 10000}

FITS = {"roles": ["bono", "sprout"]}  # all-nodes 6 rules, bono 8, sprout 2: 4 groups, 20
ONE_RULE_MORE = {**FITS, "sshSources": ["0.0.0.0/0", "192.0.2.0/24"]}  # SSH from one more
ONE_GROUP_MORE = {"roles": ["ellis", "sprout", "dime"]}  # 5 groups, 18 rules


def _with_extra_ssh(count: int) -> dict[str, object]:
    """Sprout alone (its group has no rules of its own) and SSH from `count` more CIDRs."""
    extra = [f"192.0.2.{16 * i}/28" for i in range(count)]
    return {"roles": ["sprout"], "sshSources": ["0.0.0.0/0", *extra]}


def checks_of(config: Mapping[str, object]) -> dict[str, QuotaCheck]:
    """The program's pre-flight checks for `config`, by limit name (pure, no engine)."""
    options = DeploymentOptions.model_validate({**config, "namePrefix": "preflight"})
    try:
        checks = prepare(options, "clearwater").quota
    except QuotaExceededError as exc:
        checks = exc.checks
    return {check.limit: check for check in checks}


def refused_by_program(config: Mapping[str, object]) -> str:
    """The program's refusal, from a real run; nothing may have been registered."""
    recording = Recording()
    with pytest.raises(pulumi.RunError) as raised:
        run_main(config, recording=recording)
    assert recording.resources == []
    return str(raised.value)


def _neutron_refusal(error: ApplyError) -> NeutronError:
    assert isinstance(error.cause, NeutronError), error
    return error.cause


# ==========================================================================
# Default quotas: every case


@pytest.mark.parametrize("case", case_names("openstack"))
def test_preflight_and_default_neutron_accept_every_case_and_count_alike(
    neutron: NeutronServer, case: str
) -> None:
    options = options_from_config(case_config(case), PROJECT)
    checks = {check.limit: check for check in prepare(options, "clearwater").quota}
    assert all(check.fits for check in checks.values())
    recording = recording_of(case)  # the real program ran: its pre-flight passed
    applier, externals = applied_to_neutron(neutron, case)  # every request accepted
    assert externals == []
    # The pre-flight's limits are the server's: Neutron's defaults.
    quota = neutron.client.get_quota(applier.project_id)
    assert (
        (checks[GROUPS].allowed, checks[RULES].allowed)
        == (
            quota["security_group"],
            quota["security_group_rule"],
        )
        == (NEUTRON_DEFAULT_QUOTA_SECURITY_GROUP, NEUTRON_DEFAULT_QUOTA_SECURITY_GROUP_RULE)
    )
    # What Neutron counts now is what the pre-flight counted (every group of these
    # cases has 2 rules or more, so no transient default rules are in the count).
    own = Counter(str(rule.inputs["securityGroupId"]) for rule in recording.of_type(OPENSTACK_RULE))
    assert all(own[group.id] >= 2 for group in recording.of_type(OPENSTACK_GROUP))
    assert applier.usage() == (checks[GROUPS].used, checks[RULES].used)


# ==========================================================================
# A small configured quota: both sides of the boundary


@pytest.fixture(scope="module")
def small_quota(neutron_with_quota: NeutronFactory) -> NeutronServer:
    server = neutron_with_quota(security_group=QUOTA_GROUPS, security_group_rule=QUOTA_RULES)
    quota = server.client.get_quota("any-project")
    assert (quota["security_group"], quota["security_group_rule"]) == (QUOTA_GROUPS, QUOTA_RULES)
    return server


def test_a_plan_needing_exactly_the_quota_is_accepted_by_both(
    small_quota: NeutronServer, project_id: str
) -> None:
    checks = checks_of(openstack(**FITS, limits=LIMITS))
    assert (checks[GROUPS].used, checks[RULES].used) == (QUOTA_GROUPS, QUOTA_RULES)
    recording = run_main(openstack(**FITS, limits=LIMITS))  # the pre-flight accepts
    applier = NeutronApplier(small_quota.client, project_id)
    applier.apply(recording)
    assert applier.usage() == (QUOTA_GROUPS, QUOTA_RULES)  # the project is full


def test_one_rule_more_is_refused_by_both(small_quota: NeutronServer, project_id: str) -> None:
    message = refused_by_program(openstack(**ONE_RULE_MORE, limits=LIMITS))
    assert f"{RULES}: {QUOTA_RULES + 1} needed" in message
    assert f"{QUOTA_RULES} allowed" in message and GROUPS not in message
    recording = run_main(openstack(**ONE_RULE_MORE, limits=GENEROUS))
    applier = NeutronApplier(small_quota.client, project_id)
    with pytest.raises(ApplyError) as raised:
        applier.apply(recording)
    refusal = _neutron_refusal(raised.value)
    assert (refusal.status, refusal.type) == (409, "OverQuota")
    assert "security_group_rule" in refusal.message
    assert raised.value.resource.type == OPENSTACK_RULE
    # Refused at the last rule: every group and all other rules were created.
    assert len(applier.created_groups) == len(recording.of_type(OPENSTACK_GROUP))
    assert len(applier.created_rules) == len(recording.of_type(OPENSTACK_RULE)) - 1
    assert applier.usage() == (QUOTA_GROUPS, QUOTA_RULES)


def test_one_group_more_is_refused_by_both(small_quota: NeutronServer, project_id: str) -> None:
    checks = checks_of(openstack(**ONE_GROUP_MORE, limits=LIMITS))
    assert checks[RULES].fits and not checks[GROUPS].fits
    message = refused_by_program(openstack(**ONE_GROUP_MORE, limits=LIMITS))
    assert f"{GROUPS}: {QUOTA_GROUPS + 1} needed" in message and RULES not in message
    recording = run_main(openstack(**ONE_GROUP_MORE, limits=GENEROUS))
    applier = NeutronApplier(small_quota.client, project_id)
    with pytest.raises(ApplyError) as raised:
        applier.apply(recording)
    refusal = _neutron_refusal(raised.value)
    assert (refusal.status, refusal.type) == (409, "OverQuota")
    assert "['security_group']" in refusal.message
    assert raised.value.resource.type == OPENSTACK_GROUP
    assert len(applier.created_groups) == QUOTA_GROUPS - 1  # the `default` group has one


def _apply_rule_free_groups_last(applier: NeutronApplier, recording: Recording) -> None:
    """An order the engine may take: groups no rule depends on are created after every
    rule. A new group brings Neutron's 2 default rules, so this is when usage peaks."""
    rules = recording.of_type(OPENSTACK_RULE)
    needed = {
        str(r.inputs[k])
        for r in rules
        for k in ("securityGroupId", "remoteGroupId")
        if r.inputs.get(k)
    }
    groups = recording.of_type(OPENSTACK_GROUP)
    for group in [g for g in groups if g.id in needed]:
        applier.create_group(group)
    for rule in rules:
        applier.create_rule(rule)
    for group in [g for g in groups if g.id not in needed]:
        applier.create_group(group)


def test_the_transient_default_rules_are_neutrons_real_peak(
    small_quota: NeutronServer, project_id: str
) -> None:
    """Sprout's group has no rules of its own, yet needs room for Neutron's 2 default
    rules when it is created. The pre-flight counts them; Neutron refuses for them."""
    fits, over = _with_extra_ssh(8), _with_extra_ssh(9)
    assert checks_of(openstack(**fits, limits=LIMITS))[RULES].used == QUOTA_RULES
    assert (
        "2 default rules of groups created with fewer" in checks_of(openstack(**fits))[RULES].where
    )
    recording = run_main(openstack(**fits, limits=LIMITS))  # accepted at the boundary
    _apply_rule_free_groups_last(NeutronApplier(small_quota.client, project_id), recording)

    message = refused_by_program(openstack(**over, limits=LIMITS))
    assert f"{RULES}: {QUOTA_RULES + 1} needed" in message
    recording = run_main(openstack(**over, limits=GENEROUS))
    applier = NeutronApplier(small_quota.client, f"{project_id}-last")
    with pytest.raises(ApplyError) as raised:
        _apply_rule_free_groups_last(applier, recording)
    refusal = _neutron_refusal(raised.value)
    assert (refusal.status, refusal.type) == (409, "OverQuota")
    assert "['security_group_rule']" in refusal.message
    assert raised.value.resource.name.endswith("-sprout")  # the group, not a rule
    # `default` and all-nodes with 4 + 15 rules: one slot left, Sprout's group needs 2.
    assert applier.usage() == (2, QUOTA_RULES - 1)
    # In the engine's other possible order (groups first) Neutron would have accepted
    # it: the pre-flight counts the worst order, as Pulumi does not fix the order.
    NeutronApplier(small_quota.client, f"{project_id}-first").apply(recording)


# ==========================================================================
# AWS: rules per group, against moto

WORLD = [f"198.51.100.{8 * i}/29" for i in range(16)]


def _ssh(count: int) -> list[str]:
    return [f"10.{i}.0.0/16" for i in range(count)]


def _all_nodes_ingress(ec2: EC2Client, applier: Ec2Applier, recording: Recording) -> int:
    [group] = [g for g in recording.of_type(AWS_GROUP) if g.name.endswith("-all-nodes")]
    return applier.ingress_count(applier.ids[group.id])


def test_rules_per_group_ipv4_boundary_agrees_with_moto(
    ec2: EC2Client, moto_ec2: MotoServer
) -> None:
    """IPv4 only, where moto's count (ranges + group pairs) is AWS's IPv4 count: the
    all-nodes group takes 3 ICMP rules per world CIDR, 1 SSH rule per SSH source and 2
    etcd group references. 60 is accepted by both, 61 refused by both."""
    at_limit = {"roles": ["sprout"], "worldCidrs": WORLD, "sshSources": _ssh(10)}
    over = {**at_limit, "sshSources": _ssh(11)}
    check = checks_of(aws(**at_limit))[AWS_INBOUND]
    assert (check.used, check.allowed, check.where) == (60, 60, "all-nodes, IPv4")

    recording = run_main(aws(**at_limit))  # the pre-flight accepts
    applier = Ec2Applier(ec2)
    applier.use_vpc(recording, moto_ec2.create_vpc())
    applier.apply(recording)
    assert _all_nodes_ingress(ec2, applier, recording) == 60

    message = refused_by_program(aws(**over))
    assert f"{AWS_INBOUND}: 61 needed (all-nodes, IPv4), 60 allowed" in message
    recording = run_main(aws(**over, limits={"rulesPerGroup": 100}))
    applier = Ec2Applier(ec2)
    applier.use_vpc(recording, moto_ec2.create_vpc())
    with pytest.raises(ApplyError) as raised:
        applier.apply(recording)
    assert isinstance(raised.value.cause, ClientError)
    assert raised.value.cause.response["Error"]["Code"] == "RulesPerSecurityGroupLimitExceeded"
    assert raised.value.resource.type == AWS_INGRESS
    assert "-all-nodes-in-" in raised.value.resource.name
    assert _all_nodes_ingress(ec2, applier, recording) == 60


def test_in_dual_stack_moto_is_stricter_than_aws(ec2: EC2Client, moto_ec2: MotoServer) -> None:
    """KNOWN ORACLE LIMIT. AWS counts a group's IPv4 and IPv6 rules separately (a group
    reference in both); moto counts ranges of both families and group pairs together.
    A plan with 32 IPv4 and 33 IPv6 inbound rules in one group fits AWS, so the
    pre-flight accepts it; moto refuses its 61st rule. No bundled stack or the largest
    configuration comes near this (see test_aws_conformance)."""
    v6 = [f"2001:db8:{i:x}::/48" for i in range(27)]
    config = {"roles": ["sprout"], "ipVersion": "dual", "sshSources": [*_ssh(27), *v6]}
    checks = checks_of(aws(**config))
    assert checks[AWS_INBOUND].fits
    assert (checks[AWS_INBOUND].used, checks[AWS_INBOUND].where) == (33, "all-nodes, IPv6")
    recording = run_main(aws(**config))
    applier = Ec2Applier(ec2)
    applier.use_vpc(recording, moto_ec2.create_vpc(ipv6=True))
    with pytest.raises(ApplyError) as raised:
        applier.apply(recording)
    assert isinstance(raised.value.cause, ClientError)
    assert raised.value.cause.response["Error"]["Code"] == "RulesPerSecurityGroupLimitExceeded"
    assert _all_nodes_ingress(ec2, applier, recording) == 60  # 3 + 4 ICMP, 2 etcd, 51 SSH
