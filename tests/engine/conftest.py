"""Fixtures for the engine tests: the real Pulumi CLI, language host and
pulumi-resource-openstack (`make engine`), against a live Keystone and Neutron.

* ``local_openstack``: Keystone and a Neutron that authenticates through it, for the
  session (:class:`harness.local_openstack.LocalOpenStack`).
* ``os_project``: a fresh Keystone project per test.
* ``engine_stack``: factory ``(name, config) -> EngineStack`` in the test's temporary
  directory, deploying to ``os_project``; whatever it deployed is destroyed afterwards.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, Protocol

import pytest

from harness.engine import EngineStack, engine_command
from harness.local_openstack import LocalOpenStack, Project
from tests.conformance.fixtures import require_openstack_python


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
    engine_command()  # fail at once, before a cloud is started, without an engine
    cloud = LocalOpenStack().start()
    try:
        yield cloud
    finally:
        cloud.stop()


@pytest.fixture
def os_project(local_openstack: LocalOpenStack) -> Project:
    return local_openstack.new_project()


@pytest.fixture
def engine_stack(tmp_path: Path, os_project: Project) -> Iterator[StackFactory]:
    made: list[EngineStack] = []

    def make(
        name: str,
        config: Mapping[str, Any],
        *,
        program: Callable[[], None] | None = None,
        source: Path | None = None,
    ) -> EngineStack:
        where = tmp_path / f"stack-{len(made)}"
        stack = EngineStack(where, name, config, os_project, program=program, source=source)
        made.append(stack)
        return stack

    yield make
    for stack in made:
        if stack.state_urns():
            stack.destroy()
