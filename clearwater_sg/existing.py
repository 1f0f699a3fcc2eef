"""Groups a team already owns (`existingGroups`) against the stack's last update
(`clearwater_sg.previous`).

A group the component created can never be named existing: the component would stop
declaring it, so `pulumi up` would delete it, and the cloud with it every rule that
references it (Neutron cascades them; the next preview then plans nothing, and the one
after a refresh fails halfway). A role that moves into or out of `existingGroups`, or
whose existing group changes, moves its rules from one group to another on a running
deployment: said at `pulumi preview` and `up`, with the groups and what the nodes lose.
"""

from __future__ import annotations

from clearwater_sg.options import DeploymentOptions
from clearwater_sg.plan import Plan
from clearwater_sg.previous import Previous


def own_groups_named_existing(
    options: DeploymentOptions, component: str, previous: Previous
) -> list[str]:
    """A refusal for each key of `existingGroups` whose id is a group the component
    created on the stack's last update."""
    created = {group_id: key for key, group_id in previous.created.items()}
    return [
        f"existingGroups.{key}: {group_id} is the {created[group_id]} group this stack "
        f"created on its last update ({component}-{created[group_id]}); given as existing, "
        "`pulumi up` would delete it, and the cloud with it every rule that references it. "
        f"Remove {key} from existingGroups: the stack keeps managing that group"
        for key, group_id in options.existing_groups.items()
        if isinstance(group_id, str) and group_id in created
    ]


def moves(options: DeploymentOptions, plan: Plan, previous: Previous) -> list[str]:
    """What moves a role's rules between groups since the stack's last update, each with
    the groups and what the nodes lose; said loudly, never silently."""
    said: list[str] = []
    given = options.existing_groups
    for key, group_id in given.items():
        now = group_id if isinstance(group_id, str) else "the group given"
        was = previous.created.get(key)
        if was is not None and was != group_id:
            said.append(
                f"existingGroups.{key}: on its last update this stack created the {key} group "
                f"{was}; this update deletes it and puts {key}'s rules on {now}. Attach the "
                f"nodes to {now} first: nodes still on {was} lose its rules, and a cloud "
                "refuses to delete a group a node uses (the update then stops at that step)"
            )
        was = previous.existing.get(key)
        if was is not None and was != group_id and isinstance(group_id, str):
            said.append(
                f"existingGroups.{key}: was {was} on this stack's last update; this update "
                f"moves {key}'s rules off {was} onto {now}: nodes on {was} alone lose them"
            )
    for group in plan.groups:
        was = previous.existing.get(group.key)
        if was is not None:
            said.append(
                f"{group.key} was an existing group ({was}) on this stack's last update; this "
                f"update creates the group {group.name} for it and moves {group.key}'s rules off "
                f"{was} onto the new group: the nodes on {was} lose them until the new group is "
                f"attached to them (securityGroupIds.{group.key}). Keep {group.key} in "
                "existingGroups to leave them where they are"
            )
    if previous.unread:
        said.append(
            f"could not read this stack's last update ({previous.unread}): a group of this "
            "stack given in existingGroups, or a role moved in or out of it, is not checked"
        )
    return said
