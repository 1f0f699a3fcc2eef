"""One rule, one type: the single-value checks of the settings, as reusable pydantic types.

Each type validates one value and reports its own location, so an error in the third
entry of `sshSources` is reported at `sshSources[2]`. Checks that depend on an earlier
setting (the cloud, the IP version) read it from the model's data validated so far;
`DeploymentOptions` declares those settings first. Every pattern matches the whole
string: a trailing newline is refused, never passed on to a cloud API.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
import unicodedata
from collections.abc import Callable, Sequence
from enum import StrEnum
from typing import Annotated, Any, Literal, get_args

import pulumi
from pydantic import (
    AfterValidator,
    BeforeValidator,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    WrapValidator,
)
from pydantic_core import ErrorDetails, InitErrorDetails, PydanticCustomError

from clearwater_sg.roles import DISTRIBUTED_ROLES, Role
from clearwater_sg.world import internet_block


class Cloud(StrEnum):
    AWS = "aws"
    OPENSTACK = "openstack"


Family = Literal[4, 6]
# With `networks: split`, one of the two networks every node has an interface on.
Network = Literal["management", "signaling"]
SPLIT_NETWORKS: tuple[Network, ...] = get_args(Network)


def group_key(role: Role, network: Network | None) -> str:
    """A group's key: its role, or with split networks "<role>-<network>"."""
    return role.value if network is None else f"{role.value}-{network}"


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
ANY_ADDRESS: dict[Family, str] = {4: "0.0.0.0/0", 6: "::/0"}

# What an existing security group's id looks like, per cloud.
GROUP_ID_PATTERN = {
    Cloud.AWS: re.compile(r"sg-[0-9a-f]{8}(?:[0-9a-f]{9})?"),
    Cloud.OPENSTACK: re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"),
}
GROUP_ID_EXAMPLE = {Cloud.AWS: "sg-0123456789abcdef0", Cloud.OPENSTACK: "a security group UUID"}
# An AWS managed prefix list: a named set of CIDRs a rule can admit as one source.
PREFIX_LIST = re.compile(r"pl-[0-9a-f]{8}(?:[0-9a-f]{9})?")
_VPC_ID = re.compile(r"vpc-[0-9a-f]{8}(?:[0-9a-f]{9})?")
_LABEL = re.compile(r"[a-z][a-z0-9-]{0,39}")
_NAME_PREFIX = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}")

# Tags the component sets itself; an operator's tag must not silently replace them.
RESERVED_TAG_KEYS = ("clearwater:role", "clearwater:network", "Name")
# AWS: 50 tags per resource, keys 1-128 characters, values up to 256, no aws: prefix.
# Neutron: each tag is one string of at most 255 characters; the component writes
# "key=value", so a key must not contain "=" (the role tag would no longer read back).
AWS_MAX_TAGS = 50
AWS_TAG_KEY_MAX = 128
AWS_TAG_VALUE_MAX = 256
NEUTRON_TAG_MAX = 255
NEUTRON_MAX_TAGS = 50


def _setting(info: ValidationInfo, name: str) -> Any:
    """An earlier setting: from the model validated so far, or, inside a nested model
    (an extra rule), from the validation context the deployment passes down."""
    data = info.data if isinstance(info.data, dict) else {}
    return data.get(name, (info.context or {}).get(name))


def cloud_of(info: ValidationInfo) -> Cloud | None:
    cloud = _setting(info, "cloud")
    return cloud if isinstance(cloud, Cloud) else None


def families_of(info: ValidationInfo) -> tuple[Family, ...]:
    version = _setting(info, "ip_version")
    return version.families if isinstance(version, IpVersion) else (4, 6)


def _text(value: Any) -> Any:
    """Refuse numbers and booleans where text is meant, rather than coercing them."""
    if not isinstance(value, str):
        raise ValueError(f"must be text, got {value!r}")
    return value


def _cidr(entry: str, info: ValidationInfo) -> str:
    """A CIDR of a family in use, in canonical form."""
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
    if isinstance(network, ipaddress.IPv6Network) and _embeds_ipv4(network):
        raise ValueError(
            f"{entry!r} is an IPv6 prefix that embeds IPv4 addresses (::ffff:0:0/96 or "
            "::/96): it never matches IPv4 traffic, and clouds store it in other text "
            "than they were sent, a change on every run: use the IPv4 CIDR"
        )
    allowed = families_of(info)
    if network.version not in allowed:
        raise ValueError(
            f"{entry!r} is an IPv{network.version} CIDR but ipVersion is "
            f"{_setting(info, 'ip_version')}; allowed: IPv{' and IPv'.join(map(str, allowed))} "
            "CIDRs (set ipVersion to dual to use both families)"
        )
    return str(network)


_MAPPED = ipaddress.IPv6Network("::ffff:0:0/96")
_COMPATIBLE = ipaddress.IPv6Network("::/96")


def _embeds_ipv4(network: ipaddress.IPv6Network) -> bool:
    """An IPv4-mapped prefix, or an IPv4-compatible one written in dotted form by the C
    library Neutron formats addresses with (96 zero bits, then a word that is not:
    `::16:0` is stored as `::0.22.0.0`; `::`, `::1` and `::/n` are not)."""
    address = int(network.network_address)
    return network.subnet_of(_MAPPED) or (network.subnet_of(_COMPATIBLE) and address >= 1 << 16)


def _group_id(entry: str, info: ValidationInfo) -> str:
    cloud = cloud_of(info)
    clouds = (cloud,) if cloud else tuple(Cloud)
    if not any(GROUP_ID_PATTERN[each].fullmatch(entry) for each in clouds):
        example = GROUP_ID_EXAMPLE[cloud] if cloud else "a security group id"
        raise ValueError(f"{entry!r} is not a security group id (allowed: {example})")
    return entry


def is_group_id(entry: str) -> bool:
    """Whether text is shaped like either cloud's security group id."""
    return any(pattern.fullmatch(entry) for pattern in GROUP_ID_PATTERN.values())


def _source(entry: str, info: ValidationInfo) -> str:
    """A CIDR, or an existing security group of this cloud."""
    cloud = cloud_of(info)
    if cloud and GROUP_ID_PATTERN[cloud].fullmatch(entry):
        return entry
    if PREFIX_LIST.fullmatch(entry):
        if cloud is Cloud.OPENSTACK:
            raise ValueError(f"{entry!r} is an AWS managed prefix list; OpenStack has none")
        return entry
    if not re.fullmatch(r"[0-9a-fA-F.:/]+", entry) or not any(c in entry for c in ".:"):
        example = GROUP_ID_EXAMPLE[cloud] if cloud else "a security group id"
        raise ValueError(
            f"{entry!r} is neither a CIDR nor a security group id "
            f"(allowed: a CIDR such as 10.0.0.0/8, or {example}"
            + (", or a managed prefix list pl-…)" if cloud is not Cloud.OPENSTACK else ")")
        )
    return _cidr(entry, info)


def _own_source(entry: str, info: ValidationInfo) -> str:
    """A source that names our own hosts (a peer site's nodes, management hosts): a CIDR
    that holds even one globally reachable address would open internal ports to the
    internet under a name that says otherwise."""
    source = _source(entry, info)
    network = ipaddress.ip_network(source) if is_cidr(source) else None
    block = internet_block(network) if network is not None else None
    if block is not None:
        raise ValueError(
            f"{entry!r} includes globally reachable addresses ({block}): this setting names "
            "your own hosts, never the internet; write their own prefixes (private, or your "
            "public block narrowed to those hosts), or a security group id"
        )
    return source


def is_prefix_list(entry: str) -> bool:
    return bool(PREFIX_LIST.fullmatch(entry))


def is_cidr(entry: str) -> bool:
    """Whether a validated source is a CIDR; otherwise it is a security group id."""
    try:
        ipaddress.ip_network(entry)
    except ValueError:
        return False
    return True


def _prefix_list(value: str) -> str:
    if not PREFIX_LIST.fullmatch(value):
        raise ValueError(f"{value!r} is not a managed prefix list id (pl- and 8 or 17 hex digits)")
    return value


def _vpc_id(value: str) -> str:
    if not _VPC_ID.fullmatch(value):
        raise ValueError(f"{value!r} is not a VPC id; expected vpc- and 8 or 17 hex digits")
    return value


def _label(label: str) -> str:
    """A label names rules; it must never be read as a group id or a role."""
    if (
        not _LABEL.fullmatch(label)
        or label.startswith("sg-")
        or is_group_id(label)
        or label in {role.value for role in Role}
    ):
        raise ValueError(
            f"label {label!r} must be 1-40 lowercase letters, digits or '-' starting with a "
            "letter, not a role name, and not shaped like a group id (no sg- start, no UUID)"
        )
    return label


def _name_prefix(value: str, info: ValidationInfo) -> str:
    return check_name_prefix(value, cloud_of(info))


def check_name_prefix(value: str, cloud: Cloud | None) -> str:
    """A prefix every cloud accepts in group names, or a ValueError that says why not."""
    if not _NAME_PREFIX.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a usable name prefix; allowed: 1-63 letters, digits, "
            "'.', '_' or '-', starting with a letter or digit"
        )
    if cloud is Cloud.AWS and value.lower().startswith("sg-"):
        raise ValueError(
            f"{value!r}: AWS refuses security group names that start with sg-; "
            "choose a prefix that does not"
        )
    return value


def _role(value: Any) -> Role:
    role = _text(value)
    allowed = [str(each) for each in DISTRIBUTED_ROLES]
    if role in (Role.ALL_NODES, Role.ALL_IN_ONE):
        raise ValueError(
            f"{role!r} is not listed in roles: all-nodes is always created, "
            "and all-in-one is chosen with deployment: all-in-one"
        )
    if role not in allowed:
        close = difflib.get_close_matches(role, allowed, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise ValueError(f"{role!r} is not a Clearwater role; {hint}allowed: {', '.join(allowed)}")
    return Role(role)


def _tag_key(key: str, info: ValidationInfo) -> str:
    if key in RESERVED_TAG_KEYS or key.lower().startswith("aws:"):
        raise ValueError(
            f"tag {key!r} is reserved (the component sets {', '.join(RESERVED_TAG_KEYS)}; "
            "AWS reserves aws:*)"
        )
    if not 1 <= len(key) <= AWS_TAG_KEY_MAX:
        raise ValueError(f"tag key {key!r} must be 1-{AWS_TAG_KEY_MAX} characters")
    if cloud_of(info) is Cloud.OPENSTACK and "=" in key:
        raise ValueError(
            f"tag key {key!r} contains '='; Neutron tags are stored as key=value, so the "
            "key could not be read back: remove the '='"
        )
    return key


def _tag_value(value: str) -> str:
    if len(value) > AWS_TAG_VALUE_MAX:
        raise ValueError(f"is {len(value)} characters; a tag value may have {AWS_TAG_VALUE_MAX}")
    return value


def _or_output(check: Callable[[str, ValidationInfo], str]) -> Callable[[Any, ValidationInfo], Any]:
    """A check for text that also lets a pulumi.Output through (known only at deploy time)."""

    def validate(value: Any, info: ValidationInfo) -> Any:
        return value if isinstance(value, pulumi.Output) else check(_text(value), info)

    return validate


group_id_or_output = _or_output(_group_id)
vpc_id_or_output = _or_output(lambda value, _: _vpc_id(value))

_PORTS = re.compile(r"([0-9]{1,5})(?:-([0-9]{1,5}))?")
# EC2's characters for rule descriptions; Neutron takes any, so the stricter set serves both.
_RULE_DESCRIPTION = re.compile(r"[a-zA-Z0-9 ._\-:/()#,@\[\]+=&;{}!$*]{1,200}")


def _port_range(value: str) -> str:
    match = _PORTS.fullmatch(value)
    first, last = (int(match.group(1)), int(match.group(2) or match.group(1))) if match else (0, 0)
    if not match or not 1 <= first <= last <= 65535:
        raise ValueError(f"{value!r} is not a port or a range such as 5053 or 32768-65535")
    # As the rule's name and the cloud have it: 00080 and 80-80 are 80.
    return str(first) if first == last else f"{first}-{last}"


def _rule_description(value: str) -> str:
    if not _RULE_DESCRIPTION.fullmatch(value):
        raise ValueError(
            f"{value!r}: a rule description is 1-200 characters of a-z, A-Z, 0-9, spaces "
            "and ._-:/()#,@[]+=&;{}!$* (what AWS accepts)"
        )
    return value


def _one_line(value: str) -> str:
    """Free text shows in consoles, tables and reviews: no control or format characters
    (newlines, escapes, bidirectional overrides) that could break or hide what follows."""
    hidden = sorted({repr(c) for c in value if unicodedata.category(c) in ("Cc", "Cf")})
    if hidden:
        raise ValueError(
            f"contains control characters ({', '.join(hidden)}); write one line of printable text"
        )
    return value


Cidr = Annotated[str, BeforeValidator(_text), AfterValidator(_cidr)]
FreeText = Annotated[str, BeforeValidator(_text), AfterValidator(_one_line)]
Source = Annotated[str, BeforeValidator(_text), AfterValidator(_source)]
OwnSource = Annotated[str, BeforeValidator(_text), AfterValidator(_own_source)]
PrefixListId = Annotated[str, BeforeValidator(_text), AfterValidator(_prefix_list)]
Label = Annotated[str, BeforeValidator(_text), AfterValidator(_label)]
NamePrefix = Annotated[str, BeforeValidator(_text), AfterValidator(_name_prefix)]
RoleName = Annotated[Role, BeforeValidator(_role)]
TagKey = Annotated[str, BeforeValidator(_text), AfterValidator(_tag_key)]
TagValue = Annotated[str, BeforeValidator(_text), AfterValidator(_tag_value)]
PortRange = Annotated[str, BeforeValidator(_text), AfterValidator(_port_range)]
RuleDescription = Annotated[str, BeforeValidator(_text), AfterValidator(_rule_description)]


Location = tuple[str | int, ...]


Problem = tuple[Location, str, Any]  # where below the field, what is wrong, the value
Check = Callable[[Any, ValidationInfo], list[Problem]]

# A setting, or an entry of one, given as null (None): refused on every path, since a
# null read as "absent" would take the default, which may open more than was meant.
NO_VALUE = "has no value (null): give it a value ([] for an empty list), or leave it out"


def found_in(
    value: Any, wanted: Callable[[Any], bool], at: Location = ()
) -> list[tuple[Location, Any]]:
    """Where in a value, through its maps and lists, `wanted` holds, and what is there."""
    if wanted(value):
        return [(at, value)]
    if isinstance(value, dict):
        return [found for k, v in value.items() for found in found_in(v, wanted, (*at, k))]
    if isinstance(value, (list, tuple)):
        return [found for i, v in enumerate(value) for found in found_in(v, wanted, (*at, i))]
    return []


def key_path(location: Location) -> str:
    """A location as a stack file or a program names it: `roles[0]`, `limits.rulesPerGroup`."""
    return "".join(
        f"[{part}]" if isinstance(part, int) else f".{part}" if index else str(part)
        for index, part in enumerate(location)
    )


def refuse(
    problems: list[Problem], failed: ValidationError | Sequence[ErrorDetails] | None = None
) -> None:
    """Report problems found by a validator at their own locations below its field, with
    the errors of the entries that `failed` their own types, if any.

    pydantic merges a ValidationError raised inside a validator into the model's, each
    location prefixed with the field's: `refuse([((2,), "listed twice", "bono")])` in the
    roles validator is reported at `roles[2]`.
    """
    details = [
        InitErrorDetails(
            type=PydanticCustomError(str(error["type"]), "{message}", {"message": error["msg"]}),
            loc=error["loc"],
            input=error["input"],
        )
        for error in (failed.errors() if isinstance(failed, ValidationError) else failed or [])
    ] + [
        InitErrorDetails(
            type=PydanticCustomError("invalid", "{message}", {"message": message}),
            loc=location,
            input=value,
        )
        for location, message, value in problems
    ]
    if details:
        raise ValidationError.from_exception_data("DeploymentOptions", details)


def checked_whole(check: Check, shape: type | tuple[type, ...] = (list, tuple)) -> WrapValidator:
    """A check of a whole list (or map: `shape=dict`) that runs even when some entries
    fail their own types (on the entries as written, then): every mistake is reported in
    one round."""

    def validate(value: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo) -> Any:
        try:
            result = handler(value)
        except ValidationError as failed:
            if isinstance(value, shape):
                refuse(check(value, info), failed)
            raise
        refuse(check(result, info))
        return result

    return WrapValidator(validate)


def _repeats(entries: Any, info: ValidationInfo) -> list[Problem]:
    seen: set[Any] = set()
    problems: list[Problem] = []
    for index, entry in enumerate(entries):
        if isinstance(entry, str) and entry in seen:
            problems.append(((index,), f"{str(entry)!r} is listed twice; list it once", entry))
        seen.add(entry if isinstance(entry, str) else id(entry))
    return problems


Unique = checked_whole(_repeats)
