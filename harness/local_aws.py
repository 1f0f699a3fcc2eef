"""A local AWS for the engine tests and the bench: moto's EC2 and STS on loopback, and a
fresh VPC per test, reached the way the bundled `local` stack reaches moto (the
provider settings of stacks/Pulumi.local.yaml, its endpoints pointed at this server).

A deployment is read back from EC2 alone, with boto3; nothing here knows what the
program sent.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from harness import PROJECT_DIR
from harness.doc_reader import Permission
from harness.servers import MotoServer

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client
    from mypy_boto3_ec2.type_defs import FilterTypeDef, IpPermissionUnionTypeDef

LOCAL_STACK = PROJECT_DIR / "stacks" / "Pulumi.local.yaml"


def provider_settings(endpoint: str, stack_file: Path = LOCAL_STACK) -> dict[str, Any]:
    """A stack file's `aws:` settings (the local stack's by default), with every service
    endpoint it names at `endpoint`."""
    config = yaml.safe_load(stack_file.read_text(encoding="utf-8"))["config"]
    found = {key: value for key, value in config.items() if key.startswith("aws:")}
    found["aws:endpoints"] = [
        {service: endpoint for service in entry} for entry in found["aws:endpoints"]
    ]
    return found


@dataclass(frozen=True)
class AwsTarget:
    """One VPC of an EC2 endpoint (moto's), as a stack deploys to it."""

    endpoint: str
    vpc_id: str

    @property
    def settings(self) -> dict[str, Any]:
        """The provider's stack settings: the local stack's, pointed at this endpoint."""
        return provider_settings(self.endpoint)

    @property
    def env(self) -> dict[str, str]:
        """Nothing from the machine's own AWS configuration reaches the provider: the
        credentials and region are the stack's."""
        return {
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_EC2_METADATA_DISABLED": "true",
        }

    def ec2(self) -> EC2Client:
        """A boto3 client with the stack's region and keys, at the endpoint."""
        import boto3
        from botocore.config import Config

        settings = self.settings
        client: EC2Client = boto3.client(
            "ec2",
            region_name=str(settings["aws:region"]),
            endpoint_url=self.endpoint,
            aws_access_key_id=str(settings["aws:accessKey"]),
            aws_secret_access_key=str(settings["aws:secretKey"]),
            config=Config(retries={"max_attempts": 1}, proxies={"http": "", "https": ""}),
        )
        return client

    def listing(self) -> tuple[list[Any], list[Any]]:
        """Every security group of the VPC and every rule of those groups, as EC2
        describes them."""
        ec2 = self.ec2()
        in_vpc: list[FilterTypeDef] = [{"Name": "vpc-id", "Values": [self.vpc_id]}]
        groups = ec2.describe_security_groups(Filters=in_vpc)["SecurityGroups"]
        ids = [group["GroupId"] for group in groups]
        rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": ids}])
        return list(groups), list(rules["SecurityGroupRules"])

    def snapshot(self) -> set[tuple[str, ...]]:
        """Every group (id, name) of the VPC and every rule id in them: to tell whether a
        run left the VPC as it found it."""
        groups, rules = self.listing()
        return {("group", g["GroupId"], g["GroupName"]) for g in groups} | {
            ("rule", r["SecurityGroupRuleId"]) for r in rules
        }

    def create_group(self, name: str, description: str | None = None) -> str:
        """A group made outside the stack, as its owner makes it (AWS adds its allow-all
        egress); its id."""
        made = self.ec2().create_security_group(
            GroupName=name, Description=description or name, VpcId=self.vpc_id
        )
        return str(made["GroupId"])

    def add_rule(self, group_id: str, permission: Permission, groups: dict[str, str]) -> str:
        """A rule made by hand on a group, as an operator types what `permission` says
        (no description); `groups` gives the ids of its `group:<key>` peers. Its id."""
        ip_permission: IpPermissionUnionTypeDef = {"IpProtocol": str(permission.protocol)}
        if permission.protocol != "-1":
            ip_permission["FromPort"] = -1 if permission.low is None else permission.low
            ip_permission["ToPort"] = -1 if permission.high is None else permission.high
        if permission.peer.startswith("group:"):
            peer = groups[permission.peer.removeprefix("group:")]
            ip_permission["UserIdGroupPairs"] = [{"GroupId": peer}]
        elif permission.family == "IPv6":
            ip_permission["Ipv6Ranges"] = [{"CidrIpv6": permission.peer}]
        else:
            ip_permission["IpRanges"] = [{"CidrIp": permission.peer}]
        ec2 = self.ec2()
        authorize = (
            ec2.authorize_security_group_egress
            if permission.direction == "egress"
            else ec2.authorize_security_group_ingress
        )
        made = authorize(GroupId=group_id, IpPermissions=[ip_permission])
        [rule] = made["SecurityGroupRules"]
        return str(rule["SecurityGroupRuleId"])

    def rules_of(self, group_id: str) -> dict[str, int | None]:
        """A group's rules: id -> first port (None for every port)."""
        described = self.ec2().describe_security_group_rules(
            Filters=[{"Name": "group-id", "Values": [group_id]}]
        )["SecurityGroupRules"]
        return {
            rule["SecurityGroupRuleId"]: None if rule["FromPort"] == -1 else rule["FromPort"]
            for rule in described
        }

    def delete_rule(self, group_id: str, rule_id: str) -> None:
        """Revoke one rule of a group, by its id."""
        ec2 = self.ec2()
        [rule] = ec2.describe_security_group_rules(SecurityGroupRuleIds=[rule_id])[
            "SecurityGroupRules"
        ]
        revoke = (
            ec2.revoke_security_group_egress
            if rule["IsEgress"]
            else ec2.revoke_security_group_ingress
        )
        revoke(GroupId=group_id, SecurityGroupRuleIds=[rule_id])

    def group_ids(self) -> dict[str, str]:
        """Every group of the VPC: name -> id."""
        groups, _ = self.listing()
        return {group["GroupName"]: group["GroupId"] for group in groups}

    def create_prefix_list(self, name: str, max_entries: int) -> str:
        """A managed prefix list made outside the stack (IPv4)."""
        made = self.ec2().create_managed_prefix_list(
            PrefixListName=name, MaxEntries=max_entries, AddressFamily="IPv4"
        )
        return str(made["PrefixList"]["PrefixListId"])


def new_vpc(server: MotoServer) -> AwsTarget:
    """A fresh dual-stack VPC on `server`, as a deployment's target."""
    return AwsTarget(server.url, server.create_vpc(ipv6=True))
