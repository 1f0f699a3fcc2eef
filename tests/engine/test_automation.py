"""The component in an Automation API inline program, run many times in one process, as
a platform team's deployment service runs it: every run plans the same groups and
rules, and no run sees the components of the runs before it."""

from __future__ import annotations

import pulumi

from clearwater_sg import ClearwaterSecurityGroups, DeploymentOptions
from harness.engine import settings
from harness.local_openstack import Project
from tests.engine.conftest import StackFactory


def _program() -> None:
    options = DeploymentOptions(cloud="openstack", roles=["sprout", "vellum"])
    groups = ClearwaterSecurityGroups("ims", options)
    pulumi.export("securityGroupIds", groups.security_group_ids)


def test_an_inline_program_runs_many_times_in_one_process(
    engine_stack: StackFactory, os_project: Project
) -> None:
    stack = engine_stack("inline", settings(cloud="openstack"), program=_program)
    first = stack.preview()
    assert len(first.changes()) > 0
    for _ in range(2):
        again = stack.preview()
        assert sorted(map(str, again.changes())) == sorted(map(str, first.changes()))
    stack.up()
    assert stack.preview(expect_no_changes=True).changes() == []
    outputs = stack.stack.outputs()["securityGroupIds"].value
    assert sorted(outputs) == ["all-nodes", "sprout", "vellum"]
