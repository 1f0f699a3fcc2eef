"""The backends' shared part (`clearwater_sg.backends`: `Backend.create`), read from the
mock engine's registrations of the real program: what every cloud's backend does alike.
Groups from outside the deployment resolve to their ids, a label to its group; protect
applies to groups only; everything is parented to the component. What each cloud's
backend hands the engine is in tests/unit/backends/test_aws.py and test_openstack.py."""

from __future__ import annotations

import pytest

from clearwater_sg.resources import AWS_GROUP, OPENSTACK_GROUP
from harness import aws, openstack, run_main
from tests.helpers import UUID_A, UUID_B, ingress, port, source

COMPONENT = "clearwater-sg:index:ClearwaterSecurityGroups"


@pytest.mark.parametrize(
    "config", [aws(protect=True), openstack(protect=True)], ids=["aws", "openstack"]
)
def test_protect_applies_to_groups_and_everything_is_parented_to_the_component(
    config: dict[str, object],
) -> None:
    recording = run_main(config)
    components = recording.of_type(COMPONENT)
    assert len(components) == 1
    children = [r for r in recording.resources if r.type != COMPONENT]
    assert children and all(r.parent == components[0].urn for r in children)
    group_type = AWS_GROUP if config["cloud"] == "aws" else OPENSTACK_GROUP
    assert all(r.protect == (r.type == group_type) for r in children)


def test_no_group_is_protected_by_default() -> None:
    assert not any(r.protect for r in run_main(aws()).resources)


def test_an_id_and_a_label_resolve_each_to_their_own_group() -> None:
    recording = run_main(openstack(sshSources=[UUID_A], snmpSourceGroups={"poller": UUID_B}))
    rules = ingress(recording)
    assert {source(r) for r in rules if port(r) == 22} == {UUID_A}
    assert {source(r) for r in rules if port(r) == 161} == {UUID_B}
