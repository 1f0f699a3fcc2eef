"""What a recorded program run creates, read back from the registered resources.

Groups are named by their group key (read from the tags the backends give them; an
existing group, which has no resource, by the key of the rules its component put on
it); each rule resource is read by its cloud's backend (`Backend.permission`) into the
one shape of what a rule permits. Rows come from the resource inputs the engine received, not from
the plan: they show what the backends really asked the cloud for.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from clearwater_sg.backends import tag_texts
from clearwater_sg.backends.aws import AwsBackend
from clearwater_sg.backends.openstack import OpenStackBackend
from clearwater_sg.component import ClearwaterSecurityGroups
from clearwater_sg.permission import Permission
from clearwater_sg.resources import GROUP_TYPES, RULE_TYPES
from offline.runner import Recording, Registered

# Each rule resource type -> the reader of the backend that registers it.
RULE_READERS: dict[str, Callable[[str, Mapping[str, Any], Mapping[str, str]], Permission]] = {
    type_: backend.permission
    for backend in (AwsBackend, OpenStackBackend)
    for type_ in backend.classes
    if type_ in RULE_TYPES
}


EXISTING = "(existing group: not created)"


@dataclass(frozen=True, order=True)
class GroupRow:
    key: str  # the plan's group key: the role, or with split networks <role>-<network>
    name: str
    id: str
    description: str
    existing: bool = False  # given by existingGroups: not created, its rules only


@dataclass(frozen=True)
class RuleRow:
    permission: Permission
    description: str
    resource: str  # the Pulumi resource name, as `pulumi preview` lists it
    section: str = ""  # the port document's section heading, once traced to the plan
    line: str = ""  # the port document's line, e.g. "TCP/5058" or "Echo Request", likewise


@dataclass(frozen=True)
class Inventory:
    groups: list[GroupRow]
    rules: list[RuleRow]


def inventory(recording: Recording) -> Inventory:
    groups = [
        _group_row(resource) for resource in recording.resources if resource.type in GROUP_TYPES
    ]
    keys = {group.id: group.key for group in groups}
    planned = {
        name: rule
        for component in recording.objects
        if isinstance(component, ClearwaterSecurityGroups)
        for name, rule in component.rule_of_resource.items()
    }
    for resource in recording.resources:
        group_id = str(resource.inputs.get("securityGroupId", ""))
        if resource.type in RULE_TYPES and group_id not in keys and resource.name in planned:
            key = planned[resource.name].group
            groups.append(GroupRow(key, EXISTING, group_id, "", existing=True))
            keys[group_id] = key
    rules = [
        RuleRow(
            permission=RULE_READERS[resource.type](resource.type, resource.inputs, keys),
            description=str(resource.inputs.get("description", "")),
            resource=resource.name,
        )
        for resource in recording.resources
        if resource.type in RULE_TYPES
    ]
    return Inventory(groups=sorted(groups), rules=sorted(rules, key=_order))


def _group_row(resource: Registered) -> GroupRow:
    tags = dict(tag.split("=", 1) for tag in tag_texts(resource.inputs.get("tags")))
    network = tags.get("clearwater:network")
    role = tags.get("clearwater:role", "?")
    return GroupRow(
        key=role if network is None else f"{role}-{network}",
        name=str(resource.inputs.get("name") or resource.inputs.get("namePrefix", "")),
        id=resource.id,
        description=str(resource.inputs.get("description", "")),
    )


def _order(rule: RuleRow) -> tuple[object, ...]:
    """Group by group, ingress before egress, then by protocol and port, like the doc."""
    permission = rule.permission
    digits = "".join(c if c.isdigit() else " " for c in permission.ports()).split()
    return (
        permission.group,
        permission.direction != "ingress",
        permission.protocol,
        [int(d) for d in digits],
        permission.family,
        permission.peer_cell(),
    )
