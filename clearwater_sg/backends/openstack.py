"""OpenStack: one `openstack.networking.SecGroup` per group, then one `SecGroupRule`
per rule and ethertype (Neutron rules carry exactly one ethertype)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_openstack as openstack

from clearwater_sg.backends import referenced_group
from clearwater_sg.plan import CidrPeer, Plan, RuleSpec

_ETHERTYPE = {4: "IPv4", 6: "IPv6"}
_ICMP_PROTOCOL = {4: "icmp", 6: "ipv6-icmp"}


@dataclass(frozen=True)
class OpenStackBackend:
    protect: bool = False

    def create(
        self,
        plan: Plan,
        name: str,
        parent: pulumi.Resource,
        existing: Mapping[str, pulumi.Input[str]],
    ) -> dict[str, pulumi.Output[str]]:
        ids = {
            group.key: openstack.networking.SecGroup(
                f"{name}-{group.key}",
                name=group.name,
                description=group.description,
                tags=sorted(f"{key}={value}" for key, value in group.tags.items()),
                # Neutron gives each new group allow-all egress rules that Pulumi would not
                # see; drop them and declare egress in the plan, so every rule is managed.
                delete_default_rules=True,
                opts=pulumi.ResourceOptions(parent=parent, protect=self.protect),
            ).id
            for group in plan.groups
        }
        for rule in plan.rules:
            peer_group = referenced_group(rule.peer, ids, existing)
            for family in plan.families_of(rule):
                _rule_resource(rule, family, name, peer_group, ids, parent)
        return ids


def _rule_resource(
    rule: RuleSpec,
    family: int,
    name: str,
    peer_group: pulumi.Input[str] | None,
    ids: dict[str, pulumi.Output[str]],
    parent: pulumi.Resource,
) -> None:
    protocol, port_min, port_max = _protocol(rule, family)
    peer = rule.peer
    openstack.networking.SecGroupRule(
        f"{name}-{rule.key}-{_ETHERTYPE[family].lower()}",
        security_group_id=ids[rule.group],
        direction=rule.direction.value,
        ethertype=_ETHERTYPE[family],
        description=rule.description,
        protocol=protocol,
        port_range_min=port_min,
        port_range_max=port_max,
        remote_ip_prefix=peer.cidr if isinstance(peer, CidrPeer) else None,
        remote_group_id=peer_group,
        # Neutron rules cannot be updated in place; a changed rule must be deleted before
        # its replacement is created, or Neutron rejects the new one as a duplicate.
        opts=pulumi.ResourceOptions(parent=parent, delete_before_replace=True),
    )


def _protocol(rule: RuleSpec, family: int) -> tuple[str | None, int | None, int | None]:
    """Neutron's protocol, port_range_min and port_range_max for a rule."""
    if rule.protocol == "all":
        return None, None, None
    if rule.protocol == "icmp":
        # Neutron reads port_range_min as the ICMP type; no port_range_max means any code.
        return _ICMP_PROTOCOL[family], rule.from_port, None
    return rule.protocol, rule.from_port, rule.to_port
