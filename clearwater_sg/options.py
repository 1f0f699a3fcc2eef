"""The validated description of one Clearwater deployment: what the planner consumes.

Field names are snake_case for Python callers; each has the camelCase alias that stack
configuration uses (`ipVersion`, `sshSources`, ...), and validation errors name the alias,
so a message points at the key the operator actually wrote.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
from enum import StrEnum
from typing import Any, Literal

import pulumi
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PositiveInt,
    StrictBool,
    ValidationInfo,
    field_validator,
)
from pydantic.alias_generators import to_camel

from clearwater_sg.roles import DEFAULT_DISTRIBUTED_ROLES, DISTRIBUTED_ROLES, Role


class Cloud(StrEnum):
    AWS = "aws"
    OPENSTACK = "openstack"


class Deployment(StrEnum):
    DISTRIBUTED = "distributed"
    ALL_IN_ONE = "all-in-one"


Family = Literal[4, 6]


class IpVersion(StrEnum):
    V4 = "4"
    V6 = "6"
    DUAL = "dual"

    @property
    def families(self) -> tuple[Family, ...]:
        return _FAMILIES[self]


_FAMILIES: dict[IpVersion, tuple[Family, ...]] = {
    IpVersion.V4: (4,),
    IpVersion.V6: (6,),
    IpVersion.DUAL: (4, 6),
}
ANY_ADDRESS = {4: "0.0.0.0/0", 6: "::/0"}

# What an existing security group's id looks like, per cloud, for sshSources/snmpSources.
_GROUP_ID = {
    Cloud.AWS: re.compile(r"^sg-[0-9a-f]{8}([0-9a-f]{9})?$"),
    Cloud.OPENSTACK: re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"),
}
_GROUP_ID_EXAMPLE = {
    Cloud.AWS: "sg-0123456789abcdef0",
    Cloud.OPENSTACK: "a security group UUID",
}
# A label must not be mistaken for a group id in rule names, hence no "sg-" start.
_LABEL = re.compile(r"^(?!sg-)[a-z][a-z0-9-]{0,39}$")
_VPC_ID = re.compile(r"^vpc-[0-9a-f]{8}([0-9a-f]{9})?$")
_NAME_PREFIX = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")
# Tags the component sets itself; an operator's tag must not silently replace them.
RESERVED_TAG_KEYS = ("clearwater:role", "Name")


def families_of(info: ValidationInfo) -> tuple[int, ...]:
    version = info.data.get("ip_version")
    return version.families if isinstance(version, IpVersion) else (4, 6)


def _parse_cidr(entry: str, info: ValidationInfo) -> str:
    """A CIDR in canonical form, or a ValueError that says what is wrong with it."""
    try:
        network = ipaddress.ip_network(entry, strict=True)
    except ValueError as exc:
        try:
            loose = ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise ValueError(f"{entry!r} is not a CIDR ({exc})") from None
        raise ValueError(f"{entry!r} has host bits set; did you mean {loose}?") from None
    if "/" not in entry:
        raise ValueError(f"{entry!r} has no prefix length; write it as {network}")
    allowed = families_of(info)
    if network.version not in allowed:
        ip_version = info.data.get("ip_version")
        raise ValueError(
            f"{entry!r} is an IPv{network.version} CIDR but ipVersion is {ip_version}; "
            f"allowed: IPv{' and IPv'.join(map(str, allowed))} CIDRs "
            "(set ipVersion to dual to use both families)"
        )
    return str(network)


def is_cidr(entry: str) -> bool:
    """Whether a validated source entry is a CIDR; otherwise it is a security group id."""
    try:
        ipaddress.ip_network(entry)
    except ValueError:
        return False
    return True


def _looks_like_an_address(entry: str) -> bool:
    return "/" in entry or (
        bool(re.fullmatch(r"[0-9.:a-fA-F]+", entry)) and any(c in entry for c in ".:")
    )


def _unique(entries: tuple[str, ...], what: str) -> tuple[str, ...]:
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        if entry in seen:
            raise ValueError(f"[{index}] {entry!r} is listed twice; list each {what} once")
        seen.add(entry)
    return entries


class Limits(BaseModel):
    """The target's limits the plan must fit; defaults are the clouds' own defaults.

    Operators who had a quota raised set the new value here, so the pre-flight agrees
    with their account.
    """

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True
    )

    # AWS: inbound rules per group and, separately, outbound rules per group, each per family.
    rules_per_group: PositiveInt = 60
    # AWS: security groups per network interface.
    groups_per_interface: PositiveInt = 5
    # OpenStack (Neutron) project quotas.
    security_groups: PositiveInt = 10
    security_group_rules: PositiveInt = 100


class DeploymentOptions(BaseModel):
    """Everything that decides which security groups and rules a deployment gets."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        arbitrary_types_allowed=True,
    )

    # Declaration order matters: later validators read earlier fields from `info.data`.
    cloud: Cloud
    deployment: Deployment = Deployment.DISTRIBUTED
    ip_version: IpVersion = IpVersion.V4
    vpc_id: str | pulumi.Output[str] | None = Field(default=None, validate_default=True)
    roles: tuple[Role, ...] = Field(default=(), validate_default=True)
    memento: StrictBool = False
    hss: StrictBool = False
    world_cidrs: tuple[str, ...] = Field(default=(), validate_default=True)
    # Groups whose ids exist only at deploy time (a bastion created in the same program),
    # by a label that names their rules: {"bastion": bastion_sg.id}.
    ssh_source_groups: dict[str, str | pulumi.Output[str]] = Field(default_factory=dict)
    snmp_source_groups: dict[str, str | pulumi.Output[str]] = Field(default_factory=dict)
    ssh_sources: tuple[str, ...] = Field(default=(), validate_default=True)
    snmp_sources: tuple[str, ...] = ()
    name_prefix: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    protect: StrictBool = False
    limits: Limits = Field(default_factory=Limits)

    @field_validator("ip_version", mode="before")
    @classmethod
    def _ip_version_may_be_a_number(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @field_validator("vpc_id")
    @classmethod
    def _vpc_matches_cloud(
        cls, value: str | pulumi.Output[str] | None, info: ValidationInfo
    ) -> Any:
        cloud = info.data.get("cloud")
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
        if isinstance(value, str) and not _VPC_ID.match(value):
            raise ValueError(f"{value!r} is not a VPC id; expected vpc- and 8 or 17 hex digits")
        return value

    @field_validator("roles", mode="before")
    @classmethod
    def _roles_fit_deployment(cls, value: Any, info: ValidationInfo) -> Any:
        deployment = info.data.get("deployment")
        given = value not in (None, ())
        if deployment is Deployment.ALL_IN_ONE:
            if given:
                raise ValueError(
                    "roles applies to distributed deployments only; an all-in-one deployment "
                    "always has the all-nodes and all-in-one groups (remove roles)"
                )
            return (Role.ALL_IN_ONE,)
        if value is None or value == ():
            return DEFAULT_DISTRIBUTED_ROLES
        if isinstance(value, str) or not isinstance(value, (list, tuple)):
            raise ValueError("must be a list of role names")
        if not value:
            raise ValueError(
                "is empty; list the roles that have nodes, from: " + ", ".join(DISTRIBUTED_ROLES)
            )
        allowed = [str(role) for role in DISTRIBUTED_ROLES]
        for index, role in enumerate(value):
            if role in (Role.ALL_NODES, Role.ALL_IN_ONE):
                raise ValueError(
                    f"[{index}] {role!r} is not listed in roles: all-nodes is always created, "
                    "and all-in-one is chosen with deployment: all-in-one"
                )
            if role not in allowed:
                close = difflib.get_close_matches(str(role), allowed, n=1)
                hint = f"did you mean {close[0]!r}? " if close else ""
                raise ValueError(
                    f"[{index}] {role!r} is not a Clearwater role; {hint}allowed: "
                    + ", ".join(allowed)
                )
        _unique(tuple(value), "role")
        return tuple(value)

    @field_validator("memento", "hss")
    @classmethod
    def _toggle_fits_deployment(cls, value: bool, info: ValidationInfo) -> bool:
        if value and info.data.get("deployment") is Deployment.ALL_IN_ONE:
            raise ValueError(
                "applies to distributed deployments only: on an all-in-one node these flows "
                "stay inside the node, and its group already opens TCP/443 to the world"
            )
        return value

    @field_validator("world_cidrs")
    @classmethod
    def _world_is_cidrs(cls, value: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        if not value:
            return tuple(ANY_ADDRESS[family] for family in families_of(info))
        parsed = []
        for index, entry in enumerate(value):
            try:
                parsed.append(_parse_cidr(entry, info))
            except ValueError as exc:
                raise ValueError(f"[{index}] {exc}") from None
        return _unique(tuple(parsed), "CIDR")

    @field_validator("ssh_sources")
    @classmethod
    def _ssh_defaults_to_world(
        cls, value: tuple[str, ...], info: ValidationInfo
    ) -> tuple[str, ...]:
        if not value and not info.data.get("ssh_source_groups"):
            # The document opens SSH "to the world"; an operator narrows it here.
            world = info.data.get("world_cidrs")
            return world if world is not None else ()
        return cls._sources(value, info)

    @field_validator("snmp_sources")
    @classmethod
    def _snmp_sources(cls, value: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        return cls._sources(value, info)

    @staticmethod
    def _sources(value: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        cloud = info.data.get("cloud")
        parsed = []
        for index, entry in enumerate(value):
            if isinstance(cloud, Cloud) and _GROUP_ID[cloud].match(entry):
                parsed.append(entry)
                continue
            if not _looks_like_an_address(entry):
                example = _GROUP_ID_EXAMPLE.get(cloud, "a security group id")  # type: ignore[arg-type]
                raise ValueError(
                    f"[{index}] {entry!r} is neither a CIDR nor a security group id "
                    f"(allowed: a CIDR such as 10.0.0.0/8, or {example})"
                )
            try:
                parsed.append(_parse_cidr(entry, info))
            except ValueError as exc:
                raise ValueError(f"[{index}] {exc}") from None
        return _unique(tuple(parsed), "source")

    @field_validator("ssh_source_groups", "snmp_source_groups")
    @classmethod
    def _labelled_groups(
        cls, value: dict[str, str | pulumi.Output[str]], info: ValidationInfo
    ) -> dict[str, str | pulumi.Output[str]]:
        cloud = info.data.get("cloud")
        other = (
            info.data.get("ssh_source_groups", {})
            if info.field_name == "snmp_source_groups"
            else {}
        )
        for label, group_id in value.items():
            if label in other and other[label] is not group_id:
                raise ValueError(f"label {label!r} names a different group in sshSourceGroups")
            if not _LABEL.match(label) or label in {role.value for role in Role}:
                raise ValueError(
                    f"label {label!r} must be 1-40 lowercase letters, digits or '-', "
                    "not a role name, and not shaped like a group id"
                )
            if (
                isinstance(group_id, str)
                and isinstance(cloud, Cloud)
                and not _GROUP_ID[cloud].match(group_id)
            ):
                raise ValueError(
                    f"{label}: {group_id!r} is not a security group id "
                    f"(allowed: {_GROUP_ID_EXAMPLE[cloud]})"
                )
        return value

    @field_validator("name_prefix")
    @classmethod
    def _name_prefix_is_a_name(cls, value: str | None) -> str | None:
        if value is not None and not _NAME_PREFIX.match(value):
            raise ValueError(
                f"{value!r} is not a usable name prefix; allowed: 1-63 letters, digits, "
                "'.', '_' or '-', starting with a letter or digit"
            )
        return value

    @field_validator("tags")
    @classmethod
    def _tags_are_the_operators(cls, value: dict[str, str]) -> dict[str, str]:
        for key in value:
            if key in RESERVED_TAG_KEYS or key.lower().startswith("aws:"):
                raise ValueError(
                    f"tag {key!r} is reserved (the component sets clearwater:role and Name; "
                    "AWS reserves aws:*)"
                )
        return value

    @property
    def families(self) -> tuple[Family, ...]:
        return self.ip_version.families

    @property
    def source_group_ids(self) -> dict[str, str | pulumi.Output[str]]:
        """Every group from outside the deployment a rule may reference, by its plan ref."""
        written = [entry for entry in (*self.ssh_sources, *self.snmp_sources) if not is_cidr(entry)]
        return {
            **{group_id: group_id for group_id in written},
            **self.ssh_source_groups,
            **self.snmp_source_groups,
        }

    @property
    def groups(self) -> tuple[Role, ...]:
        """Every group this deployment gets: the shared all-nodes group, then the roles."""
        return (Role.ALL_NODES, *self.roles)
