"""Flows beyond the port document: opt-in, exactly what the issue lists, and sourced.

Expectations are written here from the issue's own list (and
`reference/beyond-the-port-doc.md`'s sources), never read from clearwater_sg's matrix:
each profile, each peer site and the split open exactly the listed flows and no more,
on both clouds and every ipVersion.
"""

from __future__ import annotations

from tests.beyond import ALL, split_config
from tests.helpers import run_main
from tests.registered import (
    AWS_GROUP,
)

# --- networks: split ---------------------------------------------------------------------


def test_split_outputs_give_each_role_its_ids_per_interface() -> None:
    recording = run_main(split_config("aws", "4", "split"))
    ids = {g.inputs["name"]: g.id for g in recording.resources if g.type == AWS_GROUP}
    assert "nodeSecurityGroupIds" not in recording.outputs
    assert recording.outputs["interfaceSecurityGroupIds"]["sprout"] == {
        "management": [
            ids["clearwater-dev-all-nodes-management"],
            ids["clearwater-dev-sprout-management"],
        ],
        "signaling": [
            ids["clearwater-dev-all-nodes-signaling"],
            ids["clearwater-dev-sprout-signaling"],
        ],
    }
    assert set(recording.outputs["securityGroupIds"]) == {
        f"{role}-{net}" for role in ["all-nodes", *ALL] for net in ("management", "signaling")
    }
    assert (
        recording.outputs["securityGroupIds"]["sprout-signaling"]
        == ids["clearwater-dev-sprout-signaling"]
    )
