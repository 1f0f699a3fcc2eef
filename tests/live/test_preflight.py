"""The live pre-flight (`clearwater_sg.live.preflight`, `preflight: live`) on AWS: the real
program, run under the SDK's mock engine with the stack's `aws:` settings pointing at
moto's EC2 server, reads the groups of `existingGroups` with boto3 before it registers
anything, and refuses, by rule id: a planned rule such a group holds already (EC2 would
refuse the duplicate halfway through `pulumi up`), with `egress: restricted` an outbound
rule the plan does not have (EC2's allow-all egress of a new group), and a group named
and tagged as the deployment's own. With nothing of the kind it registers as without it.
The same against Keystone and Neutron with the real engine: tests/engine/test_live.py."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pulumi
import pytest

from harness import run_main
from harness.servers import MOTO_REGION, MotoServer
from offline.runner import Recording
from tests.live.helpers import LIVE_MARKS

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client
    from mypy_boto3_ec2.type_defs import (
        IpPermissionTypeDef,
        TagSpecificationTypeDef,
        TagTypeDef,
    )

pytestmark = LIVE_MARKS

SIP: IpPermissionTypeDef = {
    "IpProtocol": "tcp", "FromPort": 5060, "ToPort": 5060, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]
}  # fmt: skip


def _config(moto: MotoServer, vpc_id: str, **settings: object) -> dict[str, object]:
    return {
        "cloud": "aws",
        "vpcId": vpc_id,
        "roles": ["bono", "sprout"],
        "preflight": "live",
        "aws:region": MOTO_REGION,
        "aws:endpoints": [{"ec2": moto.url}],
        **settings,
    }


def _group(ec2: EC2Client, vpc_id: str, name: str, tags: dict[str, str] | None = None) -> str:
    pairs: list[TagTypeDef] = [{"Key": k, "Value": v} for k, v in (tags or {}).items()]
    spec: list[TagSpecificationTypeDef] = [{"ResourceType": "security-group", "Tags": pairs}]
    spec = spec if pairs else []
    made = ec2.create_security_group(
        GroupName=name, Description="ours", VpcId=vpc_id, TagSpecifications=spec
    )
    return made["GroupId"]


def _refused(config: dict[str, object]) -> str:
    recording = Recording()
    with pytest.raises(pulumi.RunError) as raised:
        run_main(config, stack="prod", recording=recording)
    assert recording.resources == [], "resources were registered before the refusal"
    return str(raised.value)


def test_a_planned_rule_an_existing_group_holds_is_refused_by_its_id(
    moto_ec2: MotoServer, ec2: EC2Client, vpc_id: str, aws_env: None
) -> None:
    bono = _group(ec2, vpc_id, "platform-bono")
    held = ec2.authorize_security_group_ingress(GroupId=bono, IpPermissions=[SIP])
    rule = held["SecurityGroupRules"][0]["SecurityGroupRuleId"]
    message = _refused(_config(moto_ec2, vpc_id, existingGroups={"bono": bono}))
    assert f"existing group bono ({bono}) holds rule {rule} already" in message
    assert "clearwater-bono-in-tcp-5060-from-0.0.0.0_0" in message and "adopt" in message
    ec2.revoke_security_group_ingress(GroupId=bono, SecurityGroupRuleIds=[rule])
    assert run_main(_config(moto_ec2, vpc_id, existingGroups={"bono": bono})).resources


def test_restricted_egress_is_refused_while_an_existing_group_lets_out_more(
    moto_ec2: MotoServer, ec2: EC2Client, vpc_id: str, aws_env: None
) -> None:
    sprout = _group(ec2, vpc_id, "platform-sprout")
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [sprout]}])
    # EC2's allow-all egress of a new group (moto's, in a dual-stack VPC: both families).
    allow_all = [r["SecurityGroupRuleId"] for r in rules["SecurityGroupRules"] if r["IsEgress"]]
    assert allow_all
    config = _config(
        moto_ec2, vpc_id, existingGroups={"sprout": sprout}, egress="restricted",
        egressDestinations={"dns": ["10.0.0.2/32"]},
    )  # fmt: skip
    message = _refused(config)
    said = f"existing group sprout ({sprout}) lets out what the plan does not: rule"
    assert all(f"{said} {rule}" in message for rule in allow_all), message
    assert f"aws ec2 revoke-security-group-egress --group-id {sprout}" in message
    ec2.revoke_security_group_egress(GroupId=sprout, SecurityGroupRuleIds=allow_all)
    assert run_main(config, stack="prod").resources


def test_a_group_named_and_tagged_as_the_deployments_own_is_refused(
    moto_ec2: MotoServer, ec2: EC2Client, vpc_id: str, aws_env: None
) -> None:
    own = _group(ec2, vpc_id, "clearwater-prod-sprout", {"clearwater:role": "sprout"})
    message = _refused(_config(moto_ec2, vpc_id, existingGroups={"sprout": own}))
    assert f"existingGroups.sprout: {own} is named clearwater-prod-sprout and tagged" in message
    # The same name without the component's tag is somebody else's group.
    other = _group(ec2, vpc_id, "clearwater-prod-bono")
    assert run_main(_config(moto_ec2, vpc_id, existingGroups={"bono": other}), "prod").resources


def test_no_credentials_is_a_refusal_that_says_so(
    moto_ec2: MotoServer,
    ec2: EC2Client,
    vpc_id: str,
    aws_env: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bono = _group(ec2, vpc_id, "platform-bono")
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    message = _refused(_config(moto_ec2, vpc_id, existingGroups={"bono": bono}))
    assert "preflight: live could not read the existing groups: no AWS credentials found" in message


def test_an_existing_group_given_as_an_output_cannot_be_read_first() -> None:
    from clearwater_sg import ClearwaterSecurityGroups, DeploymentOptions
    from offline.runner import run_program

    def program() -> None:
        group = pulumi.Output.from_input("sg-0aaaaaaaaaaaaaaaa")
        options = DeploymentOptions(
            cloud="aws", vpc_id="vpc-0123456789abcdef0", existing_groups={"bono": group},
            preflight="live",
        )  # fmt: skip
        ClearwaterSecurityGroups("ims", options)

    with pytest.raises(pulumi.RunError, match=r"existingGroups\.bono is an Output"):
        run_program(program, project="p", stack="s", config={})
