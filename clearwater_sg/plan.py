"""The pure planner: deployment options + the port matrix -> groups and rules to create.

The plan is provider-neutral. Groups are identified by a key (the role), rules by a
stable key derived from what the rule is (group, direction, protocol, ports, source),
never from a list position, so a toggle adds or removes exactly its own rules and
reordering config changes nothing.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from collections.abc import Sequence
from enum import StrEnum
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict

from clearwater_sg.matrix import (
    BEYOND,
    DOCUMENT,
    MATRIX,
    OUTBOUND,
    Audience,
    Condition,
    Flow,
    FlowNetwork,
    Profile,
    Protocol,
    Source,
    nodes_text,
)
from clearwater_sg.options import DeploymentOptions, Egress, ExtraRule, Networks
from clearwater_sg.permission import OutsideGroup, Permission, internal_reach, planned
from clearwater_sg.roles import Role
from clearwater_sg.types import (
    ANY_ADDRESS,
    SPLIT_NETWORKS,
    Family,
    Network,
    group_key,
    is_cidr,
    is_prefix_list,
)
from clearwater_sg.world import reaches_world

if TYPE_CHECKING:
    import pulumi


class PlanError(ValueError):
    """The options produce a plan no cloud would accept (for example duplicate rules)."""


class Direction(StrEnum):
    INGRESS = "ingress"
    EGRESS = "egress"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CidrPeer(_Frozen):
    """Addresses, for the world, SSH or SNMP sources, and egress destinations."""

    kind: Literal["cidr"] = "cidr"
    cidr: str
    site: str | None = None  # the peer site the CIDR belongs to, which names the rule

    @property
    def family(self) -> Family:
        return 4 if ipaddress.ip_network(self.cidr).version == 4 else 6

    @property
    def slug(self) -> str:
        # '/' and ':' have meaning in Pulumi URNs; this mapping stays one-to-one because
        # IPv4 text never contains '..' nor seven separators.
        return _sited(self.site, self.cidr.replace("/", "_").replace(":", "."))


class GroupPeer(_Frozen):
    """Another group of this plan, referenced by its key."""

    kind: Literal["group"] = "group"
    group: str

    @property
    def slug(self) -> str:
        return self.group


class ExistingGroupPeer(_Frozen):
    """A security group from outside this deployment (a bastion's, a poller's).

    `ref` is the group's id as written in config, or, when `labelled`, the label it was
    given in `sshSourceGroups`/`snmpSourceGroups` (its id may be known only at deploy
    time); the backends resolve a label through `DeploymentOptions.labelled_groups`.
    Labels and ids are two namespaces: a label never stands for the id it spells.
    """

    kind: Literal["existing-group"] = "existing-group"
    ref: str
    labelled: bool = False
    site: str | None = None  # the peer site the group belongs to, which names the rule

    @property
    def slug(self) -> str:
        return _sited(self.site, self.ref)


def _sited(site: str | None, slug: str) -> str:
    return slug if site is None else f"{site}-{slug}"


class PrefixListPeer(_Frozen):
    """An AWS managed prefix list: the CIDRs it holds, as one source."""

    kind: Literal["prefix-list"] = "prefix-list"
    prefix_list: str
    site: str | None = None  # the peer site it belongs to, which names the rule

    @property
    def slug(self) -> str:
        return _sited(self.site, self.prefix_list)


Peer = CidrPeer | GroupPeer | ExistingGroupPeer | PrefixListPeer


class GroupPlace(_Frozen):
    """A group of the deployment, where rules go: its key and what it is for."""

    key: str  # the role, or with split networks "<role>-<network>"
    role: str
    network: Network | None  # with split networks: the network the group is for
    tags: dict[str, str]  # of what the component creates for it: the group, tagged rules


class GroupSpec(GroupPlace):
    """A group the component creates."""

    name: str
    description: str


class RuleSpec(_Frozen):
    """One rule. `family` is None for group references, which cover every family in use."""

    key: str
    group: str
    direction: Direction
    protocol: Literal["tcp", "udp", "icmp", "all"]
    from_port: int | None  # TCP/UDP first port, or the ICMP type
    to_port: int | None  # TCP/UDP last port; None for ICMP (any code) and "all"
    family: Family | None
    peer: Peer
    description: str
    section: str  # the document section the rule traces to, or the source beyond it
    line: str  # the document line, e.g. "TCP/5058"
    setting: str = ""  # the stack setting whose entry made this rule: what to narrow


class Plan(_Frozen):
    families: tuple[Family, ...]
    groups: tuple[GroupSpec, ...]  # the groups to create
    existing: tuple[GroupPlace, ...] = ()  # groups of `existingGroups`: rules only
    rules: tuple[RuleSpec, ...]
    notes: tuple[str, ...] = ()  # what a reviewer should know: profiles that add nothing
    warnings: tuple[str, ...] = ()  # what is allowed but dangerous: said loudly at `up`

    def families_of(self, rule: RuleSpec) -> tuple[Family, ...]:
        """The families a rule applies to: its own, or every family in use for a group."""
        return self.families if rule.family is None else (rule.family,)


# Descriptions never mention toggles: AWS replaces a group whose description changes,
# which detaches it from every running node.
def _group_description(role: Role, network: Network | None) -> str:
    who = "shared by every node" if role is Role.ALL_NODES else f"{role.value} nodes"
    return f"Project Clearwater - {who}" + ("" if network is None else f", {network} network")


def _place(role: Role, network: Network | None, options: DeploymentOptions) -> GroupPlace:
    tags = {**options.tags, "clearwater:role": role.value}
    if network is not None:
        tags["clearwater:network"] = network
    return GroupPlace(key=group_key(role, network), role=role.value, network=network, tags=tags)


def _group(place: GroupPlace, prefix: str, role: Role) -> GroupSpec:
    name = f"{prefix}-{place.key}"
    return GroupSpec(
        **{**place.model_dump(), "tags": {**place.tags, "Name": name}},
        name=name,
        description=_group_description(role, place.network),
    )


def _condition_holds(condition: Condition | Profile | None, options: DeploymentOptions) -> bool:
    if condition is None:
        return True
    if isinstance(condition, Profile):
        return condition in options.profiles
    return {
        Condition.MEMENTO: options.memento,
        Condition.HSS: options.hss,
        Condition.SNMP: options.snmp_in_use,
        Condition.REPLICATE_TIMERS: options.replicate_timers_across_sites,
    }[condition]


def _networks(used: FlowNetwork, options: DeploymentOptions) -> tuple[Network | None, ...]:
    """The networks whose groups carry a flow Clearwater sends over `used`: one, unless
    split and both (ICMP, DNS)."""
    if options.networks is Networks.SINGLE:
        return (None,)
    if used is FlowNetwork.BOTH:
        return SPLIT_NETWORKS
    return ("management",) if used is FlowNetwork.MANAGEMENT else ("signaling",)


def _peers(source: Source, options: DeploymentOptions, network: Network | None) -> list[Peer]:
    """Who a matrix source means in this deployment (nobody, if that role has no nodes)."""
    if isinstance(source, Role):
        present = source in options.groups
        return [GroupPeer(group=group_key(source, network))] if present else []
    if source is Audience.PEER_SITE:
        return [
            _peer(entry, site=label)
            for label, entries in sorted(options.peer_sites.items())
            for entry in entries
        ]
    entries, labelled = {
        Audience.WORLD: (options.world_cidrs, {}),
        Audience.SSH_SOURCES: (options.ssh_sources, options.ssh_source_groups),
        Audience.SNMP_SOURCES: (options.snmp_sources, options.snmp_source_groups),
        Audience.MANAGEMENT_SOURCES: (options.management_sources or (), {}),
    }[source]
    peers = [_peer(entry) for entry in entries]
    peers.extend(ExistingGroupPeer(ref=label, labelled=True) for label in sorted(labelled))
    return peers


def _peer(entry: str, site: str | None = None) -> Peer:
    if is_cidr(entry):
        return CidrPeer(cidr=entry, site=site)
    if is_prefix_list(entry):
        return PrefixListPeer(prefix_list=entry, site=site)
    return ExistingGroupPeer(ref=entry, site=site)


def _ports(port_range: tuple[int, int]) -> str:
    """'5054', or '32768-65535': how a rule key names its ports."""
    first, last = port_range
    return str(first) if first == last else f"{first}-{last}"


def _rule_key(group: str, direction: Direction, protocol: str, ports: str, peer: Peer) -> str:
    way = "in" if direction is Direction.INGRESS else "out"
    preposition = "from" if direction is Direction.INGRESS else "to"
    return f"{group}-{way}-{protocol}-{ports}-{preposition}-{peer.slug}"


def _flow_rules(
    flow: Flow, group: str, peer: Peer, source: Source, families: tuple[Family, ...]
) -> list[RuleSpec]:
    peer_family = peer.family if isinstance(peer, CidrPeer) else None
    site = None if isinstance(peer, GroupPeer) else peer.site

    def rule(
        protocol: str,
        ports: str,
        first: int,
        last: int | None,
        family: Family | None,
        description: str,
    ) -> RuleSpec:
        return RuleSpec(
            key=_rule_key(group, Direction.INGRESS, protocol, ports, peer),
            group=group,
            direction=Direction.INGRESS,
            protocol="icmp" if protocol.startswith("icmp") else flow.protocol.value,
            from_port=first,
            to_port=last,
            family=family,
            peer=peer,
            description=description,
            section=flow.traced_to,
            line=flow.line,
            setting=_setting(source, site),
        )

    if flow.protocol is Protocol.ICMP:
        # ICMP types differ per family, so each family gets its own rules.
        return [
            rule(
                "icmp" if family == 4 else "icmpv6",
                f"type{icmp_type}",
                icmp_type,
                None,
                family,
                flow.description(source, (family, icmp_type), site),
            )
            for family in (families if peer_family is None else (peer_family,))
            for icmp_type in flow.icmp_types(family)
        ]
    first, last = flow.port_range
    ports = _ports(flow.port_range)
    description = flow.description(source, site=site)
    return [rule(flow.protocol.value, ports, first, last, peer_family, description)]


# The setting whose entries each kind of matrix source turns into peers.
_SETTINGS = {
    Audience.WORLD: "worldCidrs",
    Audience.SSH_SOURCES: "sshSources/sshSourceGroups",
    Audience.SNMP_SOURCES: "snmpSources/snmpSourceGroups",
    Audience.MANAGEMENT_SOURCES: "managementSources",
}


def _setting(source: Source, site: str | None) -> str:
    if isinstance(source, Role):
        return "roles (flows between the deployment's own groups)"
    return f"peerSites.{site}" if source is Audience.PEER_SITE else _SETTINGS[source]


def _egress_rules(group: str, families: tuple[Family, ...]) -> list[RuleSpec]:
    """Allow-all egress, declared once on the shared group every node carries (on each
    network, with split networks).

    pulumi-aws removes AWS's default allow-all egress from the groups it creates, and the
    OpenStack backend drops Neutron's default egress rules so Pulumi owns every rule; a
    node's egress is the union over its groups, so the shared group is enough.
    """
    rules = []
    for family in families:
        peer = CidrPeer(cidr=ANY_ADDRESS[family])
        rules.append(
            RuleSpec(
                key=_rule_key(group, Direction.EGRESS, "all", "all", peer),
                group=group,
                direction=Direction.EGRESS,
                protocol="all",
                from_port=None,
                to_port=None,
                family=family,
                peer=peer,
                description=f"All outbound IPv{family} traffic",
                section="(not in the document: outbound traffic)",
                line="all",
                setting="egress",
            )
        )
    return rules


def _mirrored(rule: RuleSpec, flow: Flow) -> RuleSpec:
    """The egress rule that lets the source of an ingress rule send what it admits: on
    the source's group toward the rule's group (a group of ours), or on the rule's group
    toward the same peer site (whose nodes send to ours and ours to theirs alike)."""
    peer: Peer
    if isinstance(rule.peer, GroupPeer):
        group, peer = rule.peer.group, GroupPeer(group=rule.group)
        to = nodes_text(flow.group, flow.group if rule.peer.group == rule.group else None)
    else:
        group, peer = rule.group, rule.peer
        to = nodes_text(flow.group, site=rule.peer.site)
    ports = _ports(flow.port_range)
    origin = "" if flow.origin == DOCUMENT else f" ({flow.origin})"
    return rule.model_copy(
        update={
            "key": _rule_key(group, Direction.EGRESS, rule.protocol, ports, peer),
            "group": group,
            "direction": Direction.EGRESS,
            "peer": peer,
            "description": f"{flow.service} to {to}{origin}",
            "setting": "egress (the flow's inbound rule at its source)",
        }
    )


def _outbound_rules(options: DeploymentOptions) -> list[RuleSpec]:
    """The outbound flows of OUTBOUND whose kind has destinations, on the groups that
    start them, toward each destination."""
    rules = []
    for outbound in OUTBOUND:
        destinations = options.egress_destinations.get(outbound.kind, ())
        if outbound.group not in options.groups:
            continue
        first, last = outbound.port_range
        ports = _ports(outbound.port_range)
        for network in _networks(outbound.network, options):
            group = group_key(outbound.group, network)
            for peer in (_peer(entry) for entry in destinations):
                rules.append(
                    RuleSpec(
                        key=_rule_key(
                            group, Direction.EGRESS, outbound.protocol.value, ports, peer
                        ),
                        group=group,
                        direction=Direction.EGRESS,
                        protocol=outbound.protocol.value,
                        from_port=first,
                        to_port=last,
                        family=peer.family if isinstance(peer, CidrPeer) else None,
                        peer=peer,
                        description=outbound.description(),
                        section=f"Outbound {outbound.kind} ({outbound.origin})",
                        line=outbound.line,
                        setting=f"egressDestinations.{outbound.kind}",
                    )
                )
    return rules


def plan_security_groups(
    options: DeploymentOptions, name_prefix: str, flows: Sequence[Flow] = MATRIX + BEYOND
) -> Plan:
    networks: tuple[Network | None, ...] = (
        (None,) if options.networks is Networks.SINGLE else SPLIT_NETWORKS
    )
    given = options.existing_groups
    places = [
        (role, _place(role, network, options)) for role in options.groups for network in networks
    ]
    groups = tuple(_group(p, name_prefix, role) for role, p in places if p.key not in given)
    existing = tuple(place for _, place in places if place.key in given)
    rules: list[RuleSpec] = []
    profiles_used: set[Profile] = set()
    restricted = options.egress is Egress.RESTRICTED
    for flow in flows:
        if flow.group not in options.groups or not _condition_holds(flow.condition, options):
            continue
        for network in _networks(flow.network, options):
            for source in flow.sources:
                for peer in _peers(source, options, network):
                    group = group_key(flow.group, network)
                    ingress = _flow_rules(flow, group, peer, source, options.families)
                    rules.extend(ingress)
                    if restricted and (isinstance(peer, GroupPeer) or source is Audience.PEER_SITE):
                        rules.extend(_mirrored(rule, flow) for rule in ingress)
                    if isinstance(flow.condition, Profile):
                        profiles_used.add(flow.condition)
    for role, extras in sorted(options.extra_rules.items()):
        for extra in extras:
            group = group_key(Role(role), extra.network)
            rules.extend(_extra_rule(group, extra, _peer(entry)) for entry in extra.peers)
    if restricted:
        rules.extend(_outbound_rules(options))
    else:
        for network in networks:
            shared = group_key(Role.ALL_NODES, network)
            if shared not in given:  # an existing group's outbound rules are its owner's
                rules.extend(_egress_rules(shared, options.families))
    _reject_duplicates(rules, options)
    notes = ((SPLIT_REPLACES_GROUPS,) if options.networks is Networks.SPLIT else ()) + tuple(
        f"profile {profile} adds nothing: {_ends_of(profile, flows)}, and this deployment "
        "lacks one end of each"
        for profile in options.profiles
        if profile not in profiles_used
    )
    notes += tuple(
        _EXISTING_SHARED.format(key=g.key)
        for g in existing
        if g.role == Role.ALL_NODES and not restricted
    )
    closed = sorted(
        {o.kind.value for o in OUTBOUND if o.group in options.groups}
        - {kind.value for kind in options.egress_destinations}
    )
    if restricted and closed:
        notes += (
            "egress: restricted: no egressDestinations for "
            + ", ".join(closed)
            + ", so those outbound flows are closed",
        )
    warnings = tuple(
        f"extra rule {rule.key} opens {what} to {rule.peer.cidr}, which reaches the internet"
        for rule in rules
        if rule.setting == "extraRules"
        and rule.direction is Direction.INGRESS
        and isinstance(rule.peer, CidrPeer)
        and reaches_world(rule.peer.cidr) is not None
        and (what := internal_reach(planned(rule), frozenset(options.profiles)))
    )
    return Plan(
        families=options.families,
        groups=groups,
        existing=existing,
        rules=tuple(rules),
        notes=notes,
        warnings=warnings,
    )


EXTRA = "Extra rule, not in the document"


def _extra_rule(group: str, extra: ExtraRule, peer: Peer) -> RuleSpec:
    """An operator's rule beyond the document: traced to its reason, never to a line."""
    first, _, last = extra.ports.partition("-")
    direction = Direction(extra.direction)
    return RuleSpec(
        key=_rule_key(group, direction, extra.protocol, extra.ports, peer),
        group=group,
        direction=direction,
        protocol=extra.protocol,
        from_port=int(first),
        to_port=int(last or first),
        family=peer.family if isinstance(peer, CidrPeer) else None,
        peer=peer,
        description=f"{extra.description} ({EXTRA.lower()})",
        section=f"{EXTRA}: {extra.reason}",
        line=f"{extra.protocol.upper()}/{extra.ports}",
        setting="extraRules",
    )


_EXISTING_SHARED = (
    "{key} is an existing group (existingGroups): the component adds its rules to it and "
    "leaves its outbound rules to its owner, so it adds no allow-all egress"
)

SPLIT_REPLACES_GROUPS = (
    "networks: split gives every role a management and a signaling group in place of one "
    "group; switching networks on a running stack replaces every group, and nodes must "
    "be attached to the new groups"
)


def _ends_of(profile: Profile, flows: Sequence[Flow]) -> str:
    """What a profile's flows join, e.g. 'it opens dime to bono'."""
    ends = sorted(
        {
            f"{flow.group.value} to {source.value}"
            for flow in flows
            if flow.condition is profile
            for source in flow.sources
            if isinstance(source, Role)
        }
    )
    return "it opens " + ", ".join(ends) if ends else "it has no flows between roles"


def _permission(rule: RuleSpec, options: DeploymentOptions) -> Permission:
    """What a rule lets through, whatever it is named: clouds refuse two equal ones.
    A group the options give by id (an existing group of the deployment, a labelled
    group) compares by that id; an Output only with itself."""

    def by_id(group: str | pulumi.Output[str]) -> str:
        return group if isinstance(group, str) else f"(output {id(group)})"

    peer = rule.peer
    if isinstance(peer, GroupPeer) and peer.group in options.existing_groups:
        outside = OutsideGroup(by_id(options.existing_groups[peer.group]))
        return dataclasses.replace(planned(rule), peer=outside)
    if isinstance(peer, ExistingGroupPeer) and peer.labelled:
        return planned(rule, by_id(options.labelled_groups[peer.ref]))
    return planned(rule)


def _reject_duplicates(rules: list[RuleSpec], options: DeploymentOptions) -> None:
    by_permission: dict[Permission, list[RuleSpec]] = {}
    for rule in rules:
        by_permission.setdefault(_permission(rule, options), []).append(rule)
    duplicates = sorted(_same_traffic(same) for same in by_permission.values() if len(same) > 1)
    if duplicates:
        raise PlanError(
            "two rules would permit the same traffic, which clouds reject as duplicates: "
            + "; ".join(duplicates)
            + ". Give each permission in one place"
        )


def _same_traffic(rules: list[RuleSpec]) -> str:
    """Rules that permit the same traffic, each named once (two settings may make rules of
    one key: HSS and CDF at one address), with the settings that made them."""
    keys = " = ".join(dict.fromkeys(rule.key for rule in rules))
    settings = " and ".join(dict.fromkeys(rule.setting for rule in rules))
    return f"{keys} (from {settings})"
