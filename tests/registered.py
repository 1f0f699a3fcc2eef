"""An independent, minimal reader of what the program registered, for the tests.

It reads the raw inputs of each registered resource (what the engine hands the
provider) and keeps their whole meaning as :class:`harness.doc_reader.Permission`: the
address family, the protocol exactly as the cloud will see it (``icmpv6`` and
``ipv6-icmp`` stay apart from ``icmp``), the port range or the ICMP type *and* code, and
the peer. It deliberately does not use ``offline.inventory``, whose rows are for
people (they fold ICMPv6 into ICMP and drop the code), so a mistake shared by the program
and its own renderer cannot hide here.

One translation is made, and only where the cloud makes it: pulumi-openstack never sends
a 0 ``port_range_min``/``port_range_max`` (gophercloud's ``omitempty``, explained in
tests/unit/backends/test_openstack.py), so a 0 in the inputs is read as what Neutron then
stores, "any" (None), and an ICMP type 0 as every ICMP type. AWS writes "any" ICMP type
or code as -1, also read as None.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from clearwater_sg.resources import (
    AWS_EGRESS,
    AWS_GROUP,
    AWS_INGRESS,
    OPENSTACK_GROUP,
    OPENSTACK_RULE,
)
from harness.doc_reader import ANY_FAMILY, ANYWHERE, Permission
from offline.runner import Recording, Registered

ROLE_TAG = "clearwater:role"
NETWORK_TAG = "clearwater:network"
# AWS's ICMP protocols, by name or number: their from/to port are a type and a code.
AWS_ICMP = ("icmp", "icmpv6", "1", "58")


@dataclass(frozen=True)
class RegisteredRule:
    permission: Permission
    description: str
    resource: str  # the Pulumi resource name


def tag_map(tags: object) -> dict[str, str]:
    """A group's tags: a map on AWS, "key=value" strings on OpenStack."""
    if isinstance(tags, Mapping):
        return {str(key): str(value) for key, value in tags.items()}
    assert tags is None or isinstance(tags, (list, tuple)), tags
    return dict(str(tag).partition("=")[::2] for tag in tags or ())


def role_of_tags(tags: object) -> str | None:
    """The `clearwater:role` tag, and with split networks `-<clearwater:network>`."""
    found = tag_map(tags)
    role, network = found.get(ROLE_TAG), found.get(NETWORK_TAG)
    return role if role is None or network is None else f"{role}-{network}"


def roles_by_group_id(recording: Recording) -> dict[str, str]:
    """Each registered group's id -> its role (and network); one group for each."""
    roles: dict[str, str] = {}
    for group in recording.resources:
        if group.type not in (AWS_GROUP, OPENSTACK_GROUP):
            continue
        role = role_of_tags(group.inputs.get("tags"))
        assert role, f"{group.name} has no {ROLE_TAG} tag"
        assert role not in roles.values(), f"two groups for role {role}"
        roles[group.id] = role
    return roles


def number(value: object) -> int | None:
    """A whole number from the engine's wire format (floats), exactly."""
    if value is None:
        return None
    assert isinstance(value, (int, float)) and not isinstance(value, bool), value
    assert value == int(value), value
    return int(value)


def peer_of(group_id: object, roles: Mapping[str, str]) -> str:
    return f"group:{roles[str(group_id)]}" if str(group_id) in roles else f"external:{group_id}"


def aws_permission(
    inputs: Mapping[str, Any], direction: str, group: str, roles: Mapping[str, str]
) -> Permission:
    """An `aws.vpc.SecurityGroup{Ingress,Egress}Rule`'s inputs as EC2 will hold them."""
    kinds = ("cidrIpv4", "cidrIpv6", "referencedSecurityGroupId", "prefixListId")
    sources = [k for k in kinds if inputs.get(k)]
    assert len(sources) == 1, f"exactly one source, got {sources}"
    protocol = str(inputs["ipProtocol"])
    low, high = number(inputs.get("fromPort")), number(inputs.get("toPort"))
    if protocol in AWS_ICMP:  # type and code; -1 is any
        low, high = (None if low == -1 else low), (None if high == -1 else high)
    if inputs.get("cidrIpv4"):
        family, peer = "IPv4", str(inputs["cidrIpv4"])
    elif inputs.get("cidrIpv6"):
        family, peer = "IPv6", str(inputs["cidrIpv6"])
    elif inputs.get("prefixListId"):
        family, peer = ANY_FAMILY, f"prefix-list:{inputs['prefixListId']}"
    else:
        family, peer = ANY_FAMILY, peer_of(inputs["referencedSecurityGroupId"], roles)
    return Permission(group, direction, family, protocol, low, high, peer)


def openstack_permission(
    inputs: Mapping[str, Any], group: str, roles: Mapping[str, str]
) -> Permission:
    """An `openstack.networking.SecGroupRule`'s inputs as Neutron will hold them."""
    assert not (inputs.get("remoteIpPrefix") and inputs.get("remoteGroupId")), inputs
    # gophercloud leaves out "" and 0 (omitempty): Neutron never sees them.
    protocol = str(inputs.get("protocol") or "") or None
    low = number(inputs.get("portRangeMin")) or None
    high = number(inputs.get("portRangeMax")) or None
    if inputs.get("remoteGroupId"):
        peer = peer_of(inputs["remoteGroupId"], roles)
    else:
        # Neutron treats no remote as every address of the ethertype, the same rule as
        # 0.0.0.0/0 (::/0): its duplicate check folds the two together.
        ethertype = {"IPv4": 4, "IPv6": 6}[str(inputs["ethertype"])]
        peer = str(inputs.get("remoteIpPrefix") or ANYWHERE[ethertype])
    return Permission(
        group, str(inputs["direction"]), str(inputs["ethertype"]), protocol, low, high, peer
    )


def registered_rules(
    recording: Recording, existing: Mapping[str, str] | None = None
) -> list[RegisteredRule]:
    """Every rule resource of a recording, in registration order. `existing`: the
    stack's existingGroups (group key -> id), groups the recording has no resource of."""
    roles = roles_by_group_id(recording) | {v: k for k, v in (existing or {}).items()}
    found = []
    for resource in recording.resources:
        permission = _permission(resource, roles)
        if permission is not None:
            description = str(resource.inputs.get("description") or "")
            found.append(RegisteredRule(permission, description, resource.name))
    return found


def _permission(resource: Registered, roles: Mapping[str, str]) -> Permission | None:
    if resource.type not in (AWS_INGRESS, AWS_EGRESS, OPENSTACK_RULE):
        return None
    inputs = resource.inputs
    group = roles[str(inputs["securityGroupId"])]
    if resource.type == OPENSTACK_RULE:
        return openstack_permission(inputs, group, roles)
    direction = "ingress" if resource.type == AWS_INGRESS else "egress"
    return aws_permission(inputs, direction, group, roles)


def registered_permissions(
    recording: Recording, existing: Mapping[str, str] | None = None
) -> Counter[Permission]:
    return Counter(rule.permission for rule in registered_rules(recording, existing))
