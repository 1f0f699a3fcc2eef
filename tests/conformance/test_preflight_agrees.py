"""The quota pre-flight and the real servers agree, on both sides of the boundary.

On AWS, where moto's counting coincides with AWS's (IPv4 only), the pre-flight's
rules-per-group check and moto refuse at the same 61st rule; in dual stack moto counts both
families together, stricter than AWS, and that divergence is asserted as such. On
OpenStack the engine tests deploy at a project's real quota with the real provider
(tests/engine/test_quota.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import pytest
from botocore.exceptions import ClientError

from clearwater_sg.component import prepare
from clearwater_sg.options import DeploymentOptions
from clearwater_sg.quota import QuotaCheck, QuotaExceededError
from clearwater_sg.resources import AWS_GROUP, AWS_INGRESS
from harness import aws, run_main
from harness.servers import (
    MotoServer,
)
from offline.runner import Recording
from tests.conformance.appliers import (
    ApplyError,
    Ec2Applier,
)
from tests.helpers import refused

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client

pytestmark = pytest.mark.conformance

AWS_INBOUND = "AWS inbound rules per security group, per family"


def checks_of(config: Mapping[str, object]) -> dict[str, QuotaCheck]:
    """The program's pre-flight checks for `config`, by limit name (pure, no engine)."""
    options = DeploymentOptions.model_validate({**config, "namePrefix": "preflight"})
    try:
        checks = prepare(options, "clearwater").quota
    except QuotaExceededError as exc:
        checks = exc.checks
    return {check.limit: check for check in checks}


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

    message = refused(aws(**over))
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
