"""What adopt, drift and prune print: a report for people in a terminal (text), for a pull
request or a CI job's summary (Markdown), and for programs (JSON).

Everything read from a cloud (rule descriptions, group names, descriptions and tags,
ids) is text someone else wrote. It is escaped for the format it goes to: in a terminal
a line break, an escape sequence or a bidirectional override is shown as an escape, so
a description can neither add a line (a forged "No drift") nor rewrite one; in Markdown
every punctuation mark is escaped too, so it cannot end a cell or a table, nor render as
a link, an image or HTML; JSON escapes what it must by itself.

A rule nobody planned that lets the world reach an internal Clearwater port, or every
port, is said first and loudly, with its id (`Comparison.world_open`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TextIO

from clearwater_sg.live.compare import (
    Comparison,
    Expected,
    FieldChange,
    KeptGroup,
    KeptRule,
    LiveRule,
    PlannedRule,
    WorldOpen,
)
from clearwater_sg.live.prune import Confirmation, Pruning

EXIT_OK, EXIT_DRIFT, EXIT_ERROR = 0, 1, 2

_ESCAPED = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(character: str) -> str:
    code = ord(character)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def terminal_text(text: object) -> str:
    """Text from a cloud as it may stand in one terminal line: a backslash, a double
    quote and every character that is not printable shown as an escape (`\\n`, `\\x1b`,
    `\\u202e`)."""
    return "".join(_ESCAPED.get(c) or (c if c.isprintable() else _escape(c)) for c in str(text))


def markdown_text(text: object) -> str:
    """Text from a cloud as it may stand in a Markdown table cell: as in a terminal,
    then every ASCII punctuation mark backslash-escaped, as CommonMark allows, so it
    renders as the text it is."""
    return re.sub(r"[!-/:-@\[-`{-~]", lambda mark: "\\" + mark.group(), terminal_text(text))


def _where(planned: Expected) -> str:
    place = f", VPC {planned.vpc_id}" if planned.vpc_id else ""
    return f"stack {planned.stack!r} ({planned.cloud}{place}), component {planned.component!r}"


def _planned(rule: PlannedRule) -> str:
    return f"{rule.resource.name}  [{rule.permission.describe()}]"


def _live(rule: LiveRule) -> str:
    said = f' "{terminal_text(rule.description)}"' if rule.description else ""
    return f"{terminal_text(rule.id)}  [{terminal_text(rule.permission.describe())}]{said}"


def _change(change: FieldChange, escape: Callable[[object], str] = terminal_text) -> str:
    how = "replaces the resource" if change.replaces else "updated in place"
    return (
        f"{change.field}: {_shown(change.live, escape)} -> {_shown(change.planned, escape)} ({how})"
    )


def _shown(value: object, escape: Callable[[object], str]) -> str:
    if isinstance(value, tuple):
        return "[" + ", ".join(escape(item) for item in value) + "]"  # tags: key=value
    return "(none)" if value is None or value == "" else f"'{escape(value)}'"


def _warnings(comparison: Comparison) -> list[str]:
    """The loud lines: each unplanned rule that opens to the world, and how to remove it."""
    return [
        f"WARNING: unplanned rule {terminal_text(found.rule.id)} "
        f"{terminal_text(found.describe())}; remove it: {terminal_text(found.rule.delete_command)}"
        for found in comparison.world_open
    ]


# -- text, for a terminal ------------------------------------------------------------


def _groups(comparison: Comparison, out: TextIO) -> None:
    print("Groups:", file=out)
    kept = {k.planned.key: k for k in comparison.groups_kept}
    for group in comparison.expected.groups:
        if group.key in kept:
            live = kept[group.key].live
            how = "given" if live.found_by == "given" else "found by name"
            print(
                f"  keep    {group.key:<12} {terminal_text(live.id)}  "
                f"{terminal_text(live.name)} ({how})",
                file=out,
            )
        else:
            print(
                f"  create  {group.key:<12} {group.name} (no id given, no group of that name)",
                file=out,
            )
    for key, group_id in comparison.expected.existing.items():
        print(
            f"  rules   {key:<12} {terminal_text(group_id)}  "
            "(existingGroups: not created, not imported)",
            file=out,
        )


def _changes(comparison: Comparison, out: TextIO, heading: str) -> None:
    changed = comparison.changed
    if not changed:
        return
    print(f"{heading} ({len(changed)}):", file=out)
    for kept in changed:
        print(f"  {kept.planned.resource.name} ({terminal_text(kept.live.id)}):", file=out)
        for change in kept.changes:
            print(f"    {_change(change)}", file=out)


def print_adopt(comparison: Comparison, out_file: Path, out: TextIO) -> None:
    planned = comparison.expected
    print(
        f"Adopting {_where(planned)}: {len(planned.groups)} groups and "
        f"{len(planned.rules)} rules planned.",
        file=out,
    )
    for warning in _warnings(comparison):
        print(warning, file=out)
    _groups(comparison, out)
    print(f"Rules to keep, imported ({len(comparison.rules_kept)}):", file=out)
    for kept in comparison.rules_kept:
        print(f"  keep    {terminal_text(kept.live.id)}  {_planned(kept.planned)}", file=out)
    print(f"Rules to create, planned and not found ({len(comparison.rules_missing)}):", file=out)
    for rule in comparison.rules_missing:
        print(f"  create  {_planned(rule)}", file=out)
    unplanned = comparison.rules_to_delete
    print(
        f"Rules to delete, found and asked for by no planned rule ({len(unplanned)})"
        + (
            ": not imported, so `pulumi up` leaves them in place; remove them:"
            if unplanned
            else ":"
        ),
        file=out,
    )
    for found in unplanned:
        print(
            f"  delete  {_live(found)}\n          {terminal_text(found.delete_command)}",
            file=out,
        )
    if comparison.rules_left_alone:
        print(
            f"Rules of existing groups that no planned rule asks for "
            f"({len(comparison.rules_left_alone)}): their owner's; `pulumi up` leaves them, "
            "and drift reports them:",
            file=out,
        )
        for found in comparison.rules_left_alone:
            print(f"  leave   {_live(found)}", file=out)
    _changes(comparison, out, "Changes the first `pulumi up` makes to kept resources")
    replaced = _replaced(comparison)
    if replaced:
        print(
            f"Warning: the first `pulumi up` replaces {len(replaced)} of the imported resources "
            f"({', '.join(replaced)}): a replaced group is deleted and created anew, and a "
            "replaced rule is gone for a moment; change the cloud or the stack first if "
            "that must not happen.",
            file=out,
        )
    for line in planned.not_created:
        print(f"Not created on this cloud: {line}", file=out)
    imported = len(comparison.groups_kept) + len(comparison.rules_kept)
    print(
        f"Wrote {out_file}: {len(comparison.groups_kept)} groups and "
        f"{len(comparison.rules_kept)} rules to import ({imported} resources), under "
        f"component {planned.component!r}.",
        file=out,
    )
    print("Next:", file=out)
    for step in _next_steps(comparison, out_file):
        print(f"  {step}", file=out)
    for note in _import_notes(planned):
        print(f"Note: {note}", file=out)


def _replaced(comparison: Comparison) -> list[str]:
    return [
        k.planned.resource.name for k in comparison.changed if any(c.replaces for c in k.changes)
    ]


def _next_steps(comparison: Comparison, out_file: Path) -> list[str]:
    protect = "" if comparison.expected.protect else " --protect=false"
    steps = [f"pulumi import --file {out_file}{protect} --generate-code=false"]
    if comparison.rules_to_delete:
        steps.append("(delete the rules listed above with the commands shown)")
    return [*steps, "pulumi preview --diff"]


def _import_notes(planned: Expected) -> list[str]:
    if planned.cloud == "aws":
        return [
            "revokeRulesOnDelete is not read back on import; the first `pulumi up` sets "
            "it on every group in the state (an update that makes no EC2 call)."
        ]
    return [
        "deleteDefaultRules is not read back on import; the component ignores changes to "
        "it (it acts only when a group is created), so no imported group is replaced."
    ]


def _in_sync(comparison: Comparison) -> str:
    planned = comparison.expected
    return (
        f"No drift in {_where(planned)}: {len(planned.groups)} groups and {len(planned.rules)} "
        "rules as planned, and no other rule in those groups"
        + (f" or in its {len(planned.existing)} existing groups." if planned.existing else ".")
    )


def _differences(comparison: Comparison) -> int:
    return (
        len(comparison.groups_missing)
        + len(comparison.rules_missing)
        + len(comparison.rules_unplanned)
        + len(comparison.changed)
    )


def print_drift(comparison: Comparison, out: TextIO) -> int:
    if comparison.in_sync:
        print(_in_sync(comparison), file=out)
        return EXIT_OK
    print(
        f"Drift in {_where(comparison.expected)}: {_differences(comparison)} differences.",
        file=out,
    )
    for warning in _warnings(comparison):
        print(warning, file=out)
    for group in comparison.groups_missing:
        print(f"  missing group  {group.key}: no group named {group.name}", file=out)
    for rule in comparison.rules_missing:
        print(f"  missing    {_planned(rule)}", file=out)
    for unplanned in comparison.rules_to_delete:
        print(f"  unplanned  {_live(unplanned)}", file=out)
    for unplanned in comparison.rules_left_alone:
        print(
            f"  unplanned  {_live(unplanned)} (existing group: `pulumi up` leaves it)",
            file=out,
        )
    for kept in comparison.changed:
        print(
            f"  changed    {kept.planned.resource.name} ({terminal_text(kept.live.id)}):",
            file=out,
        )
        for change in kept.changes:
            print(f"               {_change(change)}", file=out)
    return EXIT_DRIFT


# -- prune -----------------------------------------------------------------------------


def _delete_lines(pruning: Pruning) -> list[str]:
    """Each rule to delete, those open to the world said so."""
    opened = pruning.world_open
    return [
        f"  {'delete':<12} {_live(rule)}"
        + (f"  OPEN TO THE WORLD: {terminal_text(opened[rule.id])}" if rule.id in opened else "")
        for rule in pruning.to_delete
    ]


def _left_lines(pruning: Pruning) -> list[str]:
    """Each unplanned rule skipped and why, each planned group not found."""
    lines = [
        f"  {'skip':<12} {_live(rule)} (existing group {rule.permission.group}: its owner's; "
        "--include-existing-groups deletes it)"
        for rule in pruning.skipped
    ]
    lines += [
        f"  {'not found':<12} group {group.key}: no group named {group.name} (not created yet: "
        "nothing to prune)"
        for group in pruning.comparison.groups_missing
    ]
    return lines


def _rules(count: int) -> str:
    return f"{count} rule{'' if count == 1 else 's'}"


def prune_status(pruning: Pruning, confirmation: Confirmation | None) -> int:
    """A dry run: 1 when there is something to delete, else 0 (as drift). After --yes:
    0 when every rule is gone and every planned rule still there, else 2."""
    if confirmation is None:
        return EXIT_DRIFT if pruning.to_delete else EXIT_OK
    return EXIT_OK if confirmation.confirmed else EXIT_ERROR


def print_prune(pruning: Pruning, out: TextIO, confirmation: Confirmation | None = None) -> None:
    """The prune report: without `confirmation` what a dry run would delete, with it what
    reading the groups back says."""
    where, count = _where(pruning.comparison.expected), len(pruning.to_delete)
    if confirmation is None:
        heading = (
            f"Prune {where}: {_rules(count)} nobody planned to delete; dry run, nothing "
            "deleted (run again with --yes to delete them)."
            if count
            else f"Nothing to prune in {where}: "
            + (
                "the only rules nobody planned are in existingGroups, left alone."
                if pruning.skipped
                else "every rule of its groups is planned."
            )
        )
        print(heading, file=out)
        for warning in _warnings(pruning.comparison):
            print(warning, file=out)
        for line in [*_delete_lines(pruning), *_left_lines(pruning)]:
            print(line, file=out)
        return
    if confirmation.confirmed:
        print(
            f"Pruned {where}: {_rules(len(confirmation.gone))} nobody planned deleted, gone "
            "on reading the groups back; every planned rule found before is still there.",
            file=out,
        )
    else:
        print(f"Prune FAILED in {where}: {terminal_text(confirmation.failure)}.", file=out)
    lines = [f"  {'deleted':<12} {_live(rule)}" for rule in confirmation.gone]
    lines += [f"  {'STILL THERE':<12} {_live(rule)}" for rule in confirmation.still_there]
    lines += [
        f"  {'LOST':<12} planned rule {terminal_text(rule_id)}: there before, not now"
        for rule_id in confirmation.lost
    ]
    print("\n".join([*lines, *_left_lines(pruning)]), file=out)


def prune_report(pruning: Pruning, confirmation: Confirmation | None = None) -> dict[str, object]:
    """The prune report as JSON: `dryRun`; `toDelete` and `skipped` (as drift's
    `rulesUnplanned`, with each rule's group key and id); `groupsNotFound`; after
    --yes, `deleted`, `stillThere`, `plannedLost` (rule ids) and `failure`."""
    comparison = pruning.comparison
    planned, opened = comparison.expected, _opened(comparison)
    existing = planned.existing

    def entry(rule: LiveRule) -> dict[str, object]:
        group = rule.permission.group
        return {"group": group, "groupId": pruning.group_ids[group]} | _unplanned(
            rule, group in existing, opened
        )

    found: dict[str, object] = {
        "stack": planned.stack,
        "cloud": planned.cloud,
        "component": planned.component,
        "dryRun": confirmation is None,
        "toDelete": [entry(rule) for rule in pruning.to_delete],
        "skipped": [entry(rule) for rule in pruning.skipped],
        "groupsNotFound": [{"key": g.key, "name": g.name} for g in comparison.groups_missing],
    }
    if confirmation is not None:
        found |= {
            "deleted": [rule.id for rule in confirmation.gone],
            "stillThere": [rule.id for rule in confirmation.still_there],
            "plannedLost": list(confirmation.lost),
            "failure": confirmation.failure,
        }
    return found


# -- Markdown, for a pull request or a CI job's summary ------------------------------


def _table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    """Rows of cells already escaped, under headers; nothing when there are no rows."""
    rows = list(rows)
    if not rows:
        return []
    lines = [headers, ["---"] * len(headers), *rows]
    return ["", *("| " + " | ".join(line) + " |" for line in lines), ""]


def _markdown_warnings(comparison: Comparison) -> list[str]:
    return [
        f"> **Open to the world**: unplanned rule {markdown_text(found.rule.id)} "
        f"{markdown_text(found.describe())}; remove it: "
        f"{markdown_text(found.rule.delete_command)}"
        for found in comparison.world_open
    ]


def _live_row(action: str, rule: LiveRule) -> list[str]:
    return [
        action,
        markdown_text(rule.id),
        markdown_text(rule.permission.describe()),
        markdown_text(rule.description),
    ]


def _planned_row(action: str, rule: PlannedRule, live_id: str = "") -> list[str]:
    name = markdown_text(rule.resource.name)
    if live_id:
        name += f" \\({markdown_text(live_id)}\\)"
    return [action, name, markdown_text(rule.permission.describe()), ""]


def _rule_rows(
    comparison: Comparison, actions: tuple[str, str, str], kept: bool = False
) -> list[list[str]]:
    """The rules `kept` (adopt imports them), then by `actions`: the missing, the
    unplanned in the groups the program creates and in existing groups; then the field
    changes."""
    missing, unplanned, left = actions
    rows = [_planned_row("keep", k.planned, k.live.id) for k in comparison.rules_kept if kept]
    rows += [_planned_row(missing, r) for r in comparison.rules_missing]
    rows += [_live_row(unplanned, r) for r in comparison.rules_to_delete]
    rows += [_live_row(left, r) for r in comparison.rules_left_alone]
    return rows + _change_rows(comparison.changed)


def _opening(heading: str, comparison: Comparison) -> list[str]:
    return [f"### {markdown_text(heading)}", "", *_markdown_warnings(comparison)]


def _change_rows(changed: Iterable[KeptGroup | KeptRule]) -> list[list[str]]:
    return [
        [
            "changed",
            f"{markdown_text(kept.planned.resource.name)} \\({markdown_text(kept.live.id)}\\)",
            markdown_text(_change(change, str)),
            "",
        ]
        for kept in changed
        for change in kept.changes
    ]


_HEADERS = ("", "resource or rule", "permits, or what changes", "live description")


def markdown_drift(comparison: Comparison) -> tuple[str, int]:
    """The drift report in Markdown, and the exit status."""
    if comparison.in_sync:
        return f"### {markdown_text(_in_sync(comparison))}\n", EXIT_OK
    heading = f"Drift in {_where(comparison.expected)}: {_differences(comparison)} differences."
    rows = [
        ["missing group", markdown_text(g.key), markdown_text(f"no group named {g.name}"), ""]
        for g in comparison.groups_missing
    ]
    rows += _rule_rows(comparison, ("missing", "unplanned", "unplanned \\(existing group\\)"))
    text = "\n".join([*_opening(heading, comparison), *_table(_HEADERS, rows)]) + "\n"
    return text, EXIT_DRIFT


def markdown_adopt(comparison: Comparison, out_file: Path) -> str:
    """The adopt report in Markdown."""
    planned = comparison.expected
    heading = (
        f"Adopting {_where(planned)}: {len(planned.groups)} groups and "
        f"{len(planned.rules)} rules planned."
    )
    kept = {k.planned.key: k for k in comparison.groups_kept}
    groups = [
        ["keep", *(markdown_text(t) for t in (g.key, kept[g.key].live.id, kept[g.key].live.name))]
        if g.key in kept
        else ["create", markdown_text(g.key), "", markdown_text(g.name)]
        for g in planned.groups
    ]
    groups += [
        ["rules only \\(existingGroups\\)", markdown_text(key), markdown_text(group_id), ""]
        for key, group_id in planned.existing.items()
    ]
    rows = _rule_rows(comparison, ("create", "delete", "leave \\(existing group\\)"), kept=True)
    lines = _opening(heading, comparison)
    lines += _table(("", "group", "id", "name"), groups)
    lines += _table(_HEADERS, rows)
    lines += [
        markdown_text(f"Delete: {r.id}: {r.delete_command}") for r in comparison.rules_to_delete
    ]
    lines += [markdown_text(f"Not created on this cloud: {line}") for line in planned.not_created]
    lines += ["", markdown_text(f"Wrote {out_file}. Next:")]
    lines += [f"- {markdown_text(step)}" for step in _next_steps(comparison, out_file)]
    lines += [f"- {markdown_text(note)}" for note in _import_notes(planned)]
    return "\n".join(lines) + "\n"


# -- JSON, for programs ----------------------------------------------------------------


def report(comparison: Comparison) -> dict[str, object]:
    """The comparison as JSON: what each command prints in text, for programs."""
    planned = comparison.expected
    kept_groups = {k.planned.key: k for k in comparison.groups_kept}
    left_alone = comparison.rules_left_alone
    opened = _opened(comparison)
    return {
        "stack": planned.stack,
        "cloud": planned.cloud,
        "component": planned.component,
        "inSync": comparison.in_sync,
        "worldOpen": [_world_open(found) for found in comparison.world_open],
        "groups": [
            {"key": g.key, "resource": g.resource.name, "name": g.name}
            | (
                {"action": "keep", "id": kept_groups[g.key].live.id}
                if g.key in kept_groups
                else {"action": "create"}
            )
            for g in planned.groups
        ]
        + [
            {"key": key, "id": group_id, "action": "existing"}
            for key, group_id in planned.existing.items()
        ],
        "rulesKept": [
            {
                "resource": k.planned.resource.name,
                "id": k.live.id,
                "permits": k.live.permission.describe(),
            }
            for k in comparison.rules_kept
        ],
        "rulesMissing": [
            {"resource": r.resource.name, "permits": r.permission.describe()}
            for r in comparison.rules_missing
        ],
        "rulesUnplanned": [
            _unplanned(r, r in left_alone, opened) for r in comparison.rules_unplanned
        ],
        "changes": [
            {
                "resource": k.planned.resource.name,
                "id": k.live.id,
                "field": c.field,
                "live": _json_value(c.live),
                "planned": _json_value(c.planned),
                "replaces": c.replaces,
            }
            for k in comparison.changed
            for c in k.changes
        ],
        "notCreated": list(planned.not_created),
    }


def _opened(comparison: Comparison) -> dict[str, WorldOpen]:
    return {found.rule.id: found for found in comparison.world_open}


def _unplanned(
    rule: LiveRule, in_existing_group: bool, opened: Mapping[str, WorldOpen]
) -> dict[str, object]:
    return {
        "id": rule.id,
        "permits": rule.permission.describe(),
        "description": rule.description,
        "inExistingGroup": in_existing_group,
    } | ({"opensToWorld": _world_open(opened[rule.id])} if rule.id in opened else {})


def _world_open(found: WorldOpen) -> dict[str, object]:
    return {"id": found.rule.id, "opens": found.reach, "via": list(found.via)}


def _json_value(value: object) -> object:
    return list(value) if isinstance(value, tuple) else value
