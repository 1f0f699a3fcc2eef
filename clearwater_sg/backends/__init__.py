"""One small backend per cloud. A backend owns how a plan's groups and rules become that
cloud's resources, as pure functions (`group_resource`, `rule_resources`, `permission`)
that registration, adopt and drift, synth, the quota and the tests all call; it knows
nothing about Clearwater."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi

from clearwater_sg.permission import Permission
from clearwater_sg.plan import ExistingGroupPeer, GroupPeer, GroupSpec, Plan, RuleSpec
from clearwater_sg.resources import Field


@dataclass(frozen=True)
class Resource:
    """One Pulumi resource as a backend registers it: what `pulumi preview` lists."""

    type: str
    name: str
    inputs: Mapping[str, Any]  # by the provider's input names; None is not sent
    protect: bool | None = None  # None: as its parent (the component) is
    delete_before_replace: bool = False
    ignore_changes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Placement:
    """Where a plan's rules go: the plan, the component that names them, the ids."""

    plan: Plan
    component: str
    ids: Mapping[str, pulumi.Input[str]]  # the deployment's groups, created or existing, by key
    labelled: Mapping[str, pulumi.Input[str]]  # groups from outside the plan, by label


def stored_texts(plan: Plan) -> list[tuple[str, str]]:
    """Every name and description the plan asks a cloud to store, with what it is."""
    texts = [(f"group name {g.name!r}", g.name) for g in plan.groups]
    texts += [(f"description of group {g.name!r}", g.description) for g in plan.groups]
    return texts + [(f"description of rule {r.key!r}", r.description) for r in plan.rules]


def peer_group_id(rule: RuleSpec, at: Placement) -> pulumi.Input[str] | None:
    """The id of the group a rule admits: a group of the plan, an outside group's id or
    the id its label stands for; None when the peer is not a group."""
    peer = rule.peer
    if isinstance(peer, GroupPeer):
        return at.ids[peer.group]
    if isinstance(peer, ExistingGroupPeer):
        return at.labelled[peer.ref] if peer.labelled else peer.ref
    return None


def tag_texts(tags: object) -> tuple[str, ...]:
    """Tags as compared and shown, `key=value` sorted: from a map (AWS) or from Neutron's
    list of strings."""
    if isinstance(tags, Mapping):
        return tuple(sorted(f"{key}={value}" for key, value in tags.items()))
    return tuple(sorted(str(tag) for tag in tags or ()))  # type: ignore[attr-defined]


_CAMEL = re.compile(r"[A-Z]")


def _argument(input_name: str) -> str:
    """The SDK's keyword argument for a provider input: `vpcId` -> `vpc_id`."""
    return _CAMEL.sub(lambda upper: "_" + upper.group().lower(), input_name)


class Backend(ABC):
    # The SDK class that registers each resource type.
    classes: Mapping[str, type[pulumi.CustomResource]]
    # What the provider compares on update, on a group and on a rule resource.
    group_fields: tuple[Field, ...]
    rule_fields: tuple[Field, ...]

    def create(
        self,
        plan: Plan,
        component: str,
        parent: pulumi.Resource,
        labelled: Mapping[str, pulumi.Input[str]],
        existing: Mapping[str, pulumi.Input[str]],
    ) -> tuple[dict[str, pulumi.CustomResource], dict[str, RuleSpec]]:
        """Register every group, then every rule: each group resource by group key, and
        each rule resource's name with its plan rule. `labelled` resolves the labels of
        groups from outside the plan to their ids; `existing` gives the ids of the
        deployment's groups that are not created, by key."""
        # Groups first and without inline rules: rules then only depend on group ids, so
        # mutual references (Bono <-> Sprout) cannot form a dependency cycle.
        groups = {
            group.key: self.register(self.group_resource(group, component), parent)
            for group in plan.groups
        }
        ids = {**existing, **{key: group.id for key, group in groups.items()}}
        at = Placement(plan, component, ids, labelled)
        rules: dict[str, RuleSpec] = {}
        for rule in plan.rules:
            for resource in self.rule_resources(rule, at):
                self.register(resource, parent)
                rules[resource.name] = rule
        return groups, rules

    def register(self, resource: Resource, parent: pulumi.Resource) -> pulumi.CustomResource:
        options = pulumi.ResourceOptions(
            parent=parent,
            protect=resource.protect,
            delete_before_replace=resource.delete_before_replace or None,
            ignore_changes=list(resource.ignore_changes) or None,
        )
        arguments = {_argument(name): value for name, value in resource.inputs.items()}
        return self.classes[resource.type](resource.name, **arguments, opts=options)

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
    def group_resource(self, group: GroupSpec, component: str) -> Resource:
        """The resource of one security group, without rules."""

    @abstractmethod
    def rule_resources(self, rule: RuleSpec, at: Placement) -> list[Resource]:
        """The resources of one rule of `at.plan`."""

    @abstractmethod
    def counted_families(self, plan: Plan, rule: RuleSpec) -> tuple[int, ...]:
        """The address families a rule counts against in the cloud's rule quota."""

    @staticmethod
    @abstractmethod
    def permission(type_: str, inputs: Mapping[str, Any], keys: Mapping[str, str]) -> Permission:
        """What a rule resource of this cloud permits, read from its inputs; `keys` names
        the deployment's groups by id (group id -> group key)."""
