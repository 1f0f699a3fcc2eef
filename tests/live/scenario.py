"""Deployments made outside Pulumi, on moto's EC2 and a live Neutron, for the adopt and
drift tests (tests/live/) and the runs in docs/adopt-and-drift.md (tests/live/demo.py).

* :func:`handmade_on_ec2` / :func:`handmade_on_neutron`: the deployment an operator
  made by hand before the program existed: the groups with the planned names and
  descriptions but no tags, every planned ingress rule but one (:data:`MISSING`),
  egress left to the cloud's own default rules, and one rule no document line asks for
  (:data:`UNPLANNED_DESCRIPTION`, TCP/8080 from the world on Ellis).
* :func:`pulumi_made_on_ec2` / :func:`pulumi_made_on_neutron`: the deployment exactly
  as the providers create it (`appliers.py`), for drift.

Rules are applied from a recording of the real program (`__main__.py` under the mock
engine), with the same fields the providers send.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import yaml

from clearwater_sg.resources import AWS_EGRESS, AWS_GROUP, AWS_INGRESS
from harness import PROJECT_DIR, run_main
from offline.runner import Recording
from tests.conformance.appliers import Ec2Applier, ip_permission

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client
    from mypy_boto3_ec2.type_defs import TagTypeDef

STACK: Final = "handmade"
COMPONENT: Final = "clearwater"
PLACEHOLDER_VPC: Final = "vpc-0123456789abcdef0"  # the recording's; mapped to the real one
# Dual stack, with an HSS: every kind of rule (CIDRs of both families, group
# references, ICMP and ICMPv6, egress) in a deployment small enough to apply quickly.
CONFIG: Final[dict[str, dict[str, object]]] = {
    "aws": {"cloud": "aws", "ipVersion": "dual", "hss": True},
    "openstack": {"cloud": "openstack", "ipVersion": "dual", "hss": True},
}
# The planned rule the hand-made deployment lacks (Ellis's web UI over HTTPS, IPv4).
MISSING: Final = {
    "aws": "clearwater-ellis-in-tcp-443-from-0.0.0.0_0",
    "openstack": "clearwater-ellis-in-tcp-443-from-0.0.0.0_0-ipv4",
}
UNPLANNED_DESCRIPTION: Final = "temporary debugging, remove"


def config(cloud: str, vpc_id: str = PLACEHOLDER_VPC) -> dict[str, object]:
    """The stack config (keys without namespace) of the scenario on `cloud`."""
    values = dict(CONFIG[cloud])
    if cloud == "aws":
        values["vpcId"] = vpc_id
    return values


@functools.cache
def recording(cloud: str) -> Recording:
    """What the real program registers for the scenario (cached: about a second)."""
    return run_main(config(cloud), stack=STACK)


def key_of(resource_name: str) -> str:
    """The group key of a group resource `<component>-<key>`."""
    return resource_name.removeprefix(f"{COMPONENT}-")


def write_stack_file(directory: Path, values: dict[str, object]) -> Path:
    """`directory/Pulumi.<STACK>.yaml` beside a copy of the project's Pulumi.yaml."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "Pulumi.yaml").write_text((PROJECT_DIR / "Pulumi.yaml").read_text())
    path = directory / f"Pulumi.{STACK}.yaml"
    path.write_text(yaml.safe_dump({"config": values}, sort_keys=False))
    return path


@dataclass
class Deployed:
    """What a scenario made: ids by group key, and the rules a test needs to know."""

    group_ids: dict[str, str] = field(default_factory=dict)
    defaults: dict[str, list[str]] = field(default_factory=dict)  # key -> the cloud's rules
    unplanned: str = ""  # the id of the rule no planned rule asks for
    removed: str = ""  # the id of the planned rule deleted behind the program's back


# -- EC2 -------------------------------------------------------------------------------


def _ec2_rule_ids(ec2: EC2Client, group_id: str) -> list[str]:
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group_id]}])
    return sorted(rule["SecurityGroupRuleId"] for rule in rules["SecurityGroupRules"])


def add_unplanned_on_ec2(ec2: EC2Client, deployed: Deployed) -> None:
    """TCP/8080 from the world on Ellis, which no document line asks for."""
    answer = ec2.authorize_security_group_ingress(
        GroupId=deployed.group_ids["ellis"],
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 8080,
                "ToPort": 8080,
                "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": UNPLANNED_DESCRIPTION}],
            }
        ],
    )
    deployed.unplanned = answer["SecurityGroupRules"][0]["SecurityGroupRuleId"]


def handmade_on_ec2(ec2: EC2Client, vpc_id: str) -> Deployed:
    """Groups created as an operator would (no tags; EC2 adds its allow-all egress),
    every planned ingress rule but MISSING, and the unplanned rule."""
    rec = recording("aws")
    applier = Ec2Applier(ec2)
    applier.use_vpc(rec, vpc_id)
    deployed = Deployed()
    for group in rec.of_type(AWS_GROUP):
        group_id = ec2.create_security_group(
            GroupName=str(group.inputs["name"]),
            Description=str(group.inputs["description"]),
            VpcId=vpc_id,
        )["GroupId"]
        applier.ids[group.id] = group_id
        deployed.group_ids[key_of(group.name)] = group_id
        deployed.defaults[key_of(group.name)] = _ec2_rule_ids(ec2, group_id)
    for rule in rec.of_type(AWS_INGRESS):
        if rule.name != MISSING["aws"]:
            applier.create_rule(rule)
    assert rec.of_type(AWS_EGRESS), "the plan has egress: EC2's default rules stand for it"
    add_unplanned_on_ec2(ec2, deployed)
    return deployed


def pulumi_made_on_ec2(ec2: EC2Client, vpc_id: str) -> Deployed:
    """The deployment as pulumi-aws creates it."""
    rec = recording("aws")
    applier = Ec2Applier(ec2)
    applier.use_vpc(rec, vpc_id)
    applier.apply(rec)
    deployed = Deployed()
    for group in rec.of_type(AWS_GROUP):
        deployed.group_ids[key_of(group.name)] = applier.ids[group.id]
    return deployed


def made_with_generated_names_on_ec2(
    ec2: EC2Client, vpc_id: str, rec: Recording, existing: tuple[str, ...] = ()
) -> Deployed:
    """`rec`'s groups and rules as pulumi-aws makes them, for what `Ec2Applier` does not
    translate: `namePrefix` (`groupNames: generated`, completed with a 26-digit id as
    terraform-provider-aws does), `prefixListId` sources, and rules on the `existing`
    groups (existingGroups), which are in EC2 already under their own ids."""
    deployed = Deployed()
    ids = {str(group.inputs["vpcId"]): vpc_id for group in rec.of_type(AWS_GROUP)}
    ids |= {group_id: group_id for group_id in existing}
    for number, group in enumerate(rec.of_type(AWS_GROUP), start=1):
        inputs = group.inputs
        tags: list[TagTypeDef] = [
            {"Key": str(k), "Value": str(v)} for k, v in (inputs.get("tags") or {}).items()
        ]
        group_id = ec2.create_security_group(
            GroupName=f"{inputs['namePrefix']}{20261126000000000000000000 + number}",
            Description=str(inputs["description"]),
            VpcId=ids[str(inputs["vpcId"])],
            TagSpecifications=[{"ResourceType": "security-group", "Tags": tags}],
        )["GroupId"]
        ids[group.id] = deployed.group_ids[key_of(group.name)] = group_id
        for rule_id in _ec2_rule_ids(ec2, group_id):  # EC2's default egress
            ec2.revoke_security_group_egress(GroupId=group_id, SecurityGroupRuleIds=[rule_id])
    for rule in [*rec.of_type(AWS_INGRESS), *rec.of_type(AWS_EGRESS)]:
        inputs = rule.inputs
        if inputs.get("prefixListId"):
            permission: Any = {
                "IpProtocol": str(inputs["ipProtocol"]),
                "FromPort": int(inputs["fromPort"]),
                "ToPort": int(inputs["toPort"]),
                "PrefixListIds": [
                    {
                        "PrefixListId": str(inputs["prefixListId"]),
                        "Description": str(inputs["description"]),
                    }
                ],
            }
        else:
            permission = ip_permission(inputs, ids)
        group_id = ids[str(inputs["securityGroupId"])]
        if rule.type == AWS_INGRESS:
            ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=[permission])
        else:
            ec2.authorize_security_group_egress(GroupId=group_id, IpPermissions=[permission])
    return deployed


def remove_missing_on_ec2(ec2: EC2Client, deployed: Deployed) -> None:
    """Revoke the MISSING rule (Ellis TCP/443 from 0.0.0.0/0) by its rule id."""
    ellis = deployed.group_ids["ellis"]
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [ellis]}])
    (rule,) = [
        rule
        for rule in rules["SecurityGroupRules"]
        if not rule.get("IsEgress")
        and rule.get("FromPort") == 443
        and rule.get("CidrIpv4") == "0.0.0.0/0"
    ]
    ec2.revoke_security_group_ingress(
        GroupId=ellis, SecurityGroupRuleIds=[rule["SecurityGroupRuleId"]]
    )
    deployed.removed = rule["SecurityGroupRuleId"]
