"""The inputs of the `ClearwaterSecurityGroups` package, as every language gives
them: generated from `DeploymentOptions` by `make snapshots`; edits here are overwritten.

Pulumi infers the package schema from these types and docstrings
(`clearwater_sg.package`); what arrives is validated by `DeploymentOptions`, the one
options model, so every language gets the same checks and messages. Every input is plain,
known when the program runs, but the ids the options take as Outputs: those are Inputs,
value by value.
"""

from typing import NotRequired, TypedDict

import pulumi

from clearwater_sg.matrix import Profile
from clearwater_sg.options import Deployment, Egress, GroupNames, Networks, Preflight
from clearwater_sg.roles import Role
from clearwater_sg.types import Cloud, IpVersion


class ExtraRule(TypedDict):
    """A rule no document line covers, that an operator needs and owns: it must say what it is for and why it exists, and it is traced as not from the document."""

    direction: NotRequired[str]
    """ingress (default), or egress with egress: restricted."""
    protocol: str
    """tcp or udp."""
    ports: str
    """A port, or a range such as 32768-65535."""
    sources: NotRequired[list[str]]
    """Ingress: the CIDRs or existing group ids it admits."""
    destinations: NotRequired[list[str]]
    """Egress: the CIDRs or existing group ids it lets nodes reach."""
    description: str
    """What the cloud console shows."""
    reason: str
    """Why it exists (a ticket, a vendor requirement): synth shows it."""
    network: NotRequired[str]
    """With networks: split, the network whose group it belongs to."""


class Limits(TypedDict):
    """The target's limits the plan must fit; defaults are the clouds' own defaults."""

    rules_per_group: NotRequired[int]
    """AWS: inbound, and separately outbound, rules per group and family."""
    groups_per_interface: NotRequired[int]
    """AWS: security groups per network interface."""
    security_groups: NotRequired[int]
    """OpenStack: security groups in the project (Neutron quota)."""
    security_group_rules: NotRequired[int]
    """OpenStack: security group rules in the project (Neutron quota)."""


class ClearwaterSecurityGroupsArgs(TypedDict):
    """Everything that decides which security groups and rules a deployment gets."""

    cloud: Cloud
    """Target cloud: aws or openstack."""
    deployment: NotRequired[Deployment]
    """distributed (one group per role) or all-in-one (one node)."""
    ip_version: NotRequired[IpVersion]
    """Address families in use: 4, 6 or dual."""
    vpc_id: NotRequired[pulumi.Input[str]]
    """AWS only, required there: the VPC the groups belong to (any Input)."""
    roles: NotRequired[list[Role]]
    """Distributed only: the roles that have nodes; default the core roles (ellis, bono, sprout, dime, homer, vellum)."""
    memento: NotRequired[bool]
    """A Memento AS is in use."""
    hss: NotRequired[bool]
    """An HSS is in use."""
    world_cidrs: NotRequired[list[str]]
    """What the document's 'the world' means; [] opens nothing to the world."""
    ssh_source_groups: NotRequired[dict[str, pulumi.Input[str]]]
    """More SSH sources, label -> group id (or Output); the label names the rule."""
    snmp_source_groups: NotRequired[dict[str, pulumi.Input[str]]]
    """More SNMP pollers, label -> group id (or Output); the label names the rule."""
    ssh_sources: NotRequired[list[str]]
    """CIDRs or group ids allowed to SSH; [] allows none."""
    snmp_sources: NotRequired[list[str]]
    """CIDRs or group ids allowed to poll SNMP; absent or [] keeps it closed."""
    profiles: NotRequired[list[Profile]]
    """Flows beyond the port document, each from a named source."""
    management_sources: NotRequired[list[str]]
    """CIDRs or group ids of management hosts; required by management-http."""
    peer_sites: NotRequired[dict[str, list[str]]]
    """Other sites of this deployment, label -> CIDRs or group ids of its nodes."""
    replicate_timers_across_sites: NotRequired[bool]
    """Chronos replicates timers to the peer sites (Vellum TCP/7253)."""
    networks: NotRequired[Networks]
    """single, or split: a management and a signaling group per role."""
    existing_groups: NotRequired[dict[str, pulumi.Input[str]]]
    """Groups that exist already, group key -> id (or Output): the rules go on them and no group is created for those keys."""
    preflight: NotRequired[Preflight]
    """offline, or live: before anything is registered, read the existing groups with the stack's cloud settings (planned rules they hold already, their outbound rules, whether one is this deployment's own) and the cloud's quotas and what is in use."""
    egress: NotRequired[Egress]
    """all (allow-all outbound), or restricted: each internal flow at its source too, and outbound flows only to egressDestinations."""
    egress_destinations: NotRequired[dict[str, list[str]]]
    """With egress: restricted, where each outside service lives: kind -> CIDRs, group ids or prefix lists; a kind absent stays closed."""
    extra_rules: NotRequired[dict[str, list[ExtraRule]]]
    """Rules beyond the document and its profiles, per group: role -> rules."""
    group_names: NotRequired[GroupNames]
    """fixed, or generated (AWS): names AWS completes, so that a replaced group is created before the old one is deleted."""
    prefix_lists: NotRequired[dict[str, int]]
    """AWS: each managed prefix list a source names -> its max entries, which AWS counts against the rules quota."""
    name_prefix: NotRequired[str]
    """Group name prefix; default <component name>-<stack>."""
    tags: NotRequired[dict[str, str]]
    """Extra tags on every group."""
    tag_rules: NotRequired[bool]
    """AWS: tag each rule resource like its group (Name: the rule)."""
    protect: NotRequired[bool]
    """Pulumi protect on the groups."""
    limits: NotRequired[Limits]
    """The target's quotas, for the pre-flight."""
