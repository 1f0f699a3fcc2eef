"""The shapes the plan and a live cloud are compared in.

A rule is matched by what it permits (:class:`Permission`): the group it belongs to, its
direction, address family, protocol, ports (or ICMP type and code) and peer, with peer
groups named by their group key. Names, descriptions and ids play no part in matching;
they are compared afterwards, as the fields Pulumi would change (:class:`FieldChange`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

ANY_FAMILY = "any"  # an AWS group reference, which matches both address families
GROUP_PEER = "group:"  # a group of this deployment, by group key
ID_PEER = "id:"  # a group outside the deployment (a bastion's), by cloud id
PREFIX_LIST_PEER = "prefix-list:"  # an AWS managed prefix list, by id


class LiveError(Exception):
    """A problem that stops adopt or drift: the message names it and the fix."""


@dataclass(frozen=True)
class Permission:
    """What one cloud rule lets through.

    `low`/`high` are the first and last port, or for ICMP the type and the code; None
    means any. `peer` is a CIDR, `group:<key>`, `id:<cloud id>` or `prefix-list:<id>`.
    """

    group: str
    direction: str  # ingress / egress
    family: str  # IPv4, IPv6, or "any" (AWS group references)
    protocol: str  # tcp, udp, icmp, all, or what the cloud calls another protocol
    low: int | None
    high: int | None
    peer: str

    def sort_key(self) -> tuple[str, str, str, str, int, int, str]:
        """An order for reports; a rule without ports (any port, any ICMP type) first."""
        low = -1 if self.low is None else self.low
        high = -1 if self.high is None else self.high
        return (self.group, self.direction, self.family, self.protocol, low, high, self.peer)

    def describe(self) -> str:
        """`sprout ingress any tcp/5054 from group bono`, for people."""
        if self.protocol == "all":
            what = "all traffic"
        elif self.protocol == "icmp":
            kind = "any type" if self.low is None else f"type {self.low}"
            what = f"icmp {kind}" + ("" if self.high is None else f" code {self.high}")
        elif self.low is None and self.high is None:
            what = f"{self.protocol} any port"
        else:
            ports = str(self.low) if self.low == self.high else f"{self.low}-{self.high}"
            what = f"{self.protocol}/{ports}"
        way = "from" if self.direction == "ingress" else "to"
        return f"{self.group} {self.direction} {self.family} {what} {way} {peer_text(self.peer)}"


def peer_text(peer: str) -> str:
    if peer.startswith(GROUP_PEER):
        return f"group {peer.removeprefix(GROUP_PEER)}"
    if peer.startswith(ID_PEER):
        return f"group {peer.removeprefix(ID_PEER)}"
    if peer.startswith(PREFIX_LIST_PEER):
        return f"prefix list {peer.removeprefix(PREFIX_LIST_PEER)}"
    return peer


@dataclass(frozen=True)
class Field:
    """One stored field Pulumi compares, and whether a change replaces the resource."""

    name: str
    replaces: bool


@dataclass(frozen=True)
class FieldChange:
    field: str
    live: object
    planned: object
    replaces: bool

    def describe(self) -> str:
        how = "replaces the resource" if self.replaces else "updated in place"
        return f"{self.field}: {_show(self.live)} -> {_show(self.planned)} ({how})"


def _show(value: object) -> str:
    if isinstance(value, tuple):
        return "[" + ", ".join(str(item) for item in value) + "]"  # tags: key=value
    return "(none)" if value is None or value == "" else repr(value)


def field_changes(
    fields: tuple[Field, ...], live: Mapping[str, object], planned: Mapping[str, object]
) -> list[FieldChange]:
    return [
        FieldChange(spec.name, live.get(spec.name), planned.get(spec.name), spec.replaces)
        for spec in fields
        if live.get(spec.name) != planned.get(spec.name)
    ]


@dataclass(frozen=True)
class PlannedGroup:
    """A group the program registers: its Pulumi resource and what the cloud stores."""

    key: str  # the plan's group key (the role, or <role>-<network>)
    resource_name: str  # `<component>-<key>`
    type: str
    name: str  # the group's name in the cloud (with generated names: what it starts with)
    fields: Mapping[str, object]


@dataclass(frozen=True)
class PlannedRule:
    """One cloud rule the program registers (OpenStack: one per ethertype)."""

    resource_name: str  # `<component>-<rule key>`, OpenStack with `-ipv4`/`-ipv6`
    type: str
    permission: Permission
    description: str
    fields: Mapping[str, object]


@dataclass(frozen=True)
class LiveGroup:
    key: str
    id: str
    name: str
    found_by: str  # "given" (an id the user gave) or "name" (the planned name)
    fields: Mapping[str, object]


@dataclass(frozen=True)
class LiveRule:
    id: str
    group_id: str
    permission: Permission
    description: str
    fields: Mapping[str, object]
    delete_command: str  # how to remove it by hand with the cloud's own CLI


@dataclass(frozen=True)
class Expected:
    """Everything the program would register for one deployment, cloud by cloud."""

    cloud: str
    stack: str
    component: str
    groups: tuple[PlannedGroup, ...]
    rules: tuple[PlannedRule, ...]
    group_fields: tuple[Field, ...]  # what Pulumi compares on a group
    rule_fields: tuple[Field, ...]  # what Pulumi compares on a rule
    vpc_id: str | None = None
    generated_names: bool = False  # AWS completes each group's name after its prefix
    protect: bool = False
    not_created: tuple[str, ...] = ()  # document lines the cloud cannot express, why


@dataclass(frozen=True)
class Live:
    """What one cloud holds in the deployment's groups."""

    groups: tuple[LiveGroup, ...]
    rules: tuple[LiveRule, ...]
    notes: tuple[str, ...] = field(default=())
