"""The live pre-flight (`clearwater_sg.live.preflight`, `preflight: live`) on AWS: the real
program, run under the SDK's mock engine with the stack's `aws:` settings pointing at
moto's EC2 server, reads the groups of `existingGroups` with boto3 before it registers
anything, and refuses, by rule id: a planned rule such a group holds already (EC2 would
refuse the duplicate halfway through `pulumi up`), with `egress: restricted` an outbound
rule the plan does not have (EC2's allow-all egress of a new group), and a group named
and tagged as the deployment's own. With nothing of the kind it registers as without it.
The same against Keystone and Neutron with the real engine: tests/engine/test_live.py.

It also reads the cloud's limits and usage: on moto, Service Quotas' per-group rules
quota and the rules an existing group holds; on a live Neutron (noauth, the project
being the stack's openstack:tenantId), the project's quota details, with another
deployment's groups made through openstacksdk, not through the code under test."""

from __future__ import annotations

from typing import TYPE_CHECKING

import openstack
import pulumi
import pytest

from clearwater_sg import DeploymentOptions
from clearwater_sg.component import prepare
from clearwater_sg.live.preflight import live_preflight
from clearwater_sg.previous import Previous
from harness import run_main
from harness.servers import MOTO_REGION, MotoServer, NeutronServer
from offline.runner import Recording
from tests.live.helpers import LIVE_MARKS
from tests.unit.test_quota import neutron_usage

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client
    from mypy_boto3_ec2.type_defs import (
        IpPermissionTypeDef,
        TagSpecificationTypeDef,
        TagTypeDef,
    )
    from openstack.connection import Connection

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
        "aws:endpoints": [{"ec2": moto.url, "servicequotas": moto.url}],
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


def test_no_credentials_is_a_refusal_that_names_the_setting_and_the_cloud_settings(
    moto_ec2: MotoServer, vpc_id: str, aws_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No existing group to read: the quotas alone need the cloud.
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    message = _refused(_config(moto_ec2, vpc_id))
    assert (
        "clearwater-sg:preflight is live, but it could not connect with the stack's aws "
        "settings (aws:endpoints, aws:region, then the SDK's own credentials): no AWS "
        "credentials found"
    ) in message
    assert "or set clearwater-sg:preflight to offline" in message


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


# The live quota checks. On AWS: moto answers Service Quotas' GetServiceQuota with AWS's
# defaults (60 rules per group, 5 groups per interface) and EC2's account attributes; a
# quota the operator set higher than the account's is held to the account's.

MANY = [
    {"protocol": "tcp", "ports": str(20000 + i), "sources": ["10.40.0.0/16"],
     "description": f"partner {i}", "reason": "IMS-7: partner interconnect"}
    for i in range(62)
]  # fmt: skip


def test_aws_rules_per_group_are_held_to_the_accounts_quota_read_live(
    moto_ec2: MotoServer, vpc_id: str, aws_env: None
) -> None:
    # Offline, the operator's 100 lets 62 extra rules on Sprout through.
    raised = {"limits": {"rulesPerGroup": 100, "groupsPerInterface": 5}}
    offline = {**_config(moto_ec2, vpc_id, extraRules={"sprout": MANY}, **raised)}
    offline["preflight"] = "offline"
    assert run_main(offline, stack="prod").resources
    message = _refused({**offline, "preflight": "live"})
    assert "AWS inbound rules per security group, per family:" in message
    assert "64 needed (sprout, IPv4), 60 allowed" in message
    assert "Most rules come from extraRules (62)" in message


def test_aws_quotas_service_quotas_cannot_give_fall_back_to_the_offline_value_with_a_warning(
    moto_ec2: MotoServer, vpc_id: str, aws_env: None, caplog: pytest.LogCaptureFixture
) -> None:
    raised = {"limits": {"rulesPerGroup": 100, "groupsPerInterface": 5}}
    config = _config(moto_ec2, vpc_id, extraRules={"sprout": MANY}, **raised)
    # Nothing listens on port 9 of loopback: Service Quotas cannot be reached.
    config["aws:endpoints"] = [{"ec2": moto_ec2.url, "servicequotas": "http://127.0.0.1:9"}]
    assert run_main(config, stack="prod").resources
    warned = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    said = [w for w in warned if "could not read AWS's 'Inbound or outbound rules per" in w]
    assert said and "clearwater-sg:limits.rulesPerGroup (100), the offline value" in said[0]
    # Groups per interface came from EC2's account attribute instead: no warning for it.
    assert not [w for w in warned if "'Security groups per network interface'" in w], warned


def test_aws_rules_an_existing_group_holds_count_against_its_quota(
    moto_ec2: MotoServer, ec2: EC2Client, vpc_id: str, aws_env: None
) -> None:
    bono = _group(ec2, vpc_id, "platform-bono")
    held: list[IpPermissionTypeDef] = [
        {"IpProtocol": "tcp", "FromPort": 30000 + i, "ToPort": 30000 + i,
         "IpRanges": [{"CidrIp": "10.50.0.0/16"}]}
        for i in range(58)
    ]  # fmt: skip
    ec2.authorize_security_group_ingress(GroupId=bono, IpPermissions=held)
    config = _config(moto_ec2, vpc_id, existingGroups={"bono": bono})
    assert run_main({**config, "preflight": "offline"}, stack="prod").resources
    message = _refused(config)
    assert "AWS inbound rules per security group, per family:" in message
    assert "what existing group bono holds already (58)" in message


# On OpenStack: Neutron's quota details of the project (limit, used, reserved), read with
# openstacksdk from a live Neutron (noauth: the project is the stack's openstack:tenantId).


@pytest.fixture
def neutron_env(neutron: NeutronServer, os_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """openstacksdk's environment reaches the keystone-less Neutron, as a user's would."""
    monkeypatch.setenv("OS_AUTH_TYPE", "none")
    monkeypatch.setenv("OS_ENDPOINT", neutron.url)
    monkeypatch.setenv("OS_NETWORK_ENDPOINT_OVERRIDE", neutron.url)


def _neutron(neutron: NeutronServer) -> Connection:
    return openstack.connect(
        auth_type="none",
        auth={"endpoint": neutron.url},
        network_endpoint_override=neutron.url,
        load_yaml_config=False,
        load_envvars=False,
    )


def _another_deployment(conn: Connection, project: str, rules: dict[str, int]) -> None:
    """Groups of another deployment in the project, made with openstacksdk: name -> rules."""
    for name, count in rules.items():
        group = conn.network.create_security_group(name=name, project_id=project)
        for rule in conn.network.security_group_rules(security_group_id=group.id):
            conn.network.delete_security_group_rule(rule)  # Neutron's 2 default egress
        for port in range(20000, 20000 + count):
            conn.network.create_security_group_rule(
                security_group_id=group.id, direction="ingress", ethertype="IPv4",
                protocol="tcp", port_range_min=port, port_range_max=port,
                remote_ip_prefix="10.60.0.0/16", project_id=project,
            )  # fmt: skip


def _project_rules(conn: Connection, project: str) -> int:
    return sum(
        len(group.security_group_rules or ())
        for group in conn.network.security_groups(project_id=project)
    )


OPENSTACK: dict[str, object] = {
    "cloud": "openstack",
    "roles": ["bono", "sprout"],
    "preflight": "live",
}


def test_openstack_another_deployment_in_the_project_is_counted_and_named(
    neutron: NeutronServer, neutron_env: None, project_id: str
) -> None:
    conn = _neutron(neutron)
    config = {**OPENSTACK, "openstack:tenantId": project_id}
    # What the plan needs, from what the program registers (its rules; a group with
    # fewer than 2 holds Neutron's 2 default ones for a while).
    plan = neutron_usage(run_main({**config, "preflight": "offline"}, stack="prod"))[1] - 4
    _another_deployment(conn, project_id, {"other-sprout": 40, "other-bono": 30})
    in_use = _project_rules(conn, project_id)  # theirs, and the default group's
    assert in_use == 40 + 30 + 4
    conn.network.update_quota(project_id, security_group_rules=plan + in_use - 1)
    message = _refused(config)
    assert (
        f"OpenStack security group rules in project {project_id} (read live): "
        f"{plan + in_use} needed ({plan} for this plan + {in_use} in use already: "
        "other-sprout (40 rules), other-bono (30 rules), default (4 rules)), "
        f"{plan + in_use - 1} allowed"
    ) in message, message
    assert f"openstack quota set --secgroup-rules N {project_id}" in message
    conn.network.update_quota(project_id, security_group_rules=plan + in_use)
    assert run_main(config, stack="prod").resources
    # A limit the operator set lower than the project's quota still holds.
    lower = {**config, "limits": {"securityGroupRules": plan + in_use - 1}}
    message = _refused(lower)
    said = f"clearwater-sg:limits.securityGroupRules ({plan + in_use - 1}) is lower than"
    assert said in message, message


def test_openstack_the_stacks_own_groups_of_its_last_update_are_not_counted_twice(
    neutron: NeutronServer, neutron_env: None, project_id: str
) -> None:
    conn = _neutron(neutron)
    options = DeploymentOptions.model_validate(OPENSTACK)
    prepared = prepare(options, "clearwater", "prod")
    config = {"openstack:tenantId": project_id}
    # The stack's groups and rules of its last update, as the cloud holds them.
    _another_deployment(conn, project_id, {"clearwater-prod-bono": 5, "clearwater-prod-sprout": 5})
    ours = list(conn.network.security_groups(project_id=project_id, name="clearwater-prod-bono"))
    ours += conn.network.security_groups(project_id=project_id, name="clearwater-prod-sprout")
    previous = Previous(
        created={group.name.removeprefix("clearwater-prod-"): group.id for group in ours},
        rule_ids=frozenset(rule["id"] for group in ours for rule in group.security_group_rules),
    )
    plan = neutron_usage(run_main({**OPENSTACK, "preflight": "offline"}, stack="prod"))[1] - 4
    # Room for the plan beside the default group's 4 rules, not for the stack's 10 twice
    # (Neutron refuses a quota below what is in use: 14).
    assert plan + 4 >= 14
    conn.network.update_quota(project_id, security_group_rules=plan + 4)
    verdict = live_preflight(options, prepared, previous, "clearwater", "prod", config)
    assert [check.used for check in verdict.quota][1] == plan + 4
    assert all(check.fits for check in verdict.quota), verdict.quota
    # Read as somebody else's, the same groups do not leave room.
    verdict = live_preflight(options, prepared, Previous(), "clearwater", "prod", config)
    assert not all(check.fits for check in verdict.quota)


def test_openstack_without_credentials_an_endpoint_or_a_project_nothing_is_registered(
    os_env: None, monkeypatch: pytest.MonkeyPatch, project_id: str
) -> None:
    config = {**OPENSTACK, "openstack:tenantId": project_id}
    message = _refused(config)
    assert (
        "clearwater-sg:preflight is live, but it could not connect with the stack's "
        "openstack settings (openstack:tenantId, then the SDK's own credentials): "
        "openstacksdk found no usable OpenStack credentials"
    ) in message, message
    # Nothing listens on port 9 of loopback.
    monkeypatch.setenv("OS_AUTH_TYPE", "none")
    monkeypatch.setenv("OS_ENDPOINT", "http://127.0.0.1:9")
    monkeypatch.setenv("OS_NETWORK_ENDPOINT_OVERRIDE", "http://127.0.0.1:9")
    message = _refused(config)
    assert "it could not read the quotas with the stack's openstack settings" in message
    assert "could not reach OpenStack while finding Neutron's endpoint" in message
    assert "http://127.0.0.1:9" in message
    # A keystone-less Neutron names no project: the stack must.
    message = _refused(OPENSTACK)
    assert "the project is unknown" in message and "set openstack:tenantId" in message
