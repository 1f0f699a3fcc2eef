"""What a component registered on the stack's last update (`clearwater_sg.previous`), read
from the state as the engine's `readStackResourceOutputs` gives it (URN -> type and
outputs, the shape the real engine returned in tests/engine/test_live.py): the groups it
created, the groups it only put rules on, its rules' ids; another component's resources
and a user's own groups are not its. Under the SDK's mocks nothing is read."""

from __future__ import annotations

from typing import Any

from clearwater_sg.previous import Previous, from_state, previous_registrations
from clearwater_sg.resources import COMPONENT_TYPE, OPENSTACK_GROUP, OPENSTACK_RULE
from offline.runner import run_program

STACK = "urn:pulumi:prod::clearwater-sg::"


def resource(types: str, name: str, type_: str, **outputs: Any) -> tuple[str, dict[str, Any]]:
    return f"{STACK}{types}::{name}", {"type": type_, "outputs": outputs}


def state(component: str = "clearwater") -> dict[str, dict[str, Any]]:
    owned = f"{COMPONENT_TYPE}${OPENSTACK_GROUP}"
    return dict(
        [
            resource(COMPONENT_TYPE, component, COMPONENT_TYPE,
                     securityGroupIds={"all-nodes": "g-all", "sprout": "g-team", "bono": "g-bono"}),
            resource(owned, f"{component}-all-nodes", OPENSTACK_GROUP, id="g-all"),
            resource(owned, f"{component}-bono", OPENSTACK_GROUP, id="g-bono"),
            resource(f"{COMPONENT_TYPE}${OPENSTACK_RULE}", f"{component}-bono-in-tcp-5060",
                     OPENSTACK_RULE, id="r-1"),
            # A user's own group, beside the component: never the component's.
            resource(OPENSTACK_GROUP, "bastion", OPENSTACK_GROUP, id="g-bastion"),
        ]
    )  # fmt: skip


def test_the_component_s_groups_rules_and_existing_groups_are_read_from_the_state() -> None:
    assert from_state("clearwater", state()) == Previous(
        created={"all-nodes": "g-all", "bono": "g-bono"},
        existing={"sprout": "g-team"},
        rule_ids=frozenset({"r-1"}),
    )


def test_another_component_s_resources_are_not_this_one_s() -> None:
    assert from_state("ims", state("clearwater")) == Previous()
    assert from_state("clearwater", {}) == Previous()


def test_nothing_is_read_under_the_sdk_s_mocks() -> None:
    """A unit test's mocks may fail an invoke they do not know; none is sent."""
    found: list[Previous] = []
    run_program(lambda: found.append(previous_registrations("clearwater")), project="p",
                stack="s", config={})  # fmt: skip
    assert found == [Previous()]
