"""One small backend per cloud. A backend turns a plan's groups and rules into that
cloud's Pulumi resources; it knows nothing about Clearwater."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass

import pulumi

from clearwater_sg.plan import ExistingGroupPeer, GroupPeer, GroupSpec, Plan, RuleSpec


@dataclass(frozen=True)
class RuleTarget:
    """What a rule resource needs besides the rule: ids resolved, and its parent."""

    name: str  # the Pulumi resource name, from the rule's stable key
    group_id: pulumi.Output[str]  # the group the rule belongs to
    peer_group_id: pulumi.Input[str] | None  # the group it admits, unless the peer is a CIDR
    families: tuple[int, ...]  # the families the rule applies to
    parent: pulumi.Resource
    tags: dict[str, str]  # its group's tags, named for the rule: for clouds that tag rules


def stored_texts(plan: Plan) -> list[tuple[str, str]]:
    """Every name and description the plan asks a cloud to store, with what it is."""
    texts = [(f"group name {g.name!r}", g.name) for g in plan.groups]
    texts += [(f"description of group {g.name!r}", g.description) for g in plan.groups]
    return texts + [(f"description of rule {r.key!r}", r.description) for r in plan.rules]


def rule_tags(plan: Plan, rule: RuleSpec, component: str) -> dict[str, str]:
    """A rule's tags, for clouds that tag rules: its group's, named for the rule."""
    group = next(g for g in plan.groups if g.key == rule.group)
    return {**group.tags, "Name": f"{component}-{rule.key}"}


class Backend(ABC):
    def create(
        self,
        plan: Plan,
        name: str,
        parent: pulumi.Resource,
        labelled: Mapping[str, pulumi.Input[str]],
    ) -> dict[str, pulumi.CustomResource]:
        """Register every group, then every rule; return each group resource by group key.

        `labelled` resolves the labels of groups from outside the plan to their ids.
        """
        # Groups first and without inline rules: rules then only depend on group ids, so
        # mutual references (Bono <-> Sprout) cannot form a dependency cycle.
        groups = {g.key: self.group(g, f"{name}-{g.key}", parent) for g in plan.groups}
        ids = {key: group.id for key, group in groups.items()}
        for rule in plan.rules:
            peer = rule.peer
            peer_group_id: pulumi.Input[str] | None = (
                ids[peer.group]
                if isinstance(peer, GroupPeer)
                else (labelled[peer.ref] if peer.labelled else peer.ref)
                if isinstance(peer, ExistingGroupPeer)
                else None
            )
            target = RuleTarget(
                name=f"{name}-{rule.key}",
                group_id=ids[rule.group],
                peer_group_id=peer_group_id,
                families=plan.families_of(rule),
                parent=parent,
                tags=rule_tags(plan, rule, name),
            )
            self.rule(rule, target)
        return groups

    def refusals(self, plan: Plan, component: str) -> list[str]:
        """What in the plan of `component` this cloud would refuse (names, descriptions,
        tags), each with the cloud's limit; checked before anything is registered."""
        return []

    def cannot_express(self, rule: RuleSpec) -> str | None:
        """Why this cloud's provider cannot create the rule as planned, if it cannot."""
        return None

    def fit(self, plan: Plan) -> tuple[Plan, list[tuple[RuleSpec, str]]]:
        """The plan without the rules this cloud cannot express, and those rules with why."""
        dropped = [(rule, why) for rule in plan.rules if (why := self.cannot_express(rule))]
        kept = tuple(rule for rule in plan.rules if not self.cannot_express(rule))
        return plan.model_copy(update={"rules": kept}), dropped

    @abstractmethod
    def group(self, group: GroupSpec, name: str, parent: pulumi.Resource) -> pulumi.CustomResource:
        """Register one security group without rules."""

    @abstractmethod
    def rule(self, rule: RuleSpec, target: RuleTarget) -> None:
        """Register the cloud resources of one rule."""
