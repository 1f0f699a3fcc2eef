"""Fixtures for the tests against real-API oracles on loopback (conformance, live and
engine tests): a pytest plugin, registered for the whole suite by tests/conftest.py.

* ``neutron``: a session-wide live Neutron API (:class:`servers.NeutronServer`,
  its client is ``neutron.client``), with Neutron's default quotas.
* ``neutron_with_quota``: factory ``(security_group=..., security_group_rule=...)
  -> NeutronServer`` for servers configured with other ``[quotas]``; one server
  per distinct quota pair, shared for the session.
* ``project_id``: a fresh Neutron project id per test (servers are shared, so
  tests isolate themselves by project).
* ``moto_ec2``: a session-wide moto EC2 emulator (:class:`servers.MotoServer`);
  ``ec2`` / ``vpc_id``: a client on it and a fresh VPC per test.

Neutron runs under ``.venv-neutron`` (override: ``NEUTRON_PYTHON``). If that
interpreter is missing the Neutron fixtures FAIL (never skip): run
``scripts/neutron-venv.sh``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import TYPE_CHECKING

import pytest

from harness.servers import (
    NEUTRON_DEFAULT_QUOTA_SECURITY_GROUP,
    NEUTRON_DEFAULT_QUOTA_SECURITY_GROUP_RULE,
    MotoServer,
    NeutronServer,
    NeutronVenvMissingError,
    neutron_python,
)

if TYPE_CHECKING:  # boto3 stubs are needed by mypy only
    from mypy_boto3_ec2 import EC2Client

NeutronFactory = Callable[..., NeutronServer]


def require_openstack_python() -> None:
    """FAIL (never skip) when the Neutron venv is missing."""
    try:
        neutron_python()
    except NeutronVenvMissingError as exc:
        message = str(exc)
    else:
        return
    pytest.fail(message, pytrace=False)


def _start_neutron(
    stack: ExitStack, security_group: int, security_group_rule: int
) -> NeutronServer:
    require_openstack_python()
    server = NeutronServer(
        quota_security_group=security_group,
        quota_security_group_rule=security_group_rule,
    )
    return stack.enter_context(server)


@pytest.fixture(scope="session")
def _neutron_servers() -> Iterator[tuple[ExitStack, dict[tuple[int, int], NeutronServer]]]:
    servers: dict[tuple[int, int], NeutronServer] = {}
    with ExitStack() as stack:
        yield stack, servers


@pytest.fixture(scope="session")
def neutron_with_quota(
    _neutron_servers: tuple[ExitStack, dict[tuple[int, int], NeutronServer]],
) -> NeutronFactory:
    """Factory: a running Neutron with the given ``[quotas]`` (shared per pair)."""
    stack, servers = _neutron_servers
    failures: dict[tuple[int, int], Exception] = {}

    def get(
        security_group: int = NEUTRON_DEFAULT_QUOTA_SECURITY_GROUP,
        security_group_rule: int = NEUTRON_DEFAULT_QUOTA_SECURITY_GROUP_RULE,
    ) -> NeutronServer:
        require_openstack_python()
        key = (security_group, security_group_rule)
        if key in failures:  # do not pay a failing startup once per test
            raise failures[key]
        if key not in servers:
            try:
                servers[key] = _start_neutron(stack, security_group, security_group_rule)
            except Exception as exc:
                failures[key] = exc
                raise
        return servers[key]

    return get


@pytest.fixture(scope="session")
def neutron(neutron_with_quota: NeutronFactory) -> NeutronServer:
    """A live Neutron with default quotas (10 groups, 100 rules per project)."""
    return neutron_with_quota()


@pytest.fixture
def project_id() -> str:
    """A project id no other test uses."""
    return uuid.uuid4().hex


@pytest.fixture(scope="session")
def moto_ec2() -> Iterator[MotoServer]:
    with MotoServer() as server:
        yield server


@pytest.fixture
def ec2(moto_ec2: MotoServer) -> EC2Client:
    return moto_ec2.ec2_client()


@pytest.fixture
def vpc_id(moto_ec2: MotoServer) -> str:
    """A fresh IPv4+IPv6 VPC for this test."""
    return moto_ec2.create_vpc(ipv6=True)
