"""OpenStack: one `openstack.networking.SecGroup` per group, then one `SecGroupRule`
per rule and ethertype (Neutron rules carry exactly one ethertype)."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_openstack as openstack

from clearwater_sg.backends import Backend, RuleTarget, stored_texts
from clearwater_sg.plan import CidrPeer, GroupSpec, Plan, PrefixListPeer, RuleSpec

_ETHERTYPE = {4: "IPv4", 6: "IPv6"}
_ICMP_PROTOCOL = {4: "icmp", 6: "ipv6-icmp"}
_ANY_ICMP_CODE = 0  # never sent: see neutron_protocol
_EVERY_PORT = (1, 65535)
# Neutron's column sizes for names and descriptions, and its tag length.
_TEXT_MAX = 255


@dataclass(frozen=True)
class OpenStackBackend(Backend):
    protect: bool = False

    def group(self, group: GroupSpec, name: str, parent: pulumi.Resource) -> pulumi.CustomResource:
        return openstack.networking.SecGroup(
            name,
            name=group.name,
            description=group.description,
            tags=neutron_tags(group),
            # Neutron gives each new group allow-all egress rules that Pulumi would not
            # see; drop them and declare egress in the plan, so every rule is managed.
            delete_default_rules=True,
            # It acts only when the group is created, and an imported group (adopt) does
            # not read it back: a difference must not replace a running group.
            opts=pulumi.ResourceOptions(
                parent=parent, protect=self.protect, ignore_changes=["deleteDefaultRules"]
            ),
        )

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
            # gophercloud, under pulumi-openstack, leaves zero ports out of its requests
            # (gophercloud issue 1775), and Neutron reads an ICMP rule without a type as
            # every ICMP type: a rule for type 0 would open all of ICMP instead.
            return (
                "pulumi-openstack cannot send ICMP type 0 (Echo Reply); Neutron would store "
                "it as every ICMP type. Neutron groups are stateful, so replies to a node's "
                "own echo requests are admitted without it"
            )
        return None

    def rule(self, rule: RuleSpec, target: RuleTarget) -> None:
        peer = rule.peer
        for family in target.families:
            protocol, port_min, port_max = neutron_protocol(rule, family)
            openstack.networking.SecGroupRule(
                f"{target.name}-{_ETHERTYPE[family].lower()}",
                security_group_id=target.group_id,
                direction=rule.direction.value,
                ethertype=_ETHERTYPE[family],
                description=rule.description,
                protocol=protocol,
                port_range_min=port_min,
                port_range_max=port_max,
                remote_ip_prefix=peer.cidr if isinstance(peer, CidrPeer) else None,
                remote_group_id=target.peer_group_id,
                # Neutron rules cannot be updated in place; a changed rule must be deleted
                # before its replacement is created, or Neutron rejects it as a duplicate.
                opts=pulumi.ResourceOptions(parent=target.parent, delete_before_replace=True),
            )


def neutron_tags(group: GroupSpec) -> list[str]:
    """Neutron tags are plain strings: each tag as key=value."""
    return sorted(f"{key}={value}" for key, value in group.tags.items())


def neutron_protocol(rule: RuleSpec, family: int) -> tuple[str | None, int | None, int | None]:
    """Neutron's protocol, port_range_min and port_range_max for a rule."""
    if rule.protocol == "all":
        return None, None, None
    if rule.protocol == "icmp":
        # Neutron reads port_range_min as the ICMP type and port_range_max as the code.
        # The provider wants both once either is set, and leaves a 0 out of the request,
        # so port_range_max=0 reaches Neutron as "any code".
        return _ICMP_PROTOCOL[family], rule.from_port, _ANY_ICMP_CODE
    if (rule.from_port, rule.to_port) == _EVERY_PORT:
        # Neutron stores the full range as "any port"; sent so, it reads back as sent.
        return rule.protocol, None, None
    return rule.protocol, rule.from_port, rule.to_port
