"""Deployments made outside Pulumi on moto's EC2, for the adopt and drift tests
(tests/live/) and the runs in docs/adopt-and-drift.md (tests/live/demo.py).

:func:`handmade_on_ec2`: the deployment an operator made by hand before the program
existed: the groups with the planned names and descriptions but no tags, one rule
without a description for each permission the port document asks for (the document
reader's expectation, never the program's plan) but one (:data:`MISSING`), egress left to
EC2's own default rules, and one rule no document line asks for
(:data:`UNPLANNED_DESCRIPTION`, TCP/8080 from the world on Ellis).

A deployment as pulumi-aws makes it is made by the real engine (tests/engine/test_live.py).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Final

import yaml

from clearwater_sg.resources import AWS_GROUP
from harness import PROJECT_DIR, run_main
from harness.doc_reader import Permission
from harness.engine import documented, settings
from offline.runner import Recording

if TYPE_CHECKING:
    from harness.local_aws import AwsTarget

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
MISSING: Final = "clearwater-ellis-in-tcp-443-from-0.0.0.0_0"
MISSING_PERMISSION: Final = Permission("ellis", "ingress", "IPv4", "tcp", 443, 443, "0.0.0.0/0")
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


def add_unplanned_on_ec2(target: AwsTarget, deployed: Deployed) -> None:
    """TCP/8080 from the world on Ellis, which no document line asks for."""
    answer = target.ec2().authorize_security_group_ingress(
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


def handmade_on_ec2(target: AwsTarget) -> Deployed:
    """Groups created as an operator would (no tags; EC2 adds its allow-all egress), a
    rule for every permission the document asks for but MISSING, and the unplanned rule."""
    deployed = Deployed()
    for group in recording("aws").of_type(AWS_GROUP):
        key = key_of(group.name)
        deployed.group_ids[key] = target.create_group(
            str(group.inputs["name"]), str(group.inputs["description"])
        )
        deployed.defaults[key] = sorted(target.rules_of(deployed.group_ids[key]))
    wanted = documented(settings(**config("aws", target.vpc_id)))
    assert MISSING_PERMISSION in wanted
    for permission in sorted(wanted, key=Permission.key):
        if permission.direction == "ingress" and permission != MISSING_PERMISSION:
            target.add_rule(deployed.group_ids[permission.group], permission, deployed.group_ids)
    add_unplanned_on_ec2(target, deployed)
    return deployed


def remove_missing_on_ec2(target: AwsTarget, deployed: Deployed) -> None:
    """Revoke the MISSING rule (Ellis TCP/443 from 0.0.0.0/0) by its rule id."""
    ellis = deployed.group_ids["ellis"]
    ec2 = target.ec2()
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [ellis]}])
    (rule,) = [
        rule
        for rule in rules["SecurityGroupRules"]
        if not rule.get("IsEgress")
        and rule.get("FromPort") == 443
        and rule.get("CidrIpv4") == "0.0.0.0/0"
    ]
    target.delete_rule(ellis, rule["SecurityGroupRuleId"])
    deployed.removed = rule["SecurityGroupRuleId"]
