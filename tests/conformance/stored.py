"""What the clouds actually store, read back as :class:`harness.doc_reader.Permission`, so
that it can be judged against the document rather than against what the program sent.

Peer group ids are mapped back by what the stored groups say about themselves: a
deployment group by its ``clearwater:role`` tag (``group:<role>``); on Neutron, a stand-in
for an existing group the stack names by its name ``external-<id>`` (``external:<id>``,
the id the stack wrote); on EC2, any other group or managed prefix list by its own id
(``external:<id>``: the stack names the real one). Nothing here looks at the recording or
the program: only the server's answers.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from harness.doc_reader import ANY_FAMILY, ANYWHERE, Permission
from harness.local_aws import AwsTarget
from harness.local_openstack import Project
from tests.registered import AWS_ICMP, role_of_tags

if TYPE_CHECKING:
    from harness.engine import Target

EXTERNAL_PREFIX = "external-"


def _peer_labels(
    groups: Mapping[str, tuple[str, object]], existing: Mapping[str, str]
) -> tuple[dict[str, str], dict[str, str]]:
    """(group id -> role of the deployment's groups, group id -> peer label of all)."""
    roles: dict[str, str] = {}
    peers: dict[str, str] = {}
    for group_id, (name, tags) in groups.items():
        role = existing.get(group_id) or role_of_tags(tags)
        if role is not None:
            assert role not in roles.values(), f"two stored groups claim role {role}"
            roles[group_id] = role
            peers[group_id] = f"group:{role}"
        elif name.startswith(EXTERNAL_PREFIX):
            peers[group_id] = f"external:{name.removeprefix(EXTERNAL_PREFIX)}"
    return roles, peers


def neutron_listing_permissions(
    groups: Iterable[Mapping[str, Any]],
    rules: Iterable[Mapping[str, Any]],
    existing: Mapping[str, str] | None = None,
) -> Counter[Permission]:
    """Every rule of a Neutron listing in the deployment's groups (those with a role tag,
    and the groups a test made as `existing` groups: id -> group key; Neutron's own
    ``default`` group and the stand-ins are not the deployment's). The listing is
    Neutron's JSON as any client receives it."""
    named = {
        str(group["id"]): (str(group["name"]), list(group.get("tags") or ())) for group in groups
    }
    roles, peers = _peer_labels(named, existing or {})
    found: Counter[Permission] = Counter()
    for rule in rules:
        group = rule["security_group_id"]
        if group not in roles:
            continue
        remote = rule.get("remote_group_id")
        if remote:
            peer = peers.get(remote, f"unknown-group:{remote}")
        else:
            # Neutron treats no remote and 0.0.0.0/0 (::/0) as the same rule.
            number = {"IPv4": 4, "IPv6": 6}[rule["ethertype"]]
            peer = rule.get("remote_ip_prefix") or ANYWHERE[number]
        found[
            Permission(
                group=roles[group],
                direction=rule["direction"],
                family=rule["ethertype"],
                protocol=rule.get("protocol"),
                low=rule.get("port_range_min"),
                high=rule.get("port_range_max"),
                peer=peer,
            )
        ] += 1
    return found


def ec2_permissions(
    target: AwsTarget, existing: Mapping[str, str] | None = None
) -> Counter[Permission]:
    """Every permission EC2 holds in the VPC's deployment groups (those with a role tag,
    and the groups a test made as `existing` groups: id -> group key), one per source:
    EC2 may list several sources under one IpPermission."""
    described, _ = target.listing()
    groups = {
        group["GroupId"]: (
            group["GroupName"],
            {tag["Key"]: tag["Value"] for tag in group.get("Tags", [])},
        )
        for group in described
    }
    roles, _ = _peer_labels(groups, existing or {})
    peers = {group_id: f"group:{role}" for group_id, role in roles.items()}
    found: Counter[Permission] = Counter()
    for group in described:
        role = roles.get(group["GroupId"])
        if role is None:
            continue
        listed: tuple[tuple[str, Any], ...] = (
            ("ingress", group.get("IpPermissions", [])),
            ("egress", group.get("IpPermissionsEgress", [])),
        )
        for direction, permissions in listed:
            for permission in permissions:
                protocol = str(permission["IpProtocol"])
                low, high = permission.get("FromPort"), permission.get("ToPort")
                if protocol in AWS_ICMP:  # type and code; -1 is any
                    low, high = (None if low == -1 else low), (None if high == -1 else high)
                sources = [
                    *(("IPv4", r["CidrIp"]) for r in permission.get("IpRanges", [])),
                    *(("IPv6", r["CidrIpv6"]) for r in permission.get("Ipv6Ranges", [])),
                    *(
                        (ANY_FAMILY, peers.get(p["GroupId"], f"external:{p['GroupId']}"))
                        for p in permission.get("UserIdGroupPairs", [])
                    ),
                    *(
                        (ANY_FAMILY, f"external:{p['PrefixListId']}")
                        for p in permission.get("PrefixListIds", [])
                    ),
                ]
                for family, peer in sources:
                    found[Permission(role, direction, family, protocol, low, high, peer)] += 1
    return found


def project_permissions(
    project: Project, existing: Mapping[str, str] | None = None
) -> Counter[Permission]:
    """What the deployment's groups in a project let through, read from Neutron alone
    (`existing`: the ids of groups the test made by hand for the stack's existingGroups,
    -> their group keys)."""
    return neutron_listing_permissions(*project.listing(), existing)


def stored_permissions(
    target: Target, existing: Mapping[str, str] | None = None
) -> Counter[Permission]:
    """What the deployment's groups at a target let through, read from its cloud alone."""
    if isinstance(target, AwsTarget):
        return ec2_permissions(target, existing)
    assert isinstance(target, Project), target
    return project_permissions(target, existing)
