"""Fixtures for the engine tests: the real Pulumi CLI, language hosts,
pulumi-resource-openstack and pulumi-resource-aws (`make engine`), against a live
Keystone and Neutron, or moto's EC2 and STS.

* ``local_openstack``: Keystone and a Neutron that authenticates through it, for the
  session (:class:`harness.local_openstack.LocalOpenStack`).
* ``os_project``: a fresh Keystone project per test.
* ``aws_vpc``: a fresh VPC of the session's moto per test
  (:class:`harness.local_aws.AwsTarget`).
* ``cloud``: "openstack" unless a test parametrizes it ("aws"); ``target``: that cloud's
  fresh project or VPC.
* ``engine_stack``: factory ``(name, config) -> EngineStack`` in the test's temporary
  directory, deploying to ``target``. What it deployed to a Keystone project is destroyed
  afterwards; a VPC of moto's serves one test only, and moto's state lives in memory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, Protocol

import pytest
from pulumi.automation.events import OpType

from harness.engine import EngineStack, Target, engine_command
from harness.local_aws import AwsTarget, new_vpc
from harness.local_openstack import LocalOpenStack, Project
from harness.servers import MotoServer
from tests.conformance.fixtures import require_openstack_python

CLOUDS = ("openstack", "aws")
# Ids of things a stack may name that exist outside it, per cloud: existing groups, and
# on AWS managed prefix lists.


class StackFactory(Protocol):
    def __call__(
        self,
        name: str,
        config: Mapping[str, Any],
        *,
        program: Callable[[], None] | None = None,
        source: Path | None = None,
    ) -> EngineStack: ...


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/engine/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.engine)


@pytest.fixture(scope="session")
def local_openstack() -> Iterator[LocalOpenStack]:
    require_openstack_python()
    engine_command("pulumi-resource-openstack")  # fail at once, before a cloud is started
    cloud = LocalOpenStack().start()
    try:
        yield cloud
    finally:
        cloud.stop()


@pytest.fixture
def os_project(local_openstack: LocalOpenStack) -> Project:
    return local_openstack.new_project()


@pytest.fixture
def aws_vpc(moto_ec2: MotoServer) -> AwsTarget:
    engine_command("pulumi-resource-aws")  # fail at once, naming what to build
    return new_vpc(moto_ec2)


@pytest.fixture
def cloud() -> str:
    return "openstack"


@pytest.fixture
def target(cloud: str, request: pytest.FixtureRequest) -> Target:
    found: Target = request.getfixturevalue({"openstack": "os_project", "aws": "aws_vpc"}[cloud])
    return found


@pytest.fixture
def engine_stack(tmp_path: Path, target: Target) -> Iterator[StackFactory]:
    made: list[EngineStack] = []

    def make(
        name: str,
        config: Mapping[str, Any],
        *,
        program: Callable[[], None] | None = None,
        source: Path | None = None,
    ) -> EngineStack:
        where = tmp_path / f"stack-{len(made)}"
        stack = EngineStack(where, name, config, target, program=program, source=source)
        made.append(stack)
        return stack

    yield make
    if isinstance(target, Project):
        for stack in made:
            if stack.state_urns():
                stack.destroy()


def moto_leaves_out(target: Target, rule_ids: Iterable[str]) -> set[str]:
    """Which of these rules moto's DescribeSecurityGroupRules lists without their
    description (none but on moto): those whose source is a group or a managed prefix
    list, and only those (tests/conformance/test_oracles.py pins it; EC2 lists every
    rule's description)."""
    if not isinstance(target, AwsTarget):
        return set()
    wanted = set(rule_ids)
    _, rules = target.listing()
    mine = [rule for rule in rules if rule["SecurityGroupRuleId"] in wanted]
    left_out = {rule["SecurityGroupRuleId"] for rule in mine if "Description" not in rule}
    by_reference = {
        rule["SecurityGroupRuleId"]
        for rule in mine
        if rule.get("ReferencedGroupInfo") or rule.get("PrefixListId")
    }
    assert left_out <= by_reference, "moto left out descriptions beyond its known gap"
    return left_out


def _changed(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[str]]:
    """The outputs each resource's state changed, by name, but for the bridge's own
    bookkeeping (`__pulumi_raw_state_delta`). A provider the engine registers for an invoke
    (`pulumi:providers:pulumi`, for readStackResourceOutputs) has no outputs."""
    assert after.keys() == before.keys(), "refresh dropped or added resources"
    found = {}
    for name, resource in before.items():
        old, new = resource.get("outputs", {}), after[name].get("outputs", {})
        keys = sorted(
            k for k in {*old, *new} if not k.startswith("__") and old.get(k) != new.get(k)
        )
        if keys:
            found[name] = keys
    return found


def refreshed(stack: EngineStack, target: Target) -> None:
    """`pulumi refresh` after `up` changes nothing in the state, and the preview after
    it plans nothing, but for two things on AWS, each exactly:

    * each group's `ingress` and `egress`, which the group resource reads from EC2 but
      does not manage, were empty when it was created, before its rules: the first
      refresh records the rules EC2 holds there (a second changes nothing);
    * moto reads back no description on a rule whose source is a group or a prefix list
      (`moto_leaves_out`; EC2 does): the refresh takes exactly those descriptions out of
      the state, and the preview after it plans exactly their updates.
    """
    before = stack.state_resources()
    stack.refresh()
    after = stack.state_resources()
    ids = {str(r.get("id")): name for name, r in before.items()}
    gap = {ids[rule_id] for rule_id in moto_leaves_out(target, ids)}
    described = {name for name in gap if before[name]["outputs"].get("description")}
    groups, _ = target.listing() if isinstance(target, AwsTarget) else ([], [])
    held = {
        ids[group["GroupId"]]: [
            key
            for key, listed in (("egress", "IpPermissionsEgress"), ("ingress", "IpPermissions"))
            if group.get(listed)
        ]
        for group in groups
        if group["GroupId"] in ids
    }
    assert _changed(before, after) == {name: ["description"] for name in described} | {
        name: keys for name, keys in held.items() if keys
    }
    assert _changed(after, (stack.refresh(), stack.state_resources())[1]) == {}
    planned = {(s.op, s.name, s.diffs) for s in stack.preview().changes()}
    assert planned == {(OpType.UPDATE, name, ("description",)) for name in described}
