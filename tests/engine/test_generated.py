"""A sample of accepted OpenStack configurations, deployed by the real engine.

The configurations come from the property tests' strategies (tests/strategies.py),
derandomized so that every run deploys the same sample: shapes nobody wrote a stack file
for (existing groups as sources, many CIDRs, every profile, IPv6 prefixes in unusual
text). Each must deploy, a preview right after must show no change (Neutron stores some
prefixes in other text than Python writes them), and destroy must leave the project as
it was. Every existing group a configuration names gets a stand-in group in the project,
whose real id replaces the generated one.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from harness.engine import EngineStack
from harness.local_openstack import LocalOpenStack
from tests.strategies import Config, valid_configs

SAMPLE = 3


@settings(
    max_examples=SAMPLE,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(config=valid_configs(clouds=("openstack",), max_entries=2, raised_limits=True, max_roles=3))
def test_a_sample_of_accepted_configurations_deploys_without_a_perpetual_diff(
    local_openstack: LocalOpenStack, tmp_path_factory: pytest.TempPathFactory, config: Config
) -> None:
    project = local_openstack.new_project()
    before = project.snapshot()
    stand_ins: dict[str, str] = {}
    config = project.with_stand_ins(config, stand_ins)
    where: Path = tmp_path_factory.mktemp("generated")
    stack = EngineStack(
        where, "generated", {f"clearwater-sg:{k}": v for k, v in config.items()}, project
    )
    try:
        stack.up()
        assert [str(s) for s in stack.preview(expect_no_changes=True).changes()] == []
    finally:
        if config.get("protect") is True:
            stack.unprotect()  # as an operator must before destroying protected groups
        stack.destroy()
    net = project.connection().network
    for group_id in stand_ins.values():
        net.delete_security_group(group_id)
    assert project.snapshot() == before
