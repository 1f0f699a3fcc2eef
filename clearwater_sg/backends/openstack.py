"""OpenStack: one `openstack.networking.SecGroup` per group, then one `SecGroupRule`
per rule and ethertype (Neutron rules carry exactly one ethertype)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi_openstack as openstack

from clearwater_sg.backends import (
    Backend,
    Placement,
    Resource,
    peer_group_id,
    stored_texts,
)
from clearwater_sg.permission import (
    FAMILY_NAMES,
    Permission,
    neutron_permission,
)
from clearwater_sg.plan import CidrPeer, GroupSpec, Plan, PrefixListPeer, RuleSpec
from clearwater_sg.resources import (
    OPENSTACK_GROUP,
    OPENSTACK_GROUP_FIELDS,
    OPENSTACK_RULE,
    OPENSTACK_RULE_FIELDS,
)

_ICMP_PROTOCOL = {4: "icmp", 6: "ipv6-icmp"}
# gophercloud, under pulumi-openstack, leaves a 0 port out of its requests (omitempty,
# gophercloud issue 1775), so Neutron stores "any" for it: the ICMP code 0 means any code.
_ANY_ICMP_CODE = 0
_EVERY_PORT = (1, 65535)
# Neutron's column sizes for names and descriptions, and its tag length.
_TEXT_MAX = 255


@dataclass(frozen=True)
class OpenStackBackend(Backend):
    protect: bool = False

    classes = {  # noqa: RUF012 (a table, never mutated)
        OPENSTACK_GROUP: openstack.networking.SecGroup,
        OPENSTACK_RULE: openstack.networking.SecGroupRule,
    }
    group_fields = OPENSTACK_GROUP_FIELDS
    rule_fields = OPENSTACK_RULE_FIELDS

    def group_resource(self, group: GroupSpec, component: str) -> Resource:
        return Resource(
            type=OPENSTACK_GROUP,
            name=f"{component}-{group.key}",
            inputs={
                "name": group.name,
                "description": group.description,
                "tags": neutron_tags(group),
                # Neutron gives each new group allow-all egress rules that Pulumi would
                # not see; drop them and declare egress in the plan, so every rule is
                # managed.
                "deleteDefaultRules": True,
            },
            protect=self.protect,
            # It acts only when the group is created, and an imported group (adopt) does
            # not read it back: a difference must not replace a running group.
            ignore_changes=("deleteDefaultRules",),
        )

    def rule_resources(self, rule: RuleSpec, at: Placement) -> list[Resource]:
        peer = rule.peer
        resources = []
        for family in at.plan.families_of(rule):
            protocol, port_min, port_max = neutron_protocol(rule, family)
            ethertype = FAMILY_NAMES[family]
            inputs = {
                "securityGroupId": at.ids[rule.group],
                "direction": rule.direction.value,
                "ethertype": ethertype,
                "description": rule.description,
                "protocol": protocol,
                "portRangeMin": port_min,
                "portRangeMax": port_max,
                "remoteIpPrefix": peer.cidr if isinstance(peer, CidrPeer) else None,
                "remoteGroupId": peer_group_id(rule, at),
            }
            resources.append(
                Resource(
                    type=OPENSTACK_RULE,
                    name=f"{at.component}-{rule.key}-{ethertype.lower()}",
                    inputs=inputs,
                    # Neutron rules cannot be updated in place; a changed rule must be
                    # deleted before its replacement is created, or Neutron rejects it as
                    # a duplicate.
                    delete_before_replace=True,
                )
            )
        return resources

    def counted_families(self, plan: Plan, rule: RuleSpec) -> tuple[int, ...]:
        return plan.families_of(rule)  # one Neutron rule per ethertype in use

    @staticmethod
    def permission(type_: str, inputs: Mapping[str, Any], keys: Mapping[str, str]) -> Permission:
        return neutron_permission(inputs, keys)

    def refusals(self, plan: Plan, component: str) -> list[str]:
        texts = stored_texts(plan)
        texts += [(f"tag {tag!r}", tag) for g in plan.groups for tag in neutron_tags(g)]
        return [
            f"{what}: Neutron allows at most {_TEXT_MAX} characters"
            for what, text in texts
            if len(text) > _TEXT_MAX
        ] + [
            # Without a remote, Neutron would admit every address.
            f"rule {rule.key}: OpenStack has no managed prefix lists"
            for rule in plan.rules
            if isinstance(rule.peer, PrefixListPeer)
        ]

    def cannot_express(self, rule: RuleSpec) -> str | None:
        if rule.protocol == "icmp" and rule.from_port == 0:
            # Type 0 is never sent (_ANY_ICMP_CODE), and Neutron reads an ICMP rule without
            # a type as every ICMP type: a rule for type 0 would open all of ICMP instead.
            return (
                "pulumi-openstack cannot send ICMP type 0 (Echo Reply); Neutron would store "
                "it as every ICMP type. Neutron groups are stateful, so replies to a node's "
                "own echo requests are admitted without it"
            )
        return None


def neutron_tags(group: GroupSpec) -> list[str]:
    """Neutron tags are plain strings: each tag as key=value."""
    return sorted(f"{key}={value}" for key, value in group.tags.items())


def neutron_protocol(rule: RuleSpec, family: int) -> tuple[str | None, int | None, int | None]:
    """Neutron's protocol, port_range_min and port_range_max for a rule."""
    if rule.protocol == "all":
        return None, None, None
    if rule.protocol == "icmp":
        # port_range_min is the ICMP type and port_range_max the code; the provider
        # wants both once either is set.
        return _ICMP_PROTOCOL[family], rule.from_port, _ANY_ICMP_CODE
    if (rule.from_port, rule.to_port) == _EVERY_PORT:
        # Neutron stores the full range as "any port"; sent so, it reads back as sent.
        return rule.protocol, None, None
    return rule.protocol, rule.from_port, rule.to_port
