"""Fixtures for the data-plane tests: one data plane (Open vSwitch, OVN, MariaDB) and one
Keystone with a Neutron that runs ML2/OVN on it, for the session; every stack a test
deploys gets its own project and test bed, closed when the test ends.

The data plane needs root and the Debian packages of `make dataplane-setup`: without them
these tests FAIL, saying so (never skip); `pytest -m "not dataplane"` leaves them out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.dataplane import DataPlane, DataPlaneUnavailableError, require_data_plane
from harness.engine import engine_command
from harness.local_openstack import LocalOpenStack
from harness.proof import ProvenStack
from tests.conformance.fixtures import require_openstack_python

Deploy = Callable[[str, dict[str, Any]], ProvenStack]


@pytest.fixture(scope="session")
def wired_cloud() -> Iterator[tuple[LocalOpenStack, DataPlane]]:
    """Keystone and Neutron (ML2/OVN) on a data plane, for the session."""
    try:
        require_data_plane()
    except DataPlaneUnavailableError as exc:
        pytest.fail(str(exc), pytrace=False)
    require_openstack_python()
    engine_command()  # fail at once, before anything is started, without an engine
    with DataPlane() as plane:
        cloud = LocalOpenStack(plane).start()
        try:
            yield cloud, plane
        finally:
            cloud.stop()


@pytest.fixture
def deploy(wired_cloud: tuple[LocalOpenStack, DataPlane], tmp_path: Path) -> Iterator[Deploy]:
    """Factory `(name, config) -> ProvenStack`, deployed and with its test bed built."""
    made: list[ProvenStack] = []

    def make(name: str, config: dict[str, Any]) -> ProvenStack:
        cloud, plane = wired_cloud
        stack = ProvenStack(cloud, plane, tmp_path / name, name, config)
        made.append(stack)
        return stack.__enter__()

    yield make
    for stack in made:
        stack.close()
