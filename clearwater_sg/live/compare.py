"""Compare what the program registers with what a cloud holds, and write the
`pulumi import --file` document that adopts what already exists.

Rules are matched by what they permit (`model.Permission`), never by name or id, so a
rule made by hand is recognised as the planned rule it is. Every matched resource is
then compared field by field, as its provider would on the first `pulumi up`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from clearwater_sg.component import COMPONENT_TYPE
from clearwater_sg.live.model import (
    Expected,
    FieldChange,
    Live,
    LiveError,
    LiveGroup,
    LiveRule,
    PlannedGroup,
    PlannedRule,
    field_changes,
)


class Reader(Protocol):
    cloud: str

    def groups(self, given: Mapping[str, str], names: Mapping[str, str]) -> list[LiveGroup]: ...

    def rules(self, groups: list[LiveGroup]) -> list[LiveRule]: ...


def read_live(expected: Expected, reader: Reader, given: Mapping[str, str]) -> Live:
    """The deployment's live groups (`given`: group key -> id; every other planned group
    is looked up by its planned name) and every rule in them."""
    keys = [group.key for group in expected.groups]
    unknown = sorted(set(given) - set(keys))
    if unknown:
        raise LiveError(
            f"--group {unknown[0]}: this stack has no group {unknown[0]!r}; its groups are "
            + ", ".join(keys)
        )
    by_id: dict[str, str] = {}
    for key, group_id in given.items():
        if group_id in by_id:
            raise LiveError(f"{group_id} is given for both {by_id[group_id]} and {key}")
        by_id[group_id] = key
    groups = reader.groups(given, {group.key: group.name for group in expected.groups})
    return Live(groups=tuple(groups), rules=tuple(reader.rules(groups)))


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
class Comparison:
    expected: Expected
    groups_kept: tuple[KeptGroup, ...]
    groups_missing: tuple[PlannedGroup, ...]  # planned, not found: `pulumi up` creates
    rules_kept: tuple[KeptRule, ...]
    rules_missing: tuple[PlannedRule, ...]  # planned, not found: `pulumi up` creates
    rules_extra: tuple[LiveRule, ...]  # found, not planned: nothing asks for them

    @property
    def changed(self) -> tuple[KeptGroup | KeptRule, ...]:
        kept: list[KeptGroup | KeptRule] = [*self.groups_kept, *self.rules_kept]
        return tuple(k for k in kept if k.changes)

    @property
    def in_sync(self) -> bool:
        return not (self.groups_missing or self.rules_missing or self.rules_extra or self.changed)


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
    unmatched: dict[Any, list[LiveRule]] = {}
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
    extra = sorted(
        (rule for rules in unmatched.values() for rule in rules),
        key=lambda rule: (rule.permission.sort_key(), rule.id),
    )
    return Comparison(
        expected=expected,
        groups_kept=groups_kept,
        groups_missing=groups_missing,
        rules_kept=tuple(rules_kept),
        rules_missing=tuple(rules_missing),
        rules_extra=tuple(extra),
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
                "type": kept.planned.type,
                "name": kept.planned.resource_name,
                "id": kept.live.id,
                "parent": component,
            }
        )
    document["resources"] = resources
    return document
