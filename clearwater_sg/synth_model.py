"""The synthesized view of one stack: its groups and rules, each rule traced to the port
document, ready to render as Markdown, Mermaid or JSON.

Rows come from what the backends registered under the mock engine (`render_stack` +
`inventory`), not from the plan, so a synth shows what `pulumi up` would ask the cloud
for. The plan only contributes what the cloud resources cannot carry: the document
section and port line each rule traces to, joined on the rule's stable key.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pulumi

from clearwater_sg.component import components_of
from clearwater_sg.inventory import OPENSTACK_RULE, RULE_TYPES, RuleRow, inventory
from clearwater_sg.offline import Recording, Registered
from clearwater_sg.plan import RuleSpec
from clearwater_sg.render import render_stack

_FAMILY_SUFFIXES = ("-ipv4", "-ipv6")  # the OpenStack backend's one rule per ethertype


class SynthError(RuntimeError):
    """The recorded resources and the stack's plan disagree; the synth would mislead."""


@dataclass(frozen=True)
class SynthGroup:
    role: str
    name: str
    description: str


@dataclass(frozen=True)
class SynthRule:
    group: str  # the role of the group the rule belongs to
    direction: str  # ingress / egress
    family: str  # IPv4, IPv6, or "any" for an AWS group reference
    protocol: str  # tcp, udp, icmp, all
    ports: str  # "5054", "32768-65535", "type 8", "all"
    peer: str  # a CIDR, "group:<role>", or an existing group's id from the stack config
    description: str
    section: str  # the port document's section heading
    line: str  # the port document's line, e.g. "TCP/5058" or "Echo Request"
    resource: str  # the Pulumi resource name, as `pulumi preview` lists it


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
    groups: tuple[SynthGroup, ...]
    rules: tuple[SynthRule, ...]
    not_created: tuple[NotCreated, ...]

    @property
    def ingress_count(self) -> int:
        return sum(rule.direction == "ingress" for rule in self.rules)

    @property
    def egress_count(self) -> int:
        return len(self.rules) - self.ingress_count


def synthesize(stack_file: Path) -> Synth:
    """Run the project's program for `stack_file` offline and describe what it creates."""
    stack, recording = render_stack(stack_file)
    found = inventory(recording)
    traced = _trace_to_plan(recording, _plan_rules(recording))
    return Synth(
        project=stack.project,
        stack=stack.stack,
        cloud=stack.config.get(f"{stack.project}:cloud", "?"),
        groups=tuple(
            SynthGroup(role=group.role, name=group.name, description=group.description)
            for group in found.groups
        ),
        rules=tuple(_synth_rule(row, traced[row.resource]) for row in found.rules),
        not_created=tuple(
            NotCreated(rule.group, rule.line, rule.description, rule.section, why)
            for component in components_of(_root(recording))
            for rule, why in component.not_created
        ),
    )


def _root(recording: Recording) -> pulumi.Resource:
    if recording.root is None:
        raise SynthError("the program did not run to its end")
    return recording.root


def _plan_rules(recording: Recording) -> list[RuleSpec]:
    """The rules of every component the program created, as each planned them."""
    return [rule for component in components_of(_root(recording)) for rule in component.plan.rules]


def _trace_to_plan(recording: Recording, rules: list[RuleSpec]) -> dict[str, RuleSpec]:
    """Recorded rule resource name -> the plan rule it was created from.

    A backend names a rule resource `<component>-<rule key>` (OpenStack appends the
    ethertype), so the join needs the component's name: the rule resource's parent.
    """
    by_urn = {resource.urn: resource for resource in recording.resources}
    traced: dict[str, RuleSpec] = {}
    for resource in recording.resources:
        if resource.type not in RULE_TYPES:
            continue
        traced[resource.name] = _plan_rule_of(resource, by_urn, rules)
    return traced


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
        f"rule {resource.name} matches no rule of the stack's plan; the program passes "
        "the component options other than the stack's, which synth cannot trace"
    )


def _synth_rule(row: RuleRow, rule: RuleSpec) -> SynthRule:
    return SynthRule(
        group=row.group,
        direction=row.direction,
        family=row.family,
        protocol=row.protocol,
        ports=row.ports,
        peer=row.peer,
        description=row.description,
        section=rule.section,
        line=rule.line,
        resource=row.resource,
    )
