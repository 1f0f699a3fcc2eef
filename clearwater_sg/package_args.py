"""The inputs of the `ClearwaterSecurityGroups` package, as every language gives
them: generated from `DeploymentOptions` by `make snapshots`; edits here are overwritten.

Pulumi infers the package schema from these types and docstrings
(`clearwater_sg.package`); what arrives is validated by `DeploymentOptions`, the one
options model, so every language gets the same checks and messages.
"""

from typing import NotRequired, TypedDict

import pulumi

from clearwater_sg.matrix import Profile
from clearwater_sg.options import Deployment, Egress, GroupNames, Networks, Preflight
from clearwater_sg.roles import Role
from clearwater_sg.types import Cloud, IpVersion


class ExtraRule(TypedDict):
    """A rule no document line covers, that an operator needs and owns: it must say what it is for and why it exists, and it is traced as not from the document."""

    direction: NotRequired[pulumi.Input[str]]
    """ingress (default), or egress with egress: restricted."""
    protocol: pulumi.Input[str]
    """tcp or udp."""
    ports: pulumi.Input[str]
    """A port, or a range such as 32768-65535."""
    sources: NotRequired[pulumi.Input[list[str]]]
    """Ingress: the CIDRs or existing group ids it admits."""
    destinations: NotRequired[pulumi.Input[list[str]]]
    """Egress: the CIDRs or existing group ids it lets nodes reach."""
    description: pulumi.Input[str]
    """What the cloud console shows."""
    reason: pulumi.Input[str]
    """Why it exists (a ticket, a vendor requirement): synth shows it."""
    network: NotRequired[pulumi.Input[str]]
    """With networks: split, the network whose group it belongs to."""


class Limits(TypedDict):
    """The target's limits the plan must fit; defaults are the clouds' own defaults."""

    rules_per_group: NotRequired[pulumi.Input[int]]
    """AWS: inbound, and separately outbound, rules per group and family."""
    groups_per_interface: NotRequired[pulumi.Input[int]]
    """AWS: security groups per network interface."""
    security_groups: NotRequired[pulumi.Input[int]]
    """OpenStack: security groups in the project (Neutron quota)."""
    security_group_rules: NotRequired[pulumi.Input[int]]
    """OpenStack: security group rules in the project (Neutron quota)."""


class ClearwaterSecurityGroupsArgs(TypedDict):
    """Everything that decides which security groups and rules a deployment gets."""

    cloud: pulumi.Input[Cloud]
    """Target cloud: aws or openstack."""
    deployment: NotRequired[pulumi.Input[Deployment]]
    """distributed (one group per role) or all-in-one (one node)."""
    ip_version: NotRequired[pulumi.Input[IpVersion]]
    """Address families in use: 4, 6 or dual."""
    vpc_id: NotRequired[pulumi.Input[str]]
    """AWS only, required there: the VPC the groups belong to (any Input)."""
    roles: NotRequired[pulumi.Input[list[Role]]]
    """Distributed only: the roles that have nodes; default the six core roles."""
    memento: NotRequired[pulumi.Input[bool]]
    """A Memento AS is in use."""
    hss: NotRequired[pulumi.Input[bool]]
    """An HSS is in use."""
    world_cidrs: NotRequired[pulumi.Input[list[str]]]
    """What the document's 'the world' means; [] opens nothing to the world."""
    ssh_source_groups: NotRequired[pulumi.Input[dict[str, str]]]
    """More SSH sources, label -> group id (or Output); the label names the rule."""
    snmp_source_groups: NotRequired[pulumi.Input[dict[str, str]]]
    """More SNMP pollers, label -> group id (or Output); the label names the rule."""
    ssh_sources: NotRequired[pulumi.Input[list[str]]]
    """CIDRs or group ids allowed to SSH; [] allows none."""
    snmp_sources: NotRequired[pulumi.Input[list[str]]]
    """CIDRs or group ids allowed to poll SNMP; absent or [] keeps it closed."""
    profiles: NotRequired[pulumi.Input[list[Profile]]]
    """Flows beyond the port document, each from a named source."""
    management_sources: NotRequired[pulumi.Input[list[str]]]
    """CIDRs or group ids of management hosts; required by management-http."""
    peer_sites: NotRequired[pulumi.Input[dict[str, list[str]]]]
    """Other sites of this deployment, label -> CIDRs or group ids of its nodes."""
    replicate_timers_across_sites: NotRequired[pulumi.Input[bool]]
    """Chronos replicates timers to the peer sites (Vellum TCP/7253)."""
    networks: NotRequired[pulumi.Input[Networks]]
    """single, or split: a management and a signaling group per role."""
    existing_groups: NotRequired[pulumi.Input[dict[str, str]]]
    """Groups that exist already, group key -> id (or Output): the rules go on them and no group is created for those keys."""
    preflight: NotRequired[pulumi.Input[Preflight]]
    """offline, or live: before anything is registered, read the existing groups with the stack's cloud settings (planned rules they hold already, their outbound rules, whether one is this deployment's own)."""
    egress: NotRequired[pulumi.Input[Egress]]
    """all (allow-all outbound), or restricted: each internal flow at its source too, and outbound flows only to egressDestinations."""
    egress_destinations: NotRequired[pulumi.Input[dict[str, list[str]]]]
    """With egress: restricted, where each outside service lives: kind -> CIDRs, group ids or prefix lists; a kind absent stays closed."""
    extra_rules: NotRequired[pulumi.Input[dict[str, list[ExtraRule]]]]
    """Rules beyond the document and its profiles, per group: role -> rules."""
    group_names: NotRequired[pulumi.Input[GroupNames]]
    """fixed, or generated (AWS): names AWS completes, so that a replaced group is created before the old one is deleted."""
    prefix_lists: NotRequired[pulumi.Input[dict[str, int]]]
    """AWS: each managed prefix list a source names -> its max entries, which AWS counts against the rules quota."""
    name_prefix: NotRequired[pulumi.Input[str]]
    """Group name prefix; default <component name>-<stack>."""
    tags: NotRequired[pulumi.Input[dict[str, str]]]
    """Extra tags on every group."""
    tag_rules: NotRequired[pulumi.Input[bool]]
    """AWS: tag each rule resource like its group (Name: the rule)."""
    protect: NotRequired[pulumi.Input[bool]]
    """Pulumi protect on the groups."""
    limits: NotRequired[pulumi.Input[Limits]]
    """The target's quotas, for the pre-flight."""
