"""The synthesized view of one stack: its groups and rules, each rule traced to the port
document, what the cloud cannot express, and the quota the plan uses.

Rows come from what the backends registered under the mock engine (`run_stack` +
`inventory`), not from the plan, so a synth shows what `pulumi up` would ask the cloud
for. The components the program created contribute what cloud resources cannot carry:
the document section and port line of each rule (each component knows the plan rule of
every rule resource it registered), the lines the cloud cannot express, and the quota
pre-flight. The program runs once.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from clearwater_sg.component import ClearwaterSecurityGroups
from clearwater_sg.plan import RuleSpec
from clearwater_sg.quota import QuotaCheck
from offline.inventory import GroupRow, RuleRow, inventory
from offline.runner import Recording, run_stack


class SynthError(RuntimeError):
    """The recorded resources and the program's plans disagree; the synth would mislead."""


@dataclass(frozen=True)
class NotCreated:
    """A document line the plan calls for that the cloud's provider cannot express."""

    group: str
    line: str  # the port document's line, e.g. "Echo Reply"
    description: str
    section: str
    reason: str


@dataclass(frozen=True)
class Synth:
    project: str
    stack: str
    cloud: str
    groups: tuple[GroupRow, ...]
    rules: tuple[RuleRow, ...]  # each traced to its document section and line
    not_created: tuple[NotCreated, ...]
    notes: tuple[str, ...]  # what the plan wants a reviewer to know
    quota: tuple[QuotaCheck, ...]

    @property
    def ingress_count(self) -> int:
        return sum(rule.permission.direction == "ingress" for rule in self.rules)

    @property
    def egress_count(self) -> int:
        return len(self.rules) - self.ingress_count


def synthesize(stack_file: Path) -> Synth:
    """Run the project's program for `stack_file` offline and describe what it creates."""
    stack, recording = run_stack(stack_file)
    found = inventory(recording)
    components = _components(recording)
    planned = {name: rule for c in components for name, rule in c.rule_of_resource.items()}
    return Synth(
        project=stack.project,
        stack=stack.stack,
        cloud=stack.config.get(f"{stack.project}:cloud", "?"),
        groups=tuple(found.groups),
        rules=tuple(_traced(row, planned) for row in found.rules),
        not_created=tuple(
            NotCreated(rule.group, rule.line, rule.description, rule.section, why)
            for component in components
            for rule, why in component.not_created
        ),
        notes=tuple(
            note
            for component in components
            for note in (*component.plan.notes, *component.plan.warnings)
        ),
        quota=tuple(check for component in components for check in component.quota),
    )


def _components(recording: Recording) -> list[ClearwaterSecurityGroups]:
    if recording.root is None:
        raise SynthError("the program did not run to its end")
    return [obj for obj in recording.objects if isinstance(obj, ClearwaterSecurityGroups)]


def _traced(row: RuleRow, planned: dict[str, RuleSpec]) -> RuleRow:
    """The row with the document section and line of the plan rule it was created from."""
    rule = planned.get(row.resource)
    if rule is None:
        raise SynthError(
            f"rule {row.resource} matches no rule of the program's components; it was not "
            "created by a ClearwaterSecurityGroups component, which synth cannot trace"
        )
    return dataclasses.replace(row, section=rule.section, line=rule.line)
