"""Existing groups against the stack's last update (`clearwater_sg.existing`): the id of a
group the component created is refused in existingGroups, naming both keys; each move of
a role's rules between groups is said with the groups; a stack that never had the role,
or whose state could not be read, says so and refuses nothing."""

from __future__ import annotations

from clearwater_sg.component import prepare
from clearwater_sg.existing import moves, own_groups_named_existing
from clearwater_sg.options import DeploymentOptions
from clearwater_sg.previous import Previous
from tests.helpers import UUID_A, UUID_B

CREATED = Previous(created={"all-nodes": UUID_A, "sprout": UUID_B})


def options(**existing: str) -> DeploymentOptions:
    return DeploymentOptions(cloud="openstack", roles=["sprout"], existing_groups=existing)


def test_a_group_the_stack_created_is_refused_as_existing_under_any_key() -> None:
    assert own_groups_named_existing(options(), "clearwater", CREATED) == []
    (same,) = own_groups_named_existing(options(sprout=UUID_B), "clearwater", CREATED)
    assert same.startswith(f"existingGroups.sprout: {UUID_B} is the sprout group this stack")
    assert "(clearwater-sprout)" in same and "would delete it" in same
    (other,) = own_groups_named_existing(options(sprout=UUID_A), "clearwater", CREATED)
    assert f"{UUID_A} is the all-nodes group this stack created" in other


def test_each_move_of_a_roles_rules_is_said_with_the_groups() -> None:
    team = "0badc0de-0000-4000-8000-000000000000"
    moved_in = options(sprout=team)
    (said,) = moves(moved_in, prepare(moved_in, "clearwater", "prod").plan, CREATED)
    assert f"created the sprout group {UUID_B}; this update deletes it" in said
    assert f"puts sprout's rules on {team}" in said

    was_existing = Previous(created={"all-nodes": UUID_A}, existing={"sprout": team})
    moved_out = options()
    (said,) = moves(moved_out, prepare(moved_out, "clearwater", "prod").plan, was_existing)
    assert said.startswith(f"sprout was an existing group ({team}) on this stack's last update")
    assert "creates the group clearwater-prod-sprout for it" in said

    changed = options(sprout=UUID_B)
    (said,) = moves(changed, prepare(changed, "clearwater", "prod").plan, was_existing)
    assert f"existingGroups.sprout: was {team} on this stack's last update" in said
    assert f"moves sprout's rules off {team} onto {UUID_B}" in said


def test_a_stack_that_never_had_the_role_says_nothing_and_an_unread_state_says_so() -> None:
    fresh = options(sprout=UUID_B)
    plan = prepare(fresh, "clearwater", "prod").plan
    assert moves(fresh, plan, Previous()) == []
    (said,) = moves(fresh, plan, Previous(unread="reading stack o/p/s failed: boom"))
    assert "could not read this stack's last update (reading stack o/p/s failed: boom)" in said
