"""One-line changes to a running stack, as the real engine previews and applies them.

For each change the document reader says which permissions appear and which go; the
real preview must plan exactly that many creates and deletes (one Neutron rule per
permission, one group per added or dropped role) and replace nothing, `up` must apply
it, Neutron must then hold exactly the reader's expectation for the new configuration,
and a preview right after must show nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from pulumi.automation.events import OpType

from harness import PROJECT
from harness.engine import documented, settings
from harness.local_openstack import Project
from tests.conformance.stored import project_permissions
from tests.engine.conftest import StackFactory

CORE = ["ellis", "bono", "sprout", "dime", "homer", "vellum"]
BASE = settings(cloud="openstack", ipVersion="dual", roles=CORE, sshSources=["192.0.2.0/24"])
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


@pytest.mark.parametrize("change", [*CHANGES, *UNDONE])
def test_a_one_line_change_is_exactly_its_creates_and_deletes(
    engine_stack: StackFactory, os_project: Project, change: str
) -> None:
    before, after = dict(BASE), dict(BASE)
    CHANGES[UNDONE.get(change, change)](after)
    if change in UNDONE:
        before, after = after, before
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
    assert project_permissions(os_project) == new
    assert stack.preview(expect_no_changes=True).changes() == []
