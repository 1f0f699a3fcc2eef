"""The synthesized view of one stack: its groups and rules, each rule traced to the port
document, what the cloud cannot express, and the quota the plan uses.

Rows come from what the backends registered under the mock engine (`run_stack` +
`inventory`), not from the plan, so a synth shows what `pulumi up` would ask the cloud
for. The components the program created contribute what cloud resources cannot carry:
the document section and port line of each rule (joined on the rule's stable key), the
lines the cloud cannot express, and the quota pre-flight. The program runs once.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from clearwater_sg.component import ClearwaterSecurityGroups, components_of
from clearwater_sg.plan import RuleSpec
from clearwater_sg.quota import QuotaCheck
from offline.inventory import OPENSTACK_RULE, RULE_TYPES, GroupRow, RuleRow, inventory
from offline.runner import Recording, Registered, run_stack

_FAMILY_SUFFIXES = ("-ipv4", "-ipv6")  # the OpenStack backend's one rule per ethertype


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
        return sum(rule.direction == "ingress" for rule in self.rules)

    @property
    def egress_count(self) -> int:
        return len(self.rules) - self.ingress_count


def synthesize(stack_file: Path) -> Synth:
    """Run the project's program for `stack_file` offline and describe what it creates."""
    stack, recording = run_stack(stack_file)
    found = inventory(recording)
    components = _components(recording)
    traced = _trace_to_plan(recording, [r for c in components for r in c.plan.rules])
    return Synth(
        project=stack.project,
        stack=stack.stack,
        cloud=stack.config.get(f"{stack.project}:cloud", "?"),
        groups=tuple(found.groups),
        rules=tuple(
            dataclasses.replace(
                row, section=traced[row.resource].section, line=traced[row.resource].line
            )
            for row in found.rules
        ),
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
    return components_of(recording.root)


def _trace_to_plan(recording: Recording, rules: list[RuleSpec]) -> dict[str, RuleSpec]:
    """Recorded rule resource name -> the plan rule it was created from.

    A backend names a rule resource `<component>-<rule key>` (OpenStack appends the
    ethertype), so the join needs the component's name: the rule resource's parent.
    """
    by_urn = {resource.urn: resource for resource in recording.resources}
    return {
        resource.name: _plan_rule_of(resource, by_urn, rules)
        for resource in recording.resources
        if resource.type in RULE_TYPES
    }


def _plan_rule_of(
    resource: Registered, by_urn: dict[str, Registered], rules: list[RuleSpec]
) -> RuleSpec:
    parent = by_urn.get(resource.parent)
    if parent is None:
        raise SynthError(f"rule {resource.name} has no recorded parent component")
    suffixes = _FAMILY_SUFFIXES if resource.type == OPENSTACK_RULE else ("",)
    for rule in rules:
        if any(resource.name == f"{parent.name}-{rule.key}{suffix}" for suffix in suffixes):
            return rule
    raise SynthError(
        f"rule {resource.name} matches no rule of the program's components; it was not "
        "created by a ClearwaterSecurityGroups component, which synth cannot trace"
    )
