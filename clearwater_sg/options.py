"""The validated description of one Clearwater deployment: what the planner consumes.

Field names are snake_case for Python callers; each has the camelCase alias that stack
configuration uses (`ipVersion`, `sshSources`, ...), and validation errors name the alias,
so a message points at the key the operator actually wrote. Single values are checked by
their types (`clearwater_sg.types`); this model keeps only the rules that relate fields.
Fields are declared in the order those rules read them.
"""

from __future__ import annotations

import difflib
import inspect
import textwrap
import types
import typing
from collections.abc import Callable
from contextvars import ContextVar
from enum import Enum, StrEnum
from typing import TYPE_CHECKING, Annotated, Any, Literal

import pulumi
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    PlainValidator,
    StrictBool,
    StrictInt,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from clearwater_sg.errors import ConfigurationError
from clearwater_sg.matrix import OUTBOUND, EgressKind, Profile
from clearwater_sg.roles import (
    CORE_ROLES_TEXT,
    DEFAULT_DISTRIBUTED_ROLES,
    DISTRIBUTED_ROLES,
    Role,
)
from clearwater_sg.types import (
    ANY_ADDRESS,
    AWS_MAX_TAGS,
    NEUTRON_MAX_TAGS,
    NEUTRON_TAG_MAX,
    NO_VALUE,
    RESERVED_TAG_KEYS,
    SPLIT_NETWORKS,
    Cidr,
    Cloud,
    Family,
    FreeText,
    IpVersion,
    Label,
    Location,
    NamePrefix,
    Network,
    OwnSource,
    PortRange,
    PrefixListId,
    Problem,
    RoleName,
    RuleDescription,
    Source,
    TagKey,
    TagValue,
    Unique,
    checked_whole,
    cloud_of,
    families_of,
    found_in,
    group_id_or_output,
    group_key,
    is_prefix_list,
    refuse,
    vpc_id_or_output,
)


class Deployment(StrEnum):
    DISTRIBUTED = "distributed"
    ALL_IN_ONE = "all-in-one"


class GroupNames(StrEnum):
    FIXED = "fixed"  # <prefix>-<group>: what existing stacks have
    GENERATED = "generated"  # AWS name_prefix: a replacement is created before the old one goes


class Egress(StrEnum):
    ALL = "all"  # allow-all outbound on the shared group: what clouds give a new group
    RESTRICTED = "restricted"  # each internal flow at both ends, and sourced outside flows


class Preflight(StrEnum):
    OFFLINE = "offline"  # what the plan costs against the limits given; no cloud is read
    LIVE = "live"  # also read the existing groups and the quotas with the stack's settings


class Networks(StrEnum):
    SINGLE = "single"  # one interface per node: one group per role
    SPLIT = "split"  # management and signaling interfaces: two groups per role


# A security group outside the deployment: its id, or (from Python) an Output of one.
GroupRef = Annotated[str | pulumi.Output[str], PlainValidator(group_id_or_output)]


def _groups_given_twice(value: dict[str, Any], why: Callable[[str, str], str]) -> list[Problem]:
    """A problem at each key whose group id an earlier key already gives, saying `why`
    (group id, the earlier key). An Output is never compared: its value is not known."""
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for key, group in value.items():
        if isinstance(group, str) and group in seen:
            problems.append(((key,), why(group, seen[group]), group))
        elif isinstance(group, str):
            seen[group] = key
    return problems


def _one_group_per_label(value: dict[str, Any], info: ValidationInfo) -> list[Problem]:
    """No group under two labels (the same port opened twice), and a label names the same
    group for SSH and for SNMP (ids compare by value, an Output only with itself)."""
    problems = _groups_given_twice(
        value,
        lambda group, label: (
            f"{group} is already labelled {label!r}; two labels for one group would open "
            "the same port twice (keep one)"
        ),
    )
    ssh = info.data.get("ssh_source_groups", {}) if info.field_name == "snmp_source_groups" else {}
    problems += [
        (
            (label,),
            f"label {label!r} names a different group in sshSourceGroups; a label names one "
            "group (use another label)",
            group,
        )
        for label, group in value.items()
        if label in ssh and not _same_group(ssh[label], group)
    ]
    return problems


LabelledGroups = Annotated[dict[Label, GroupRef], checked_whole(_one_group_per_label, dict)]


def _existing_groups_fit(value: dict[Any, Any], info: ValidationInfo) -> list[Problem]:
    """Each key is a group of this deployment, and each names its own group."""
    keys = _group_keys(info)
    problems: list[Problem] = [
        ((key,), f"{key!r} is not a group of this deployment; allowed: {', '.join(keys)}", key)
        for key in value
        if key not in keys
    ]
    return problems + _groups_given_twice(
        value,
        lambda group, key: (
            f"{group} is also given for {key}; every group of the deployment is a security "
            "group of its own (give each key its own group)"
        ),
    )


ExistingGroups = Annotated[dict[str, GroupRef], checked_whole(_existing_groups_fit, dict)]

# Destinations of outside services: like any source, and never an empty list (absent
# closes a kind; an empty list would read as if it opened something).
EgressDestinations = dict[EgressKind, Annotated[tuple[Source, ...], Unique, Field(min_length=1)]]


def _tags_fit_the_cloud(value: dict[str, Any], info: ValidationInfo) -> list[Problem]:
    cloud = cloud_of(info)
    # clearwater:network is set only on split networks' groups.
    own = [k for k in RESERVED_TAG_KEYS if k != "clearwater:network" or _split(info)]
    limit = AWS_MAX_TAGS if cloud is Cloud.AWS else NEUTRON_MAX_TAGS
    problems: list[Problem] = []
    if len(value) > limit - len(own):
        problems.append(
            (
                (),
                f"{len(value)} tags; a group may carry {limit}, and the component sets "
                f"{len(own)} ({', '.join(own)}): keep at most {limit - len(own)}",
                len(value),
            )
        )
    if cloud is Cloud.OPENSTACK:
        problems += [
            (
                (key,),
                f"Neutron stores this tag as '{key}=…' of {len(key) + 1 + len(text)} "
                f"characters; a tag may have {NEUTRON_TAG_MAX}: shorten the key or value",
                text,
            )
            for key, text in value.items()
            if isinstance(key, str)
            and isinstance(text, str)
            and len(key) + 1 + len(text) > NEUTRON_TAG_MAX
        ]
    return problems


Tags = Annotated[dict[TagKey, TagValue], checked_whole(_tags_fit_the_cloud, dict)]


def unknown_key(key: str, known: typing.Sequence[str], what: str) -> str:
    """What is wrong with a key no setting has: the closest known key, and every one."""
    close = difflib.get_close_matches(key, known, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"is not a key of {what}; {hint}known keys: {', '.join(known)}"


class _Entry(BaseModel):
    """A map inside the configuration (an extra rule, the limits): a key it does not have
    is refused with its own keys, beside every other mistake in it."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True
    )
    entry: typing.ClassVar[str]  # what one such map is, in a message

    @model_validator(mode="wrap")
    @classmethod
    def _known_keys_only(cls, value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        if not isinstance(value, dict):
            return handler(value)
        known = [field.alias or name for name, field in cls.model_fields.items()]
        unknown = [key for key in value if key not in {*known, *cls.model_fields}]
        problems: list[Problem] = [
            ((key,), unknown_key(str(key), known, cls.entry), value[key]) for key in unknown
        ]
        try:
            entry = handler({key: item for key, item in value.items() if key not in unknown})
        except ValidationError as failed:
            refuse(problems, failed)
            raise
        refuse(problems)
        return entry


class ExtraRule(_Entry):
    """A rule no document line covers, that an operator needs and owns: it must say what
    it is for and why it exists, and it is traced as not from the document."""

    entry = "an extra rule"

    direction: Literal["ingress", "egress"] = Field(
        "ingress", description="ingress (default), or egress with egress: restricted."
    )
    protocol: Literal["tcp", "udp"] = Field(description="tcp or udp.")
    ports: PortRange = Field(description="A port, or a range such as 32768-65535.")
    sources: Annotated[tuple[Source, ...], Unique, Field(min_length=1)] | None = Field(
        None, description="Ingress: the CIDRs or existing group ids it admits."
    )
    destinations: Annotated[tuple[Source, ...], Unique, Field(min_length=1)] | None = Field(
        None, description="Egress: the CIDRs or existing group ids it lets nodes reach."
    )
    description: RuleDescription = Field(description="What the cloud console shows.")
    reason: Annotated[FreeText, StringConstraints(min_length=1, max_length=200)] = Field(
        description="Why it exists (a ticket, a vendor requirement): synth shows it."
    )
    network: Network | None = Field(
        None, description="With networks: split, the network whose group it belongs to."
    )

    @model_validator(mode="after")
    def _peers_fit_the_direction(self) -> ExtraRule:
        wanted, other = ("sources", "destinations")[:: 1 if self.direction == "ingress" else -1]
        problems: list[Problem] = []
        if getattr(self, wanted) is None:
            problems.append(((wanted,), f"an {self.direction} rule needs its {wanted}", None))
        if getattr(self, other) is not None:
            problems.append(
                (
                    (other,),
                    f"is for the other direction; this rule is {self.direction} (use {wanted})",
                    None,
                )
            )
        refuse(problems)
        return self

    @property
    def peers(self) -> tuple[str, ...]:
        """Whom the rule admits (ingress) or lets nodes reach (egress)."""
        return (self.sources if self.direction == "ingress" else self.destinations) or ()


ExtraRules = dict[str, tuple[ExtraRule, ...]]
_EXTRA_RULES: TypeAdapter[ExtraRules] = TypeAdapter(ExtraRules)


# A number written as a number: `true` is not 1, "20" is not 20.
Count = Annotated[StrictInt, Field(gt=0)]


class Limits(_Entry):
    """The target's limits the plan must fit; defaults are the clouds' own defaults.

    Operators who had a quota raised set the new value here, so the pre-flight agrees
    with their account.
    """

    entry = "limits"

    rules_per_group: Count = Field(
        60, description="AWS: inbound, and separately outbound, rules per group and family."
    )
    groups_per_interface: Count = Field(
        5, description="AWS: security groups per network interface."
    )
    security_groups: Count = Field(
        10, description="OpenStack: security groups in the project (Neutron quota)."
    )
    security_group_rules: Count = Field(
        100, description="OpenStack: security group rules in the project (Neutron quota)."
    )


def _sites_fit(sites: dict[Any, Any], info: ValidationInfo) -> list[Problem]:
    """Peer sites belong to a distributed deployment, and each lists its nodes."""
    if sites and info.data.get("deployment") is Deployment.ALL_IN_ONE:
        return [
            (
                (),
                "peer sites are other sites of a distributed deployment (Vellum, Sprout and "
                "Bono flows between sites); an all-in-one node has none: remove peerSites",
                sites,
            )
        ]
    return [
        ((label,), "lists no sources; give the CIDRs or group ids of its nodes", ())
        for label, sources in sites.items()
        if not sources
    ]


# Set while model_validate runs: pydantic calls a model's own __init__ from it, and its
# errors must reach model_validate's caller as pydantic raised them.
_VALIDATING: ContextVar[bool] = ContextVar("clearwater_sg_validating", default=False)


class DeploymentOptions(BaseModel):
    """Everything that decides which security groups and rules a deployment gets.

    Source settings (`world_cidrs`, `ssh_sources`, `snmp_sources`): absent takes the
    document's default; an explicit empty list means nobody. Options that are not valid
    raise `clearwater_sg.ConfigurationError` (a ValueError) listing every problem.
    """

    if not TYPE_CHECKING:  # type checkers and help() keep the fields' own signature

        def __init__(self, **data: Any) -> None:
            try:
                super().__init__(**data)
            except ValidationError as exc:
                if _VALIDATING.get():
                    raise  # model_validate runs __init__ too, and reports by itself
                from clearwater_sg.stack_config import describe_error  # reads this model

                raise ConfigurationError.from_validation_error(exc, describe_error) from exc

        @classmethod
        def model_validate(cls, obj: Any, **kwargs: Any) -> DeploymentOptions:
            running = _VALIDATING.set(True)
            try:
                return super().model_validate(obj, **kwargs)
            finally:
                _VALIDATING.reset(running)

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        arbitrary_types_allowed=True,
    )

    cloud: Cloud = Field(description="Target cloud: aws or openstack.")
    deployment: Deployment = Field(
        Deployment.DISTRIBUTED,
        description="distributed (one group per role) or all-in-one (one node).",
    )
    ip_version: IpVersion = Field(
        IpVersion.V4, description="Address families in use: 4, 6 or dual."
    )
    vpc_id: str | pulumi.Output[str] | None = Field(
        None,
        validate_default=True,
        description="AWS only, required there: the VPC the groups belong to (any Input).",
    )
    roles: Annotated[tuple[RoleName, ...], Unique] = Field(
        None,  # absent: resolved by _roles_fit_deployment
        validate_default=True,
        description=f"Distributed only: the roles that have nodes; default {CORE_ROLES_TEXT}.",
    )
    memento: StrictBool = Field(False, description="A Memento AS is in use.")
    hss: StrictBool = Field(False, description="An HSS is in use.")
    world_cidrs: Annotated[tuple[Cidr, ...], Unique] = Field(
        None,  # absent: every address of each family in use
        validate_default=True,
        description="What the document's 'the world' means; [] opens nothing to the world.",
    )
    ssh_source_groups: LabelledGroups = Field(
        default_factory=dict,
        description="More SSH sources, label -> group id (or Output); the label names the rule.",
    )
    snmp_source_groups: LabelledGroups = Field(
        default_factory=dict,
        description="More SNMP pollers, label -> group id (or Output); the label names the rule.",
    )
    ssh_sources: Annotated[tuple[Source, ...], Unique] = Field(
        None,  # absent: worldCidrs, unless sshSourceGroups is set
        validate_default=True,
        description="CIDRs or group ids allowed to SSH; [] allows none.",
    )
    snmp_sources: Annotated[tuple[Source, ...], Unique] = Field(
        (), description="CIDRs or group ids allowed to poll SNMP; absent or [] keeps it closed."
    )
    profiles: Annotated[tuple[Profile, ...], Unique] = Field(
        (), description="Flows beyond the port document, each from a named source."
    )
    management_sources: Annotated[tuple[OwnSource, ...], Unique] | None = Field(
        None,
        validate_default=True,
        description="CIDRs or group ids of management hosts; required by management-http.",
    )
    peer_sites: Annotated[
        dict[Label, Annotated[tuple[OwnSource, ...], Unique]],
        checked_whole(_sites_fit, shape=dict),
    ] = Field(
        default_factory=dict,
        description="Other sites of this deployment, label -> CIDRs or group ids of its nodes.",
    )
    replicate_timers_across_sites: StrictBool = Field(
        False, description="Chronos replicates timers to the peer sites (Vellum TCP/7253)."
    )
    networks: Networks = Field(
        Networks.SINGLE,
        description="single, or split: a management and a signaling group per role.",
    )
    existing_groups: ExistingGroups = Field(
        default_factory=dict,
        description="Groups that exist already, group key -> id (or Output): the rules go "
        "on them and no group is created for those keys.",
    )
    preflight: Preflight = Field(
        Preflight.OFFLINE,
        description="offline, or live: before anything is registered, read the existing "
        "groups with the stack's cloud settings (planned rules they hold already, their "
        "outbound rules, whether one is this deployment's own) and the cloud's quotas and "
        "what is in use.",
    )
    egress: Egress = Field(
        Egress.ALL,
        description="all (allow-all outbound), or restricted: each internal flow at its "
        "source too, and outbound flows only to egressDestinations.",
    )
    egress_destinations: EgressDestinations = Field(
        default_factory=dict,
        description="With egress: restricted, where each outside service lives: kind -> "
        "CIDRs, group ids or prefix lists; a kind absent stays closed.",
    )
    extra_rules: ExtraRules = Field(
        default_factory=dict,
        description="Rules beyond the document and its profiles, per group: role -> rules.",
    )
    group_names: GroupNames = Field(
        GroupNames.FIXED,
        description="fixed, or generated (AWS): names AWS completes, so that a replaced "
        "group is created before the old one is deleted.",
    )
    prefix_lists: dict[PrefixListId, Count] = Field(
        default_factory=dict,
        validate_default=True,
        description="AWS: each managed prefix list a source names -> its max entries, "
        "which AWS counts against the rules quota.",
    )
    name_prefix: NamePrefix | None = Field(
        None, description="Group name prefix; default <component name>-<stack>."
    )
    tags: Tags = Field(default_factory=dict, description="Extra tags on every group.")
    tag_rules: StrictBool = Field(
        False, description="AWS: tag each rule resource like its group (Name: the rule)."
    )
    protect: StrictBool = Field(False, description="Pulumi protect on the groups.")
    limits: Limits = Field(
        default_factory=Limits, description="The target's quotas, for the pre-flight."
    )

    @model_validator(mode="wrap")
    @classmethod
    def _each_setting_given_once_with_a_value(
        cls, data: Any, validate: ModelWrapValidatorHandler[DeploymentOptions]
    ) -> DeploymentOptions:
        """A setting given as null (None), anywhere in it, or under both its names
        (`ssh_sources` and `sshSources`), is refused by name with the rest: read as absent,
        or one of the two kept, it could take a default that opens more than was meant."""
        if not isinstance(data, dict):
            return validate(data)
        twice = {
            name: field.alias
            for name, field in cls.model_fields.items()
            if field.alias and field.alias != name and name in data and field.alias in data
        }
        problems: list[Problem] = [
            ((alias,), f"is given twice, as {name} and {alias}: give it once", None)
            for name, alias in twice.items()
        ]
        spelled_twice = {*twice, *twice.values()}  # refused as such; their values unread
        nulls = [at for at, _ in found_in(data, lambda v: v is None) if at[0] not in spelled_twice]
        problems += [(at, NO_VALUE, None) for at in nulls]
        if not problems:
            return validate(data)
        # The rest is judged as with each refused setting given, and wrong (None), as a
        # refused ipVersion does not make an IPv6 worldCidrs wrong; what a refused value
        # makes fail is said once, as its refusal.
        given_once = {k: v for k, v in data.items() if k not in spelled_twice}
        given_once |= dict.fromkeys(twice.values())
        refused_at = [*nulls, *((alias,) for alias in twice.values())]
        try:
            validate(given_once)
        except ValidationError as failed:
            others = [
                e
                for e in failed.errors()
                if not any(e["loc"][: len(at)] == at for at in refused_at)
            ]
            refuse(problems, others)
        refuse(problems)
        raise AssertionError("refused above")  # pragma: no cover

    @field_validator("ip_version", mode="before")
    @classmethod
    def _ip_version_may_be_a_number(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @field_validator("vpc_id", mode="plain")
    @classmethod
    def _vpc_matches_cloud(cls, value: Any, info: ValidationInfo) -> Any:
        cloud = cloud_of(info)
        if cloud is Cloud.OPENSTACK and value is not None:
            raise ValueError(
                "vpcId applies to AWS only; OpenStack security groups belong to the project "
                "(remove vpcId from this stack)"
            )
        if cloud is Cloud.AWS and value is None:
            raise ValueError(
                "AWS needs the VPC the groups belong to: set vpcId to a VPC id "
                "such as vpc-0123456789abcdef0"
            )
        return None if value is None else vpc_id_or_output(value, info)

    @field_validator("roles", mode="wrap")
    @classmethod
    def _roles_fit_deployment(
        cls, value: Any, validate: ValidatorFunctionWrapHandler, info: ValidationInfo
    ) -> Any:
        # Absent roles resolve here, past the item check, which refuses all-in-one.
        if info.data.get("deployment") is Deployment.ALL_IN_ONE:
            if value is not None:
                raise ValueError(
                    "roles applies to distributed deployments only; an all-in-one deployment "
                    "always has the all-nodes and all-in-one groups (remove roles)"
                )
            return (Role.ALL_IN_ONE,)
        if value is None:
            return DEFAULT_DISTRIBUTED_ROLES
        roles = validate(value)
        if not roles:
            raise ValueError(
                "is empty; list the roles that have nodes, from: "
                + ", ".join(DISTRIBUTED_ROLES)
                + f" (or remove roles for {CORE_ROLES_TEXT})"
            )
        return roles

    @field_validator("memento", "hss")
    @classmethod
    def _toggle_fits_deployment(cls, value: bool, info: ValidationInfo) -> bool:
        if value and info.data.get("deployment") is Deployment.ALL_IN_ONE:
            raise ValueError(
                "applies to distributed deployments only: on an all-in-one node these flows "
                "stay inside the node, and its group already opens TCP/443 to the world"
            )
        return value

    @field_validator("world_cidrs", mode="before")
    @classmethod
    def _world_defaults_to_everywhere(cls, value: Any, info: ValidationInfo) -> Any:
        # Absent: the document's "the world". An explicit [] stays empty: nothing is open
        # to the world, not even ICMP.
        return tuple(ANY_ADDRESS[f] for f in families_of(info)) if value is None else value

    @field_validator("ssh_sources", mode="before")
    @classmethod
    def _ssh_defaults_to_world(cls, value: Any, info: ValidationInfo) -> Any:
        if value is not None:
            return value  # [] means nobody may SSH, whatever worldCidrs says
        if info.data.get("ssh_source_groups"):
            return ()  # the labelled groups are the SSH sources
        # The document opens SSH "to the world"; `world_cidrs` is None only when it failed.
        return info.data.get("world_cidrs") or ()

    @field_validator("ssh_sources", "snmp_sources")
    @classmethod
    def _ids_not_also_labelled(
        cls, value: tuple[str, ...], info: ValidationInfo
    ) -> tuple[str, ...]:
        key = "ssh_source_groups" if info.field_name == "ssh_sources" else "snmp_source_groups"
        labelled: LabelledGroups = info.data.get(key, {})
        by_id = {group: label for label, group in labelled.items() if isinstance(group, str)}
        setting = "sshSourceGroups" if key == "ssh_source_groups" else "snmpSourceGroups"
        refuse(
            [
                (
                    (index,),
                    f"{entry} is also {setting}.{by_id[entry]}; the same group twice would open "
                    "the same port twice (list it in one place)",
                    entry,
                )
                for index, entry in enumerate(value)
                if entry in by_id
            ]
        )
        return value

    @field_validator("management_sources")
    @classmethod
    def _management_sources_go_with_their_profile(
        cls, value: tuple[str, ...] | None, info: ValidationInfo
    ) -> tuple[str, ...] | None:
        wanted = Profile.MANAGEMENT_HTTP in info.data.get("profiles", ())
        if wanted and not value:
            raise ValueError(
                "profile management-http opens Sprout TCP/9886 and Dime TCP/8886 to the "
                "management hosts: list them here (CIDRs or group ids)"
            )
        if value is not None and not wanted and "profiles" in info.data:
            raise ValueError(
                "is used only by the management-http profile: add it to profiles, or remove "
                "managementSources"
            )
        return value

    @field_validator("replicate_timers_across_sites")
    @classmethod
    def _replication_needs_a_site(cls, value: bool, info: ValidationInfo) -> bool:
        if value and info.data.get("deployment") is Deployment.ALL_IN_ONE:
            raise ValueError(
                "an all-in-one node has no peer sites to replicate timers to: remove "
                "replicateTimersAcrossSites"
            )
        if value and not info.data.get("peer_sites"):
            raise ValueError("replicates timers to peer sites: set peerSites, or remove this")
        return value

    @field_validator("extra_rules", mode="plain")
    @classmethod
    def _extra_rules_fit_the_deployment(cls, value: Any, info: ValidationInfo) -> ExtraRules:
        # Their sources are checked against the deployment's cloud and families, which a
        # nested model cannot see by itself: pass them down as the validation context.
        context = {key: info.data.get(key) for key in ("cloud", "ip_version")}
        rules = _EXTRA_RULES.validate_python(value, context=context)
        groups = {str(role) for role in (Role.ALL_NODES, *(info.data.get("roles") or ()))}
        split = _split(info)
        problems: list[tuple[Location, str, Any]] = [
            (
                (key,),
                f"{key!r} is not a group of this deployment; allowed: " + ", ".join(sorted(groups)),
                key,
            )
            for key in rules
            if key not in groups
        ]
        problems += [
            (
                (key, index, "direction"),
                "egress rules apply with egress: restricted (with egress: all every "
                "destination is open already): set egress: restricted, or remove this rule",
                rule.direction,
            )
            for key, listed in rules.items()
            for index, rule in enumerate(listed)
            if rule.direction == "egress" and info.data.get("egress") is not Egress.RESTRICTED
        ]
        problems += [
            (
                (key, index, "network"),
                "networks is split: say which network's group (management or signaling)"
                if split
                else "applies to networks: split only",
                rule.network,
            )
            for key, listed in rules.items()
            for index, rule in enumerate(listed)
            if (rule.network is None) == split
        ]
        refuse(problems)
        return rules

    @field_validator("prefix_lists")
    @classmethod
    def _every_prefix_list_is_sized(
        cls, value: dict[str, int], info: ValidationInfo
    ) -> dict[str, int]:
        used = {
            entry
            for entry in (
                *(info.data.get("ssh_sources") or ()),
                *(info.data.get("snmp_sources") or ()),
                *(info.data.get("management_sources") or ()),
                *(e for site in (info.data.get("peer_sites") or {}).values() for e in site),
                *(
                    e
                    for rules in (info.data.get("extra_rules") or {}).values()
                    for rule in rules
                    for e in rule.peers
                ),
                *(
                    e
                    for kind in (info.data.get("egress_destinations") or {}).values()
                    for e in kind
                ),
            )
            if is_prefix_list(entry)
        }
        refuse(
            [
                (
                    (entry,),
                    "is used as a source: give its max entries here (AWS counts "
                    "them against the rules quota); e.g. prefixLists: {" + entry + ": 20}",
                    None,
                )
                for entry in sorted(used - set(value))
            ]
            + [
                ((entry,), "is not used by any source; remove it", size)
                for entry, size in value.items()
                if entry not in used
            ]
        )
        return value

    @field_validator("egress")
    @classmethod
    def _restricted_egress_covers_existing_groups(
        cls, value: Egress, info: ValidationInfo
    ) -> Egress:
        existing = info.data.get("existing_groups") or {}
        if (
            value is Egress.RESTRICTED
            and existing
            and info.data.get("preflight") is Preflight.OFFLINE
        ):
            raise ValueError(
                "restricted cannot close what the existing groups ("
                + ", ".join(existing)
                + ") let out: their outbound rules are their owner's, and a cloud gives a "
                "new group allow-all egress. Set preflight: live, so that the program reads "
                "them before anything is registered and refuses only if one lets out more "
                "than the plan; or take them out of existingGroups; or use egress: all"
            )
        return value

    @field_validator("egress_destinations")
    @classmethod
    def _destinations_go_with_restricted_egress(
        cls, value: dict[EgressKind, tuple[str, ...]], info: ValidationInfo
    ) -> dict[EgressKind, tuple[str, ...]]:
        if value and info.data.get("egress") is not Egress.RESTRICTED:
            raise ValueError(
                "applies with egress: restricted (with egress: all every destination is "
                "open already): set egress: restricted, or remove egressDestinations"
            )
        groups = set(info.data.get("roles") or ()) | {Role.ALL_NODES}
        refuse(
            [
                (
                    (kind,),
                    f"no group of this deployment sends {kind} (sent by: "
                    + ", ".join(sorted({o.group.value for o in OUTBOUND if o.kind is kind}))
                    + "): remove it",
                    kind,
                )
                for kind in value
                if not any(o.kind is kind and o.group in groups for o in OUTBOUND)
            ]
        )
        return value

    @field_validator("tag_rules")
    @classmethod
    def _rule_tags_are_for_aws(cls, value: bool, info: ValidationInfo) -> bool:
        if value and cloud_of(info) is Cloud.OPENSTACK:
            raise ValueError("applies to AWS only: Neutron rules carry no tags (remove tagRules)")
        return value

    @field_validator("group_names")
    @classmethod
    def _generated_names_are_for_aws(cls, value: GroupNames, info: ValidationInfo) -> GroupNames:
        if value is GroupNames.GENERATED and cloud_of(info) is Cloud.OPENSTACK:
            raise ValueError(
                "applies to AWS only: Neutron renames a group in place and allows equal "
                "names, so an OpenStack replacement never waits on a name (remove groupNames)"
            )
        return value

    @property
    def families(self) -> tuple[Family, ...]:
        return self.ip_version.families

    @property
    def labelled_groups(self) -> dict[str, str | pulumi.Output[str]]:
        """The groups of `sshSourceGroups` and `snmpSourceGroups`, by label."""
        return {**self.ssh_source_groups, **self.snmp_source_groups}

    @property
    def snmp_in_use(self) -> bool:
        return bool(self.snmp_sources or self.snmp_source_groups)

    @property
    def groups(self) -> tuple[Role, ...]:
        """Every group this deployment gets: the shared all-nodes group, then the roles."""
        return (Role.ALL_NODES, *self.roles)


def _split(info: ValidationInfo) -> bool:
    return info.data.get("networks") is Networks.SPLIT


def _group_keys(info: ValidationInfo) -> list[str]:
    """The keys of the deployment's groups."""
    networks = SPLIT_NETWORKS if _split(info) else (None,)
    roles = (Role.ALL_NODES, *(info.data.get("roles") or ()))
    return [group_key(role, network) for role in roles for network in networks]


def _same_group(first: str | pulumi.Output[str], second: str | pulumi.Output[str]) -> bool:
    """Ids compare by value; an Output only with itself (its value is not known yet)."""
    if isinstance(first, str) and isinstance(second, str):
        return first == second
    return first is second


class _Shown(str):
    """Text a signature prints as it is (it prints defaults with repr)."""

    def __repr__(self) -> str:
        return str(self)


def _readable(annotation: object) -> str:
    """A type as a caller writes it (`tuple[str, ...]`, `str | Output[str]`, `Cloud`),
    without the validators its `Annotated` metadata carries."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is Annotated:
        return _readable(args[0])
    if origin in (typing.Union, types.UnionType):
        return " | ".join(_readable(arg) for arg in args)
    if origin is Literal:
        return " | ".join(repr(arg) for arg in args)
    if origin is not None:
        inner = ", ".join("..." if arg is Ellipsis else _readable(arg) for arg in args)
        return f"{getattr(origin, '__name__', origin)}[{inner}]"
    return "None" if annotation is type(None) else getattr(annotation, "__name__", str(annotation))


def _document_for_python(model: type[BaseModel]) -> None:
    """Let `help()` show what Python callers write: a signature of the snake_case names
    and their defaults (the camelCase aliases are for stack config), then each field with
    its type, without the validators it carries, and its description."""
    parameters, lines = [], []
    for name, field in model.model_fields.items():
        default = field.get_default(call_default_factory=True)
        shown = default.value if isinstance(default, Enum) else default
        if isinstance(default, BaseModel):  # its own defaults are listed with its fields
            shown = _Shown(f"{type(default).__name__}()")
        required = field.is_required()
        parameters.append(
            inspect.Parameter(
                name,
                inspect.Parameter.KEYWORD_ONLY,
                default=inspect.Parameter.empty if required else shown,
            )
        )
        lines.append(f"      {name}: {_readable(field.annotation)} (stack config: {field.alias})")
        lines.append(
            textwrap.fill(
                str(field.description), 88, initial_indent=" " * 10, subsequent_indent=" " * 10
            )
        )
    setattr(model, "__signature__", inspect.Signature(parameters, return_annotation=None))  # noqa: B010
    fields = "\n".join(lines)
    model.__doc__ = f"{model.__doc__}\n\n    Fields:\n{fields}\n"


_document_for_python(DeploymentOptions)
_document_for_python(Limits)
