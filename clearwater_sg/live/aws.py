"""Read a deployment's security groups and rules from EC2 with boto3.

Groups come from `DescribeSecurityGroups`, one per id the user gave, or by the planned
names in the stack's VPC; rules from `DescribeSecurityGroupRules`, which gives each rule
its own id (`sgr-...`), the id `pulumi import` takes for
`aws:vpc/securityGroupIngressRule` / `securityGroupEgressRule`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from clearwater_sg.live.compare import LiveError, LiveGroup, LiveRule
from clearwater_sg.permission import AddressGroup, PrefixList, aws_permission
from clearwater_sg.resources import AWS_EGRESS, AWS_INGRESS

if TYPE_CHECKING:
    from boto3 import Session
    from botocore.exceptions import ClientError
    from mypy_boto3_ec2 import EC2Client
    from mypy_boto3_ec2.type_defs import SecurityGroupRuleTypeDef, SecurityGroupTypeDef

CREDENTIALS_HELP = (
    "no AWS credentials found. boto3 looks in the environment (AWS_ACCESS_KEY_ID and "
    "AWS_SECRET_ACCESS_KEY, or AWS_PROFILE), the shared files ~/.aws/credentials and "
    "~/.aws/config, and the instance or container role; set one of them (for example "
    "`aws configure`, or `aws sso login` with AWS_PROFILE), or put aws:accessKey and "
    "aws:secretKey in the stack"
)


# terraform-provider-aws's generated names: the prefix, then a 26-digit unique id.
_GENERATED_SUFFIX = re.compile(r"(?s)(.*?)(\d{26})")


def generated_name_prefix(name: str) -> str | None:
    """The name_prefix terraform-provider-aws reads back from a group's name: what
    precedes a 26-digit unique id it generated, or None for a name it did not generate."""
    match = _GENERATED_SUFFIX.fullmatch(name)
    return match.group(1) if match else None


@dataclass(frozen=True)
class AwsSettings:
    """Where and as whom to connect: the stack's `aws:` provider settings, then flags."""

    region: str | None = None
    endpoint_url: str | None = None
    profile: str | None = None
    access_key: str | None = None
    secret_key: str | None = None
    token: str | None = None
    service_quotas_url: str | None = None

    @classmethod
    def from_stack(cls, config: Mapping[str, str], **overrides: str | None) -> AwsSettings:
        """The provider settings a stack file gives (`aws:region`, `aws:profile`,
        `aws:accessKey`, `aws:secretKey`, `aws:token`, the ec2 and servicequotas
        entries of `aws:endpoints`), with the non-None `overrides` on top."""
        endpoints: dict[str, str] = {}
        if "aws:endpoints" in config:
            try:
                entries = json.loads(config["aws:endpoints"])
            except json.JSONDecodeError:
                entries = []
            for entry in entries if isinstance(entries, list) else []:
                if isinstance(entry, dict):
                    endpoints.update((k, v) for k, v in entry.items() if isinstance(v, str))
        settings = {
            "region": config.get("aws:region"),
            "endpoint_url": endpoints.get("ec2"),
            "service_quotas_url": endpoints.get("servicequotas"),
            "profile": config.get("aws:profile"),
            "access_key": config.get("aws:accessKey"),
            "secret_key": config.get("aws:secretKey"),
            "token": config.get("aws:token"),
        }
        settings.update({key: value for key, value in overrides.items() if value is not None})
        return cls(**settings)


def ec2_client(settings: AwsSettings) -> EC2Client:
    """An EC2 client: explicit settings where given, else boto3's default chain.

    Raises LiveError when boto3 is missing, no region is set, or no credentials exist.
    """
    client: EC2Client = _session(settings).client("ec2", endpoint_url=settings.endpoint_url)
    return client


def _session(settings: AwsSettings) -> Session:
    try:
        import boto3
        import botocore.exceptions
    except ImportError:
        raise LiveError(
            "reading AWS needs boto3: pip install 'clearwater-sg[live-aws]' (or boto3)"
        ) from None
    try:
        session = boto3.Session(
            profile_name=settings.profile,
            region_name=settings.region,
            aws_access_key_id=settings.access_key,
            aws_secret_access_key=settings.secret_key,
            aws_session_token=settings.token,
        )
    except botocore.exceptions.ProfileNotFound as exc:
        raise LiveError(
            f"{exc}: name a profile of ~/.aws/config (aws:profile, AWS_PROFILE)"
        ) from None
    if session.region_name is None:
        raise LiveError(
            "no AWS region: set aws:region in the stack, pass --region, or set AWS_REGION"
        )
    if session.get_credentials() is None:
        raise LiveError(CREDENTIALS_HELP)
    return session


# limits field -> the Service Quotas code and name of AWS's quota (service code "vpc").
AWS_QUOTAS = {
    "rules_per_group": ("L-0EA8095F", "Inbound or outbound rules per security group"),
    "groups_per_interface": ("L-2AFB9258", "Security groups per network interface"),
}
GROUPS_PER_INTERFACE_ATTRIBUTE = "vpc-max-security-groups-per-interface"


def account_limits(settings: AwsSettings, ec2: EC2Client) -> tuple[dict[str, int], dict[str, str]]:
    """The account's quotas of `AWS_QUOTAS` (limits field -> value) from Service Quotas,
    groups per interface else from EC2's account attributes; and for each quota that
    could not be read (no permission, no such API), why."""
    from botocore.exceptions import BotoCoreError, ClientError

    quotas: Any = _session(settings).client(
        "service-quotas", endpoint_url=settings.service_quotas_url
    )
    read: dict[str, int] = {}
    unread: dict[str, str] = {}
    for field, (code, name) in AWS_QUOTAS.items():
        try:
            read[field] = _service_quota(quotas, code)
        except (ClientError, BotoCoreError) as exc:
            unread[field] = f"Service Quotas' '{name}' ({code}): {exc}"
    if "groups_per_interface" in unread:
        try:
            answer = ec2.describe_account_attributes(
                AttributeNames=[GROUPS_PER_INTERFACE_ATTRIBUTE]  # type: ignore[list-item]
            )
            value = answer["AccountAttributes"][0]["AttributeValues"][0]["AttributeValue"]
            read["groups_per_interface"] = int(value)
            del unread["groups_per_interface"]
        except (ClientError, BotoCoreError, LookupError, ValueError) as exc:
            unread["groups_per_interface"] += (
                f"; EC2's account attribute {GROUPS_PER_INTERFACE_ATTRIBUTE}: {exc}"
            )
    return read, unread


def _service_quota(quotas: Any, code: str) -> int:
    """A quota's applied value, or AWS's default where the account has none applied."""
    from botocore.exceptions import ClientError

    try:
        answer = quotas.get_service_quota(ServiceCode="vpc", QuotaCode=code)
    except ClientError as exc:
        if _code(exc) != "NoSuchResourceException":
            raise
        answer = quotas.get_aws_default_service_quota(ServiceCode="vpc", QuotaCode=code)
    return int(answer["Quota"]["Value"])


READ_ACTIONS = "ec2:DescribeSecurityGroups and ec2:DescribeSecurityGroupRules"


def _failure(exc: Exception, doing: str, actions: str = READ_ACTIONS) -> LiveError:
    """A LiveError for an EC2 call that failed, naming the cause and the fix (`actions`:
    the IAM actions the call needs)."""
    from botocore.exceptions import (
        ClientError,
        EndpointConnectionError,
        NoCredentialsError,
        PartialCredentialsError,
    )

    if isinstance(exc, (NoCredentialsError, PartialCredentialsError)):
        return LiveError(CREDENTIALS_HELP)
    if isinstance(exc, ClientError):
        code, message = _code(exc), exc.response.get("Error", {}).get("Message", "")
        if code in ("AuthFailure", "UnauthorizedOperation", "InvalidClientTokenId"):
            return LiveError(
                f"AWS refused the credentials while {doing} ({code}: {message}); check "
                f"them, and that they allow {actions}"
            )
        return LiveError(f"EC2 refused {doing}: {code}: {message}")
    if isinstance(exc, EndpointConnectionError):
        return LiveError(
            f"could not reach EC2 while {doing}: {exc}; check --endpoint-url (or the ec2 "
            "entry of the stack's aws:endpoints) and --region (or aws:region)"
        )
    return LiveError(f"could not reach EC2 while {doing}: {exc}")


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _as_inputs(rule: SecurityGroupRuleTypeDef) -> dict[str, Any]:
    """An EC2 rule's fields by the provider's input names: the same, in camelCase."""
    inputs: dict[str, Any] = {key[0].lower() + key[1:]: value for key, value in rule.items()}
    inputs["securityGroupId"] = rule["GroupId"]
    inputs["referencedSecurityGroupId"] = rule.get("ReferencedGroupInfo", {}).get("GroupId")
    return inputs


class AwsReader:
    """The deployment's groups in one VPC, and every rule in them."""

    cloud = "aws"

    def __init__(self, ec2: EC2Client, vpc_id: str, generated_names: bool = False) -> None:
        self.ec2 = ec2
        self.vpc_id = vpc_id
        self.generated_names = generated_names  # planned names are prefixes AWS completes
        self._described: dict[str, SecurityGroupTypeDef] = {}

    def groups(self, given: Mapping[str, str], names: Mapping[str, str]) -> list[LiveGroup]:
        """The groups of `given` (key -> id), each checked to exist and to be in the
        stack's VPC, then for every other key of `names` (key -> planned name, or with
        generated names the prefix AWS completed) the group of that name in the VPC, if
        there is one."""
        from botocore.exceptions import BotoCoreError, ClientError

        found: list[LiveGroup] = []
        for key, group_id in given.items():
            try:
                described = self.ec2.describe_security_groups(GroupIds=[group_id])
            except ClientError as exc:
                if _code(exc) in ("InvalidGroup.NotFound", "InvalidGroupId.Malformed"):
                    raise LiveError(
                        f"security group {group_id} (given for {key}) does not exist in "
                        f"this account and region ({_code(exc)}); check the id, e.g. with "
                        "`pulumi stack output securityGroupIds` or the EC2 console"
                    ) from None
                raise _failure(exc, f"reading group {group_id}") from None
            except BotoCoreError as exc:
                raise _failure(exc, f"reading group {group_id}") from None
            group = described["SecurityGroups"][0]
            vpc = group.get("VpcId")
            if vpc != self.vpc_id:
                raise LiveError(
                    f"security group {group_id} (given for {key}) is in {vpc or 'no VPC'}, "
                    f"not in the stack's VPC {self.vpc_id}: give the id of the {key} group "
                    "in that VPC, or set the stack's vpcId to the VPC the groups are in"
                )
            found.append(self._group(key, group, "given"))
        wanted = {name: key for key, name in names.items() if key not in given}
        if not wanted:
            return found
        try:
            paginator = self.ec2.get_paginator("describe_security_groups")
            pages = paginator.paginate(Filters=[{"Name": "vpc-id", "Values": [self.vpc_id]}])
            in_vpc = [group for page in pages for group in page["SecurityGroups"]]
        except (ClientError, BotoCoreError) as exc:
            raise _failure(exc, f"listing the groups of {self.vpc_id}") from None
        matches: dict[str, list[SecurityGroupTypeDef]] = {}
        for group in in_vpc:
            name = group["GroupName"]
            planned = generated_name_prefix(name) if self.generated_names else name
            if planned in wanted:
                matches.setdefault(wanted[planned], []).append(group)
        for key, groups in sorted(matches.items()):
            if len(groups) > 1:
                ids = ", ".join(sorted(g["GroupId"] for g in groups))
                raise LiveError(
                    f"{len(groups)} groups in {self.vpc_id} have the {key} group's "
                    f"generated name ({ids}); say which with --group {key}=ID"
                )
            found.append(self._group(key, groups[0], "name"))
        return found

    def _group(self, key: str, group: SecurityGroupTypeDef, found_by: str) -> LiveGroup:
        self._described[group["GroupId"]] = group
        return LiveGroup(
            key=key,
            id=group["GroupId"],
            name=group["GroupName"],
            found_by=found_by,
            fields={
                "name": group["GroupName"],
                "namePrefix": generated_name_prefix(group["GroupName"]),
                "description": group.get("Description", ""),
                "tags": tuple(sorted(f"{t['Key']}={t['Value']}" for t in group.get("Tags", []))),
            },
        )

    def rules(self, groups: list[LiveGroup]) -> list[LiveRule]:
        """Every rule of `groups`, peers named by group key where they are one of them."""
        from botocore.exceptions import BotoCoreError, ClientError

        if not groups:
            return []
        keys = {group.id: group.key for group in groups}
        try:
            paginator = self.ec2.get_paginator("describe_security_group_rules")
            pages = paginator.paginate(Filters=[{"Name": "group-id", "Values": sorted(keys)}])
            listed = [rule for page in pages for rule in page["SecurityGroupRules"]]
        except (ClientError, BotoCoreError) as exc:
            raise _failure(exc, "listing the groups' rules") from None
        rules = [self._rule(rule, keys) for rule in listed if rule.get("GroupId") in keys]
        return sorted(rules, key=lambda rule: (rule.permission.sort_key(), rule.id))

    def _rule(self, rule: SecurityGroupRuleTypeDef, keys: Mapping[str, str]) -> LiveRule:
        egress = bool(rule.get("IsEgress"))
        group_id = rule["GroupId"]
        description = rule.get("Description")
        if "Description" not in rule:
            description = self._description(group_id, egress, rule)
        way = "egress" if egress else "ingress"
        return LiveRule(
            id=rule["SecurityGroupRuleId"],
            permission=aws_permission(
                AWS_EGRESS if egress else AWS_INGRESS, _as_inputs(rule), keys
            ),
            description=description or "",
            fields={
                "description": description or None,
                "tags": tuple(sorted(f"{t['Key']}={t['Value']}" for t in rule.get("Tags", []))),
            },
            delete_command=(
                f"aws ec2 revoke-security-group-{way} --group-id {group_id} "
                f"--security-group-rule-ids {rule['SecurityGroupRuleId']}"
            ),
        )

    def holds(self, listed: PrefixList | AddressGroup) -> tuple[str, ...] | None:
        """The CIDRs of a managed prefix list; None when it cannot be read (an address
        group is Neutron's)."""
        from botocore.exceptions import BotoCoreError, ClientError

        if not isinstance(listed, PrefixList):
            return None
        try:
            paginator = self.ec2.get_paginator("get_managed_prefix_list_entries")
            pages = paginator.paginate(PrefixListId=listed.id)
            return tuple(e["Cidr"] for page in pages for e in page.get("Entries", []))
        except (ClientError, BotoCoreError):
            return None

    def delete_rules(self, group_id: str, direction: str, rule_ids: Sequence[str]) -> None:
        """Revoke rules of one group and direction by their ids, in one call."""
        from botocore.exceptions import BotoCoreError, ClientError

        egress = direction == "egress"
        revoke = (
            self.ec2.revoke_security_group_egress
            if egress
            else self.ec2.revoke_security_group_ingress
        )
        action = f"ec2:RevokeSecurityGroup{'Egress' if egress else 'Ingress'}"
        try:
            revoke(GroupId=group_id, SecurityGroupRuleIds=list(rule_ids))
        except (ClientError, BotoCoreError) as exc:
            doing = f"revoking {', '.join(rule_ids)} from {group_id}"
            raise _failure(exc, doing, action) from None

    def _description(
        self, group_id: str, egress: bool, rule: SecurityGroupRuleTypeDef
    ) -> str | None:
        """The rule's description as `DescribeSecurityGroups` lists it on its source.

        `DescribeSecurityGroupRules` leaves it out where none is set, and moto leaves
        it out of group references even where one is: this reads the group's own list.
        """
        group: Any = self._described.get(group_id, {})
        listed = group.get("IpPermissionsEgress" if egress else "IpPermissions", [])
        for permission in listed:
            if str(permission.get("IpProtocol")) != str(rule.get("IpProtocol")):
                continue
            if permission.get("IpProtocol") != "-1" and (
                permission.get("FromPort"),
                permission.get("ToPort"),
            ) != (rule.get("FromPort"), rule.get("ToPort")):
                continue
            sources = [
                *((r.get("CidrIp"), r) for r in permission.get("IpRanges", [])),
                *((r.get("CidrIpv6"), r) for r in permission.get("Ipv6Ranges", [])),
                *((p.get("GroupId"), p) for p in permission.get("UserIdGroupPairs", [])),
                *((p.get("PrefixListId"), p) for p in permission.get("PrefixListIds", [])),
            ]
            source = (
                rule.get("CidrIpv4")
                or rule.get("CidrIpv6")
                or rule.get("ReferencedGroupInfo", {}).get("GroupId")
                or rule.get("PrefixListId")
            )
            for value, entry in sources:
                if value == source:
                    description = entry.get("Description")
                    return str(description) if description is not None else None
        return None
