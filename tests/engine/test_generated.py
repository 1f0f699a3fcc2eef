"""A sample of accepted configurations per cloud, deployed by the real engine.

The configurations come from the property tests' strategies (tests/strategies.py),
derandomized so that every run deploys the same sample: shapes nobody wrote a stack file
for (existing groups as sources, many CIDRs, every profile, IPv6 prefixes in unusual
text). Each must deploy, a preview right after must show no change (a cloud stores some
prefixes in other text than Python writes them), and destroy must leave the cloud as it
was. Every existing group a configuration names gets a stand-in group, whose real id
replaces the generated one.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from harness.engine import EngineStack, Target, deployable
from harness.local_aws import new_vpc
from harness.local_openstack import LocalOpenStack
from harness.servers import MotoServer
from tests.strategies import Config, valid_configs

SAMPLE = 3


def _deploys_without_a_perpetual_diff(
    config: Config, cloud: str, target: Target, where: Path
) -> None:
    deployed = deployable({f"clearwater-sg:{k}": v for k, v in config.items()}, cloud, target)
    before = target.snapshot()  # with the stand-ins
    stack = EngineStack(where, "generated", deployed, target)
    try:
        stack.up()
        assert [str(s) for s in stack.preview(expect_no_changes=True).changes()] == []
    finally:
        if config.get("protect") is True:
            stack.unprotect()  # as an operator must before destroying protected groups
        stack.destroy()
    assert target.snapshot() == before


def _sample() -> settings:
    return settings(
        max_examples=SAMPLE,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )


@_sample()
@given(config=valid_configs(clouds=("openstack",), max_entries=2, raised_limits=True, max_roles=3))
def test_a_sample_of_accepted_openstack_configurations_deploys_without_a_perpetual_diff(
    local_openstack: LocalOpenStack, tmp_path_factory: pytest.TempPathFactory, config: Config
) -> None:
    project = local_openstack.new_project()
    where = tmp_path_factory.mktemp("generated")
    _deploys_without_a_perpetual_diff(config, "openstack", project, where)


@_sample()
@given(config=valid_configs(clouds=("aws",), max_entries=2, raised_limits=True, max_roles=3))
def test_a_sample_of_accepted_aws_configurations_deploys_without_a_perpetual_diff(
    moto_ec2: MotoServer, tmp_path_factory: pytest.TempPathFactory, config: Config
) -> None:
    where = tmp_path_factory.mktemp("generated")
    _deploys_without_a_perpetual_diff(config, "aws", new_vpc(moto_ec2), where)
