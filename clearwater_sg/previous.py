"""What a component registered on its stack's last update, read from the stack's state
before the component registers anything.

The engine's own `pulumi:pulumi:readStackResourceOutputs` gives every resource of a
stack with its outputs, the way a StackReference reads another stack; asked for the
running stack, it answers from the state the update starts from, and needs no cloud
credentials and no export of the program. From it: the groups the component created
(its `SecGroup` / `SecurityGroup` children, `<component>-<group key>`), the groups it put
rules on without creating them (its `securityGroupIds` output less those), and the ids of
its rules. Under the SDK's mock engine (unit tests, the offline synth) nothing is read:
there was no last update.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.runtime.mocks import MockMonitor
from pulumi.runtime.settings import get_monitor

from clearwater_sg.resources import COMPONENT_TYPE, GROUP_TYPES, RULE_TYPES

READ_STACK = "pulumi:pulumi:readStackResourceOutputs"


@dataclass(frozen=True)
class Previous:
    """What the component `name` registered on the stack's last update."""

    created: Mapping[str, str] = field(default_factory=dict)  # group key -> id, its groups
    existing: Mapping[str, str] = field(default_factory=dict)  # group key -> id, not its own
    rule_ids: frozenset[str] = frozenset()  # the cloud ids of its rule resources
    unread: str = ""  # why the state could not be read ("" when it was)


def _urn_parts(urn: str) -> tuple[str, str]:
    """(the type chain, the name) of a URN `urn:pulumi:stack::project::types::name`."""
    parts = urn.split("::")
    return (parts[2], parts[3]) if len(parts) >= 4 else ("", "")


# The state the running program's update starts from, read once per run (a program
# runs in one asyncio task, whose context is its own; see component._RUN).
_STATE: ContextVar[Mapping[str, Any] | str | None] = ContextVar(
    "clearwater_sg_previous_state", default=None
)


def _state() -> Mapping[str, Any] | str:
    """The running stack's resources (URN -> {type, outputs}), or why they are unknown."""
    state = _STATE.get()
    if state is None and isinstance(get_monitor(), MockMonitor):
        # A unit test's mocks answer invokes as they please, or fail them: never ask.
        state = {}
    if state is None:
        # Fully qualified: an unqualified name is looked up in the user's default org.
        parts = (pulumi.get_organization(), pulumi.get_project(), pulumi.get_stack())
        stack = "/".join(part for part in parts if part)
        try:
            answer = pulumi.runtime.invoke(READ_STACK, {"stackName": stack}).value
            state = (answer or {}).get("outputs") or {}
        except Exception as exc:  # any failure of the engine's read is reported, never fatal
            state = f"reading stack {stack} failed: {exc}"
        _STATE.set(state)
    return state


def previous_registrations(component: str) -> Previous:
    """What the component `component` of the running stack registered last time."""
    state = _state()
    return Previous(unread=state) if isinstance(state, str) else from_state(component, state)


def from_state(component: str, resources: Mapping[str, Any]) -> Previous:
    """`Previous` from a stack's resources as the engine gives them: URN -> {type, outputs}."""
    created: dict[str, str] = {}
    rule_ids: set[str] = set()
    given: dict[str, str] = {}
    owner = f"{COMPONENT_TYPE}$"
    for urn, resource in resources.items():
        types, name = _urn_parts(urn)
        outputs = resource.get("outputs") or {}
        if types.endswith(COMPONENT_TYPE) and name == component:
            given = dict(outputs.get("securityGroupIds") or {})
        if owner not in types or not name.startswith(f"{component}-"):
            continue
        if resource.get("type") in GROUP_TYPES and isinstance(outputs.get("id"), str):
            created[name.removeprefix(f"{component}-")] = outputs["id"]
        elif resource.get("type") in RULE_TYPES and isinstance(outputs.get("id"), str):
            rule_ids.add(outputs["id"])
    existing = {key: str(i) for key, i in given.items() if key not in created}
    return Previous(created=created, existing=existing, rule_ids=frozenset(rule_ids))
