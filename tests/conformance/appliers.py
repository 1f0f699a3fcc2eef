"""Apply what the program registered to moto's EC2, request by request, the way
pulumi-aws would, and read back what EC2 stored: a model of pulumi-aws, for AWS only.

pulumi-aws cannot be built here (it needs a patched local source tree of
terraform-provider-aws), so the real engine cannot ask it. These are the questions only
this model answers, each with what the model assumes of terraform-provider-aws:

* which EC2 calls a registration becomes: ``aws:ec2/securityGroup:SecurityGroup`` ->
  ``CreateSecurityGroup`` (GroupName, Description, VpcId, TagSpecifications), then
  ``RevokeSecurityGroupEgress`` of AWS's default allow-all egress, IPv4 then IPv6 (the
  IPv6 revoke may find nothing); ``aws:vpc/securityGroup{Ingress,Egress}Rule`` ->
  ``Authorize...`` with one IpPermission, the description on its one source;
* whether EC2 (moto) accepts each of those calls and stores what was sent;
* the read-back the AWS conformance tests judge against the document.

The OpenStack side is not modelled any more: pulumi-resource-openstack is built and run
by the engine tests (tests/engine), which ask the real provider what it sends.

The source of truth is a :class:`~offline.runner.Recording` of the real program
(`__main__.py` under the SDK's mock engine). Fake ids from the mock run (groups, the
VPC, existing groups a stack references) are mapped to the ids the server returns; an id
with no mapping is an error, never sent. An input key this module does not know how to
translate is an error: a backend that starts sending a new field must be taught here.
"""

from __future__ import annotations

import dataclasses
import functools
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from botocore.exceptions import ClientError

from clearwater_sg.live.aws import AwsReader
from clearwater_sg.permission import OutsideGroup, Permission
from clearwater_sg.resources import AWS_EGRESS, AWS_GROUP, AWS_INGRESS
from clearwater_sg.stack_file import config_string, load_stack
from harness import PROJECT_DIR, run_main
from harness.largest import largest
from harness.servers import MotoServer
from offline.inventory import inventory
from offline.runner import Recording, Registered, run_stack

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client
    from mypy_boto3_ec2.type_defs import (
        IpPermissionUnionTypeDef,
        IpRangeTypeDef,
        Ipv6RangeTypeDef,
        SecurityGroupTypeDef,
        TagTypeDef,
        UserIdGroupPairTypeDef,
    )

JSON = dict[str, Any]

# ==========================================================================
# What to apply: the bundled stacks and the largest configuration

STACKS_DIR: Final = PROJECT_DIR / "stacks"
PROJECT: Final = "clearwater-sg"


def stack_files(cloud: str) -> list[Path]:
    """Every bundled stack file whose cloud is `cloud`."""
    return [
        path
        for path in sorted(STACKS_DIR.glob("Pulumi.*.yaml"))
        if load_stack(path).config.get(f"{PROJECT}:cloud") == cloud
    ]


def stack_name(path: Path) -> str:
    return path.name.removeprefix("Pulumi.").rsplit(".", 1)[0]


def case_names(cloud: str) -> list[str]:
    """The cases every conformance test covers: each stack of the cloud, the largest."""
    return [f"stack-{stack_name(path)}" for path in stack_files(cloud)] + [f"largest-{cloud}"]


@functools.cache
def case_config(name: str) -> dict[str, str]:
    """The project's config of a case, as the program receives it (key -> text)."""
    if name.startswith("stack-"):
        config = load_stack(STACKS_DIR / f"Pulumi.{name.removeprefix('stack-')}.yaml").config
    else:
        config = {f"{PROJECT}:{key}": value for key, value in largest_config(name).items()}
    return {
        key.removeprefix(f"{PROJECT}:"): value
        for key, value in config.items()
        if key.startswith(f"{PROJECT}:")
    }


def largest_config(name: str) -> dict[str, str]:
    """The largest configuration (harness/largest.py), dual stack, as text."""
    config = largest(name.removeprefix("largest-"), "dual")
    return {key: config_string(value) for key, value in config.items()}


@functools.cache
def recording_of(name: str) -> Recording:
    """What the real program registers for a case (cached: runs take ~1 s)."""
    if name.startswith("stack-"):
        _, recording = run_stack(STACKS_DIR / f"Pulumi.{name.removeprefix('stack-')}.yaml")
        return recording
    return run_main(largest_config(name))


# ==========================================================================
# Shared helpers


class ApplyError(Exception):
    """A request for one registered resource was refused (or could not be built)."""

    def __init__(self, resource: Registered, step: str, cause: Exception) -> None:
        super().__init__(f"{resource.name} ({resource.type}): {step}: {cause}")
        self.resource = resource
        self.step = step
        self.cause = cause


def _check_keys(resource: Registered, known: Iterable[str]) -> None:
    unknown = sorted(set(resource.inputs) - set(known))
    if unknown:
        raise ApplyError(
            resource,
            "translate",
            KeyError(f"input(s) {unknown} have no translation in tests/conformance/appliers.py"),
        )


def _int(value: object) -> int | None:
    """A number from the engine's wire format (floats), exactly."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value):
        raise TypeError(f"not an integer: {value!r}")
    return int(value)


def _str(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"not a string: {value!r}")
    return value


def external_group_ids(recording: Recording, rule_type: str, key: str) -> list[str]:
    """Group ids the rules reference that the program does not create."""
    own = recording.by_id()
    return sorted(
        {
            str(rule.inputs[key])
            for rule in recording.of_type(rule_type)
            if rule.inputs.get(key) and str(rule.inputs[key]) not in own
        }
    )


def _label(ids: Mapping[str, str], recording: Recording) -> dict[str, str]:
    """real id -> a readable label: the registered name of a group, or external:<id>."""
    names = {resource.id: resource.name for resource in recording.resources}
    return {real: names.get(fake, f"external:{fake}") for fake, real in ids.items()}


# ==========================================================================
# AWS (EC2, moto), as pulumi-aws sends it

_AWS_GROUP_INPUTS: Final = ("name", "description", "vpcId", "tags", "revokeRulesOnDelete")
_AWS_RULE_INPUTS: Final = (
    "securityGroupId",
    "description",
    "ipProtocol",
    "fromPort",
    "toPort",
    "cidrIpv4",
    "cidrIpv6",
    "referencedSecurityGroupId",
)


def ip_permission(inputs: Mapping[str, Any], ids: Mapping[str, str]) -> IpPermissionUnionTypeDef:
    """The one IpPermission terraform-provider-aws builds for a vpc security group rule
    (`expandIPPermission`): ports only when set, the description on the one source."""
    permission: IpPermissionUnionTypeDef = {"IpProtocol": str(inputs["ipProtocol"])}
    from_port, to_port = _int(inputs.get("fromPort")), _int(inputs.get("toPort"))
    if from_port is not None:
        permission["FromPort"] = from_port
    if to_port is not None:
        permission["ToPort"] = to_port
    description = _str(inputs.get("description"))
    sources = [
        key for key in ("cidrIpv4", "cidrIpv6", "referencedSecurityGroupId") if inputs.get(key)
    ]
    if len(sources) != 1:  # the provider's ExactlyOneOf validator
        raise ValueError(f"exactly one of cidrIpv4, cidrIpv6, referencedSecurityGroupId: {sources}")
    if inputs.get("cidrIpv4"):
        ipv4: IpRangeTypeDef = {"CidrIp": str(inputs["cidrIpv4"])}
        if description is not None:
            ipv4["Description"] = description
        permission["IpRanges"] = [ipv4]
    elif inputs.get("cidrIpv6"):
        ipv6: Ipv6RangeTypeDef = {"CidrIpv6": str(inputs["cidrIpv6"])}
        if description is not None:
            ipv6["Description"] = description
        permission["Ipv6Ranges"] = [ipv6]
    else:
        pair: UserIdGroupPairTypeDef = {"GroupId": ids[str(inputs["referencedSecurityGroupId"])]}
        if description is not None:
            pair["Description"] = description
        permission["UserIdGroupPairs"] = [pair]
    return permission


@dataclass(frozen=True)
class StoredRule:
    """One rule: what it permits, as the AWS backend reads a rule (`AwsBackend.permission`:
    the program's inputs, and through the adopt/drift reader what EC2 holds), and its
    description."""

    permission: Permission
    description: str


@dataclass(frozen=True)
class Ec2GroupRow:
    name: str
    description: str
    vpc_id: str
    tags: tuple[tuple[str, str], ...]  # sorted


def registered_ec2_rules(recording: Recording) -> Counter[StoredRule]:
    """What the program asked EC2 for: each rule resource, read from its inputs."""
    return Counter(
        StoredRule(row.permission, row.description) for row in inventory(recording).rules
    )


def registered_ec2_groups(recording: Recording, ids: Mapping[str, str]) -> dict[str, Ec2GroupRow]:
    return {
        group.name: Ec2GroupRow(
            name=str(group.inputs["name"]),
            description=str(group.inputs["description"]),
            vpc_id=ids[str(group.inputs["vpcId"])],
            tags=tuple(sorted((group.inputs.get("tags") or {}).items())),
        )
        for group in recording.of_type(AWS_GROUP)
    }


def _as_given(permission: Permission, given: Mapping[str, str]) -> Permission:
    peer = permission.peer
    if isinstance(peer, OutsideGroup) and peer.id in given:
        return dataclasses.replace(permission, peer=OutsideGroup(given[peer.id]))
    return permission


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


@dataclass
class Ec2Applier:
    """Creates a recording's groups and rules in EC2 (moto)."""

    ec2: EC2Client
    # fake id (mock-run group ids, the stack's vpcId, existing groups) -> real id
    ids: dict[str, str] = field(default_factory=dict)
    created_groups: list[str] = field(default_factory=list)
    created_rules: list[str] = field(default_factory=list)

    def apply(self, recording: Recording) -> None:
        """Every group, then every rule, in registration order; stops at a refusal."""
        for group in recording.of_type(AWS_GROUP):
            self.create_group(group)
        for rule in recording.resources:
            if rule.type in (AWS_INGRESS, AWS_EGRESS):
                self.create_rule(rule)

    def use_vpc(self, recording: Recording, vpc_id: str) -> None:
        """Create the groups in `vpc_id`, whatever VPC id the stack names."""
        for group in recording.of_type(AWS_GROUP):
            self.ids[str(group.inputs["vpcId"])] = vpc_id

    def stand_in_external_groups(self, recording: Recording, vpc_id: str) -> list[str]:
        """Create a group for each existing group the stack references (a bastion's)."""
        names = []
        for rule_type in (AWS_INGRESS, AWS_EGRESS):
            for fake in external_group_ids(recording, rule_type, "referencedSecurityGroupId"):
                name = f"external-{fake}"
                self.ids[fake] = self.ec2.create_security_group(
                    GroupName=name, Description=name, VpcId=vpc_id
                )["GroupId"]
                names.append(name)
        return names

    def create_group(self, resource: Registered) -> str:
        if resource.type != AWS_GROUP:
            raise ApplyError(resource, "translate", TypeError("not a SecurityGroup"))
        _check_keys(resource, _AWS_GROUP_INPUTS)
        inputs = resource.inputs
        tags: list[TagTypeDef] = [
            {"Key": str(key), "Value": str(value)}
            for key, value in (inputs.get("tags") or {}).items()
        ]
        try:
            vpc_id = self.ids[str(inputs["vpcId"])]
            name, description = str(inputs["name"]), str(inputs["description"])
            if tags:
                created = self.ec2.create_security_group(
                    GroupName=name,
                    Description=description,
                    VpcId=vpc_id,
                    TagSpecifications=[{"ResourceType": "security-group", "Tags": tags}],
                )
            else:
                created = self.ec2.create_security_group(
                    GroupName=name, Description=description, VpcId=vpc_id
                )
            group_id = created["GroupId"]
        except (ClientError, KeyError) as exc:
            raise ApplyError(resource, "CreateSecurityGroup", exc) from exc
        self.ids[resource.id] = group_id
        # "AWS defaults all Security Groups to have an ALLOW ALL egress rule. Here we
        # revoke that rule" (resourceSecurityGroupCreate), IPv4 then IPv6.
        v4: IpPermissionUnionTypeDef = {
            "IpProtocol": "-1", "FromPort": 0, "ToPort": 0, "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
        }  # fmt: skip
        v6: IpPermissionUnionTypeDef = {
            "IpProtocol": "-1", "FromPort": 0, "ToPort": 0, "Ipv6Ranges": [{"CidrIpv6": "::/0"}],
        }  # fmt: skip
        try:
            self.ec2.revoke_security_group_egress(GroupId=group_id, IpPermissions=[v4])
        except ClientError as exc:
            raise ApplyError(resource, "RevokeSecurityGroupEgress IPv4", exc) from exc
        try:
            self.ec2.revoke_security_group_egress(GroupId=group_id, IpPermissions=[v6])
        except ClientError as exc:
            # The provider ignores these: the group's VPC has no IPv6.
            message = str(exc.response.get("Error", {}).get("Message", ""))
            if not (
                _error_code(exc) == "InvalidPermission.NotFound"
                or (_error_code(exc) == "InvalidParameterValue" and "remote-ipv6-range" in message)
            ):
                raise ApplyError(resource, "RevokeSecurityGroupEgress IPv6", exc) from exc
        self.created_groups.append(resource.name)
        return group_id

    def create_rule(self, resource: Registered) -> None:
        if resource.type not in (AWS_INGRESS, AWS_EGRESS):
            raise ApplyError(resource, "translate", TypeError("not a security group rule"))
        _check_keys(resource, _AWS_RULE_INPUTS)
        try:
            permission = ip_permission(resource.inputs, self.ids)
            group_id = self.ids[str(resource.inputs["securityGroupId"])]
        except (KeyError, TypeError, ValueError) as exc:
            raise ApplyError(resource, "translate", exc) from exc
        try:
            if resource.type == AWS_INGRESS:
                self.ec2.authorize_security_group_ingress(
                    GroupId=group_id, IpPermissions=[permission]
                )
            else:
                self.ec2.authorize_security_group_egress(
                    GroupId=group_id, IpPermissions=[permission]
                )
        except ClientError as exc:
            raise ApplyError(resource, "AuthorizeSecurityGroup", exc) from exc
        self.created_rules.append(resource.name)

    # -- read back ---------------------------------------------------------

    def _described(self, recording: Recording) -> list[SecurityGroupTypeDef]:
        mine = [real for fake, real in self.ids.items() if fake in recording.by_id()]
        if not mine:
            return []
        return self.ec2.describe_security_groups(GroupIds=mine)["SecurityGroups"]

    def stored_rules(self, recording: Recording) -> Counter[StoredRule]:
        """What EC2 holds in the applied groups, read as adopt and drift read it; a
        stand-in for an existing group by the id the stack gave, as the program sent it."""
        groups = inventory(recording).groups
        if not groups:
            return Counter()
        (vpc_id,) = {self.ids[str(g.inputs["vpcId"])] for g in recording.of_type(AWS_GROUP)}
        reader = AwsReader(self.ec2, vpc_id)
        live = reader.groups({group.key: self.ids[group.id] for group in groups}, {})
        given = {real: fake for fake, real in self.ids.items()}
        return Counter(
            StoredRule(_as_given(rule.permission, given), rule.description)
            for rule in reader.rules(live)
        )

    def stored_groups(self, recording: Recording) -> dict[str, Ec2GroupRow]:
        label = _label(self.ids, recording)
        return {
            label[group["GroupId"]]: Ec2GroupRow(
                name=group["GroupName"],
                description=group["Description"],
                vpc_id=group.get("VpcId", ""),
                tags=tuple(sorted((tag["Key"], tag["Value"]) for tag in group.get("Tags", []))),
            )
            for group in self._described(recording)
        }

    def ingress_count(self, group_id: str) -> int:
        """How many ingress rules EC2 says a group has."""
        rules = self.ec2.describe_security_group_rules(
            Filters=[{"Name": "group-id", "Values": [group_id]}]
        )["SecurityGroupRules"]
        return sum(1 for rule in rules if not rule.get("IsEgress"))


# ==========================================================================
# Applied once per server and case, shared by the test modules

_EC2_APPLIED: dict[tuple[str, str], tuple[Ec2Applier, list[str]]] = {}


def apply_to_ec2(server: MotoServer, recording: Recording) -> tuple[Ec2Applier, list[str]]:
    """`recording` applied to a fresh dual-stack VPC, and the stand-in external groups."""
    vpc_id = server.create_vpc(ipv6=True)
    applier = Ec2Applier(server.ec2_client())
    applier.use_vpc(recording, vpc_id)
    externals = applier.stand_in_external_groups(recording, vpc_id)
    applier.apply(recording)
    return applier, externals


def applied_to_ec2(server: MotoServer, name: str) -> tuple[Ec2Applier, list[str]]:
    """Case `name` applied by `apply_to_ec2`, once per session."""
    key = (server.url, name)
    if key not in _EC2_APPLIED:
        _EC2_APPLIED[key] = apply_to_ec2(server, recording_of(name))
    return _EC2_APPLIED[key]
