"""Compare what the program registers with what a cloud holds, and write the
`pulumi import --file` document that adopts what already exists.

What the program registers comes from the component's own `prepare` and its backend's
`group_resource` / `rule_resources`, exactly as `pulumi up` registers them. Rules are
matched by what they permit (`clearwater_sg.permission.Permission`), never by name or
id, so a rule made by hand is recognised as the planned rule it is. Every matched
resource is then compared field by field, as its provider would on the first `pulumi up`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from clearwater_sg.backends import Placement, Resource, tag_texts
from clearwater_sg.component import Prepared, prepare
from clearwater_sg.options import DeploymentOptions, GroupNames
from clearwater_sg.permission import (
    AddressGroup,
    Peer,
    Permission,
    PrefixList,
    internal_reach,
    world_reach,
)
from clearwater_sg.plan import PlanError
from clearwater_sg.quota import QuotaExceededError
from clearwater_sg.resources import COMPONENT_TYPE, Field
from clearwater_sg.types import Cloud


class LiveError(Exception):
    """A problem that stops adopt or drift: the message names it and the fix."""


@dataclass(frozen=True)
class FieldChange:
    field: str
    live: object
    planned: object
    replaces: bool


def field_changes(
    fields: tuple[Field, ...], live: Mapping[str, object], planned: Mapping[str, object]
) -> list[FieldChange]:
    return [
        FieldChange(spec.name, live.get(spec.name), planned.get(spec.name), spec.replaces)
        for spec in fields
        if live.get(spec.name) != planned.get(spec.name)
    ]


def compared_fields(resource: Resource, fields: tuple[Field, ...]) -> dict[str, object]:
    """A registered resource's inputs as a live reader reports the same fields."""
    value = resource.inputs.get
    return {f.name: tag_texts(value(f.name)) if f.name == "tags" else value(f.name) for f in fields}


@dataclass(frozen=True)
class PlannedGroup:
    """A group the program registers: its Pulumi resource and what the cloud stores."""

    key: str  # the plan's group key (the role, or <role>-<network>)
    resource: Resource
    fields: Mapping[str, object]

    @property
    def name(self) -> str:
        """Its name in the cloud (with generated names: what the name starts with)."""
        inputs = self.resource.inputs
        return str(inputs.get("name") or inputs.get("namePrefix"))


@dataclass(frozen=True)
class PlannedRule:
    """One cloud rule the program registers (OpenStack: one per ethertype)."""

    resource: Resource
    permission: Permission
    fields: Mapping[str, object]


@dataclass(frozen=True)
class LiveGroup:
    key: str
    id: str
    name: str
    found_by: str  # "given" (an id the user gave) or "name" (the planned name)
    fields: Mapping[str, object]


@dataclass(frozen=True)
class LiveRule:
    id: str
    permission: Permission
    description: str
    fields: Mapping[str, object]
    delete_command: str  # how to remove it by hand with the cloud's own CLI


@dataclass(frozen=True)
class Expected:
    """Everything the program would register for one deployment."""

    cloud: str
    stack: str
    component: str
    groups: tuple[PlannedGroup, ...]  # the groups it creates
    rules: tuple[PlannedRule, ...]
    group_fields: tuple[Field, ...]  # what Pulumi compares on a group
    rule_fields: tuple[Field, ...]  # what Pulumi compares on a rule
    vpc_id: str | None = None
    generated_names: bool = False  # AWS completes each group's name after its prefix
    protect: bool = False
    not_created: tuple[str, ...] = ()  # document lines the cloud cannot express, why
    existing: Mapping[str, str] = dataclasses.field(default_factory=dict)  # key -> group id
    profiles: frozenset[str] = frozenset()  # the world-facing ports they open are not internal


# What each prefix list or address group a rule names holds; None: it cannot be read.
Held = Mapping[Peer, tuple[str, ...] | None]


@dataclass(frozen=True)
class Live:
    """What one cloud holds in the deployment's groups."""

    groups: tuple[LiveGroup, ...]
    rules: tuple[LiveRule, ...]
    held: Held = dataclasses.field(default_factory=dict)


def expected(options: DeploymentOptions, stack: str, component: str = "clearwater") -> Expected:
    """Every group and rule the component `component` of stack `stack` registers.

    Raises LiveError when the program itself would refuse the options.
    """
    try:
        prepared = prepare(options, component, stack)
    except (PlanError, QuotaExceededError) as exc:
        raise LiveError(f"the program would refuse this stack: {exc}") from None
    return expected_of(prepared, options, stack, component)


def expected_of(
    prepared: Prepared, options: DeploymentOptions, stack: str, component: str
) -> Expected:
    """What a component registers, from what it prepared."""
    backend, plan = prepared.backend, prepared.plan
    # The group keys stand for the ids of the deployment's groups.
    keys = {group.key: group.key for group in (*plan.groups, *plan.existing)}
    labelled = _plain_ids(options.labelled_groups, "the group of label")
    existing = _plain_ids(options.existing_groups, "existingGroups")
    groups = [backend.group_resource(group, component) for group in plan.groups]
    at = Placement(plan, component, keys, labelled)
    rules = [resource for rule in plan.rules for resource in backend.rule_resources(rule, at)]
    vpc_id = options.vpc_id if isinstance(options.vpc_id, str) else None
    return Expected(
        cloud=options.cloud.value,
        stack=stack,
        component=component,
        groups=tuple(
            PlannedGroup(group.key, resource, compared_fields(resource, backend.group_fields))
            for group, resource in zip(plan.groups, groups, strict=True)
        ),
        rules=tuple(
            PlannedRule(
                resource,
                backend.permission(resource.type, resource.inputs, keys),
                compared_fields(resource, backend.rule_fields),
            )
            for resource in rules
        ),
        group_fields=backend.group_fields,
        rule_fields=backend.rule_fields,
        vpc_id=vpc_id,
        generated_names=options.cloud is Cloud.AWS and options.group_names is GroupNames.GENERATED,
        protect=options.protect,
        not_created=tuple(f"{rule.key}: {why}" for rule, why in prepared.not_created),
        existing=existing,
        profiles=frozenset(options.profiles),
    )


def _plain_ids(groups: Mapping[str, object], what: str) -> dict[str, str]:
    """Group ids a stack file gives; an Output (from a program) cannot be read here."""
    for key, group_id in groups.items():
        if not isinstance(group_id, str):
            raise LiveError(f"{what} {key!r} is not a plain id")
    return {key: str(group_id) for key, group_id in groups.items()}


class Reader(Protocol):
    cloud: str

    def groups(self, given: Mapping[str, str], names: Mapping[str, str]) -> list[LiveGroup]: ...

    def rules(self, groups: list[LiveGroup]) -> list[LiveRule]: ...

    def holds(self, listed: PrefixList | AddressGroup) -> tuple[str, ...] | None:
        """The CIDRs a prefix list or address group holds; None when it cannot be read."""
        ...

    def delete_rules(self, group_id: str, direction: str, rule_ids: Sequence[str]) -> None:
        """Delete rules of one group and direction by id (prune); LiveError on failure."""
        ...


def reader_for(
    planned: Expected,
    provider_config: Mapping[str, str],
    aws: Mapping[str, str | None] | None = None,
    openstack: Mapping[str, str | None] | None = None,
) -> Reader:
    """The reader of the stack's cloud: its provider settings (`aws:region`,
    `openstack:cloud`, ... as text), with `aws` or `openstack` overrides on top (None
    values are no override), then the cloud SDK's own credentials."""
    if planned.cloud == "aws":
        from clearwater_sg.live.aws import AwsReader, AwsSettings, ec2_client

        settings = AwsSettings.from_stack(provider_config, **(aws or {}))
        assert planned.vpc_id is not None
        return AwsReader(ec2_client(settings), planned.vpc_id, planned.generated_names)
    from clearwater_sg.live.openstack import OpenStackReader, OpenStackSettings, connect

    os_settings = OpenStackSettings.from_stack(provider_config, **(openstack or {}))
    return OpenStackReader(connect(os_settings), os_settings.project_id)


def read_live(expected: Expected, reader: Reader, given: Mapping[str, str]) -> Live:
    """The deployment's live groups (`given`: group key -> id; its existing groups by
    their ids; every other planned group looked up by its planned name) and every rule
    in them."""
    keys = [group.key for group in expected.groups]
    for key in given:
        if key in expected.existing:
            raise LiveError(
                f"--group {key}: the stack gives this group in existingGroups "
                f"({expected.existing[key]}); remove --group {key}"
            )
    unknown = sorted(set(given) - set(keys))
    if unknown:
        raise LiveError(
            f"--group {unknown[0]}: this stack has no group {unknown[0]!r}; its groups are "
            + ", ".join(keys)
        )
    given = {**expected.existing, **given}
    by_id: dict[str, str] = {}
    for key, group_id in given.items():
        if group_id in by_id:
            raise LiveError(f"{group_id} is given for both {by_id[group_id]} and {key}")
        by_id[group_id] = key
    groups = reader.groups(given, {group.key: group.name for group in expected.groups})
    rules = reader.rules(groups)
    listed = {r.permission.peer for r in rules}
    held: dict[Peer, tuple[str, ...] | None] = {
        peer: reader.holds(peer) for peer in listed if isinstance(peer, (PrefixList, AddressGroup))
    }
    return Live(groups=tuple(groups), rules=tuple(rules), held=held)


@dataclass(frozen=True)
class KeptGroup:
    planned: PlannedGroup
    live: LiveGroup
    changes: tuple[FieldChange, ...]


@dataclass(frozen=True)
class KeptRule:
    planned: PlannedRule
    live: LiveRule
    changes: tuple[FieldChange, ...]


@dataclass(frozen=True)
class WorldOpen:
    """A rule nobody planned that lets the world reach what only Clearwater's own nodes
    may, judged as the policy pack judges a rule."""

    rule: LiveRule
    reach: str  # "every port", or "internal port(s) TCP/7000 (Vellum: Cassandra), ..."
    via: tuple[str, ...]  # how its peer reaches the world

    def describe(self) -> str:
        return f"opens {self.reach} to {'; '.join(self.via)}"


def world_open(
    rule: LiveRule, held: Mapping[Peer, tuple[str, ...] | None], profiles: frozenset[str]
) -> WorldOpen | None:
    """The rule as a WorldOpen when it admits the world to an internal port or every port."""
    permission = rule.permission
    if permission.direction != "ingress":
        return None
    via = world_reach(permission.peer, held.get(permission.peer), "it cannot be read")
    reach = internal_reach(permission, profiles)
    return WorldOpen(rule, reach, tuple(via)) if via and reach else None


@dataclass(frozen=True)
class Comparison:
    expected: Expected
    groups_kept: tuple[KeptGroup, ...]
    groups_missing: tuple[PlannedGroup, ...]  # planned, not found: `pulumi up` creates
    rules_kept: tuple[KeptRule, ...]
    rules_missing: tuple[PlannedRule, ...]  # planned, not found: `pulumi up` creates
    rules_unplanned: tuple[LiveRule, ...]  # found, and no planned rule asks for them
    world_open: tuple[WorldOpen, ...] = ()  # of those, the ones that open to the world

    @property
    def rules_to_delete(self) -> tuple[LiveRule, ...]:
        """Unplanned rules in the groups the program creates: `pulumi up` never deletes
        them (they are not in its state); someone must."""
        existing = self.expected.existing
        return tuple(r for r in self.rules_unplanned if r.permission.group not in existing)

    @property
    def rules_left_alone(self) -> tuple[LiveRule, ...]:
        """Unplanned rules in existing groups: their owner's, which the program leaves."""
        existing = self.expected.existing
        return tuple(r for r in self.rules_unplanned if r.permission.group in existing)

    @property
    def changed(self) -> tuple[KeptGroup | KeptRule, ...]:
        kept: list[KeptGroup | KeptRule] = [*self.groups_kept, *self.rules_kept]
        return tuple(k for k in kept if k.changes)

    @property
    def in_sync(self) -> bool:
        return not (
            self.groups_missing or self.rules_missing or self.rules_unplanned or self.changed
        )


def compare(expected: Expected, live: Live) -> Comparison:
    """Match every live group to its planned group by key and every live rule to the
    planned rule that permits the same traffic; report the rest both ways."""
    live_groups = {group.key: group for group in live.groups}
    groups_kept = tuple(
        KeptGroup(
            planned,
            found,
            tuple(field_changes(expected.group_fields, found.fields, planned.fields)),
        )
        for planned in expected.groups
        if (found := live_groups.get(planned.key)) is not None
    )
    groups_missing = tuple(g for g in expected.groups if g.key not in live_groups)
    unmatched: dict[Permission, list[LiveRule]] = {}
    for rule in live.rules:
        unmatched.setdefault(rule.permission, []).append(rule)
    rules_kept: list[KeptRule] = []
    rules_missing: list[PlannedRule] = []
    for planned in expected.rules:
        candidates = unmatched.get(planned.permission)
        if not candidates:
            rules_missing.append(planned)
            continue
        match = candidates.pop(0)
        changes = field_changes(expected.rule_fields, match.fields, planned.fields)
        rules_kept.append(KeptRule(planned, match, tuple(changes)))
    unplanned = sorted(
        (rule for rules in unmatched.values() for rule in rules),
        key=lambda rule: (rule.permission.sort_key(), rule.id),
    )
    opened = (world_open(rule, live.held, expected.profiles) for rule in unplanned)
    return Comparison(
        expected=expected,
        groups_kept=groups_kept,
        groups_missing=groups_missing,
        rules_kept=tuple(rules_kept),
        rules_missing=tuple(rules_missing),
        rules_unplanned=tuple(unplanned),
        world_open=tuple(found for found in opened if found is not None),
    )


def import_document(comparison: Comparison, component_urn: str | None = None) -> dict[str, Any]:
    """The `pulumi import --file` document for every kept group and rule.

    Each resource has the program's own name, type and parent, so the program finds it
    in the state on its next run. The component is not imported: it has no cloud
    resource. Without `component_urn` the document asks `pulumi import` to create it
    empty (`"component": true`, Pulumi 3.94+), as the root stack's child, which is
    where the bundled program registers it; with `component_urn` (a stack that already
    has the component, or registers it elsewhere) the name table points to it instead.
    """
    component = comparison.expected.component
    resources: list[dict[str, Any]] = []
    document: dict[str, Any] = {}
    if component_urn is None:
        resources.append({"type": COMPONENT_TYPE, "name": component, "component": True})
    else:
        document["nameTable"] = {component: component_urn}
    kept_resources: list[KeptGroup | KeptRule] = [*comparison.groups_kept, *comparison.rules_kept]
    for kept in kept_resources:
        resources.append(
            {
                "type": kept.planned.resource.type,
                "name": kept.planned.resource.name,
                "id": kept.live.id,
                "parent": component,
            }
        )
    document["resources"] = resources
    return document
