"""Prune: delete the rules drift calls unplanned from the deployment's own groups, then
read the groups back and confirm they are gone.

What is unplanned is drift's judgment (`clearwater_sg.live.compare.compare`), read by
the same reader, never a second one. Only rules of the groups the reader found for the
deployment's planned keys can be selected; a rule of a group in the stack's
`existingGroups` (its owner's) only when the operator asks for those groups too. A
planned rule is never selected: every id to delete is checked against the ids of the
rules drift matched to the plan before the first call.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from clearwater_sg.live.compare import Comparison, Live, LiveError, LiveRule, Reader


@dataclass(frozen=True)
class Pruning:
    """What prune deletes, and what it leaves and why."""

    comparison: Comparison
    to_delete: tuple[LiveRule, ...]
    skipped: tuple[LiveRule, ...]  # unplanned rules of existing groups, not asked for
    group_ids: dict[str, str]  # group key -> the live group's id

    @property
    def world_open(self) -> dict[str, str]:
        """Rule id -> how it opens to the world, for the rules to delete."""
        ids = {rule.id for rule in self.to_delete}
        return {w.rule.id: w.describe() for w in self.comparison.world_open if w.rule.id in ids}


def pruning(comparison: Comparison, include_existing: bool = False) -> Pruning:
    """The unplanned rules to delete: those of the groups the program creates, and with
    `include_existing` those of the stack's existing groups too."""
    planned = comparison.expected
    group_ids = {kept.planned.key: kept.live.id for kept in comparison.groups_kept}
    group_ids.update(planned.existing)
    to_delete = comparison.rules_to_delete
    skipped = comparison.rules_left_alone
    if include_existing:
        to_delete, skipped = to_delete + skipped, ()
    kept_ids = {kept.live.id for kept in comparison.rules_kept}
    for rule in to_delete:
        # Never reached: compare() puts a rule in one list only. A security tool checks.
        if rule.id in kept_ids or rule.permission.group not in group_ids:
            raise LiveError(
                f"refusing to delete {rule.id}: it is a planned rule or not in one of the "
                "deployment's groups (a bug in clearwater-sg; please report)"
            )
    return Pruning(comparison, to_delete, skipped, group_ids)


def batches(pruning: Pruning) -> list[tuple[str, str, tuple[str, ...]]]:
    """The rules to delete as (group id, direction, rule ids): one call each on AWS."""
    grouped: dict[tuple[str, str], list[str]] = {}
    for rule in pruning.to_delete:
        group_id = pruning.group_ids[rule.permission.group]
        grouped.setdefault((group_id, rule.permission.direction), []).append(rule.id)
    return [(group, way, tuple(ids)) for (group, way), ids in sorted(grouped.items())]


@dataclass(frozen=True)
class Confirmation:
    """What a second reading of the groups says after the deletions."""

    gone: tuple[LiveRule, ...]  # deleted, and not there any more
    still_there: tuple[LiveRule, ...]  # asked to delete, still there
    lost: tuple[str, ...]  # ids of planned rules found before and not after (none expected)
    failure: str | None  # None, or why the deletion did not finish

    @property
    def confirmed(self) -> bool:
        return self.failure is None


def delete_and_confirm(
    pruning: Pruning, reader: Reader, read_back: Callable[[], Live]
) -> Confirmation:
    """Delete the rules of `pruning`, stopping at the first call that fails; then read
    the groups back (after a failure too: it tells what was deleted before it) and
    compare them with what was deleted and what was kept."""
    failure = None
    for group_id, direction, rule_ids in batches(pruning):
        try:
            reader.delete_rules(group_id, direction, rule_ids)
        except LiveError as exc:
            failure = str(exc)
            break
    present = {rule.id for rule in read_back().rules}
    still_there = tuple(rule for rule in pruning.to_delete if rule.id in present)
    lost = tuple(k.live.id for k in pruning.comparison.rules_kept if k.live.id not in present)
    if failure is None and still_there:
        failure = f"{len(still_there)} of the rules deleted are still there on reading back"
    if failure is None and lost:
        failure = f"{len(lost)} planned rules found before are gone on reading back"
    return Confirmation(
        gone=tuple(rule for rule in pruning.to_delete if rule.id not in present),
        still_there=still_there,
        lost=lost,
        failure=failure,
    )
