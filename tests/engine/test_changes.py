"""One-line changes to a running stack, as the real engine previews and applies them, on
both clouds.

For each change the document reader says which permissions appear and which go; the
real preview must plan exactly that many creates and deletes (one rule resource per
permission, one group per added or dropped role) and replace nothing, `up` must apply
it, the cloud must then hold exactly the reader's expectation for the new configuration,
and a preview right after must show nothing.

And on AWS, a change that replaces the groups (another `namePrefix`): with `groupNames:
generated` each new group and its rules exist before the old group is deleted; with fixed
names the old group goes first, as the README says.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from pulumi.automation.events import OpType

from clearwater_sg.resources import AWS_GROUP
from harness import PROJECT
from harness.engine import Step, Target, deployable, documented, settings
from harness.local_aws import AwsTarget
from tests.conformance.stored import stored_permissions
from tests.engine.conftest import CLOUDS, StackFactory

CORE = ["ellis", "bono", "sprout", "dime", "homer", "vellum"]
BASE = settings(ipVersion="dual", roles=CORE, sshSources=["192.0.2.0/24"])
Change = Callable[[dict[str, Any]], None]


def _set(key: str, value: object) -> Change:
    def change(config: dict[str, Any]) -> None:
        config[f"{PROJECT}:{key}"] = value

    return change


def _drop_role(role: str) -> Change:
    return _set("roles", [r for r in CORE if r != role])


def _restrict_egress(config: dict[str, Any]) -> None:
    """The README's move from `egress: all` to `restricted`, with the resolvers and time
    servers given, and the quota the doubled internal rules need."""
    _set("egress", "restricted")(config)
    _set("egressDestinations", {"dns": ["10.0.0.2/32", "fd00::2/128"], "ntp": ["10.0.0.3/32"]})(
        config
    )
    _set("limits", {"securityGroupRules": 500})(config)


CHANGES: dict[str, Change] = {
    "enable hss": _set("hss", True),
    "add app-server": _set("roles", [*CORE, "app-server"]),
    "drop homer": _drop_role("homer"),
    "restrict sshSources": _set("sshSources", ["192.0.2.0/26"]),
    "reorder roles": _set("roles", list(reversed(CORE))),
    "turn on a profile": _set("profiles", ["sprout-peering"]),
    "turn on a peer site": _set("peerSites", {"site-b": ["10.70.0.0/16"]}),
    "restrict egress": _restrict_egress,
}
# Started from the changed configuration, the change is undone: the profile and the peer
# site are also turned off, and egress allowed again.
UNDONE = {
    "turn off a profile": "turn on a profile",
    "turn off a peer site": "turn on a peer site",
    "allow all egress again": "restrict egress",
}


def _groups(config: dict[str, Any]) -> set[str]:
    roles = config.get(f"{PROJECT}:roles", CORE)
    return {"all-nodes", *roles}


@pytest.mark.parametrize("cloud", CLOUDS)
@pytest.mark.parametrize("change", [*CHANGES, *UNDONE])
def test_a_one_line_change_is_exactly_its_creates_and_deletes(
    engine_stack: StackFactory, target: Target, cloud: str, change: str
) -> None:
    before, after = BASE | settings(cloud=cloud), BASE | settings(cloud=cloud)
    CHANGES[UNDONE.get(change, change)](after)
    if change in UNDONE:
        before, after = after, before
    before, after = deployable(before, cloud, target), deployable(after, cloud, target)
    stack = engine_stack("changes", before)
    stack.up()

    stack.write_config(after)
    planned = stack.preview().changes()
    old, new = documented(before), documented(after)
    ops = Counter(step.op for step in planned)
    assert not {OpType.REPLACE, OpType.CREATE_REPLACEMENT, OpType.UPDATE} & set(ops), planned
    groups_added, groups_dropped = (
        _groups(after) - _groups(before),
        _groups(before) - _groups(after),
    )
    assert ops[OpType.CREATE] == (new - old).total() + len(groups_added), planned
    assert ops[OpType.DELETE] == (old - new).total() + len(groups_dropped), planned

    applied = stack.up().changes()
    assert Counter(step.op for step in applied) == ops
    assert stored_permissions(target) == new
    assert stack.preview(expect_no_changes=True).changes() == []


def _position(steps: list[Step], op: OpType, name: str) -> int:
    [found] = [i for i, step in enumerate(steps) if (step.op, step.name) == (op, name)]
    return found


@pytest.mark.parametrize("cloud", ["aws"])
@pytest.mark.parametrize("names", ["generated", "fixed"])
def test_a_group_replaced_with_generated_names_is_created_before_the_old_one_goes(
    engine_stack: StackFactory, target: AwsTarget, cloud: str, names: str
) -> None:
    """Another `namePrefix` replaces every group. With generated names the engine creates
    each new group, and every rule it needs, before deleting any old group: a node can be
    moved to the new group while the old one still lets its traffic through. With fixed
    names it deletes each old group first: for a moment the node has neither."""
    before = deployable(
        settings(cloud=cloud, roles=["sprout", "dime"], groupNames=names, namePrefix="ims-a"),
        cloud,
        target,
    )
    after = before | settings(namePrefix="ims-b")
    stack = engine_stack("renamed", before)
    stack.up()
    stack.write_config(after)
    steps = stack.up().steps
    deleted = [
        i for i, s in enumerate(steps) if s.op == OpType.DELETE_REPLACED and s.type == AWS_GROUP
    ]
    replaced = sorted(steps[i].name for i in deleted)
    assert replaced == ["clearwater-all-nodes", "clearwater-dime", "clearwater-sprout"]
    created = [i for i, s in enumerate(steps) if s.op == OpType.CREATE_REPLACEMENT]
    if names == "generated":
        assert max(created) < min(deleted), [str(s) for s in steps]
    else:
        for name in replaced:
            assert _position(steps, OpType.DELETE_REPLACED, name) < _position(
                steps, OpType.CREATE_REPLACEMENT, name
            ), [str(s) for s in steps]

    groups, _ = target.listing()
    ours = sorted(g["GroupName"] for g in groups if g["GroupName"].startswith("ims-"))
    assert [name.startswith("ims-b-") for name in ours] == [True] * 3, ours
    if names == "fixed":
        assert ours == ["ims-b-all-nodes", "ims-b-dime", "ims-b-sprout"]
    assert stored_permissions(target) == documented(after)
    assert stack.preview(expect_no_changes=True).changes() == []
