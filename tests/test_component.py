"""The component as another Pulumi program would use it."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_openstack as openstack
import pytest

from clearwater_sg import ClearwaterSecurityGroups, DeploymentOptions
from offline.inventory import AWS_GROUP, OPENSTACK_GROUP
from offline.runner import Recording, run_program
from tests.helpers import groups_by_role, run_main


def group_ids_by_role(recording: Recording) -> dict[str, str]:
    return {role: group.id for role, group in groups_by_role(recording).items()}


def test_a_vpc_created_in_the_same_program_can_be_passed_as_an_output() -> None:
    seen: dict[str, Any] = {}

    def program() -> None:
        vpc = aws.ec2.Vpc("network", cidr_block="10.0.0.0/16")
        groups = ClearwaterSecurityGroups(
            "ims", DeploymentOptions(cloud="aws", vpc_id=vpc.id, roles=["bono", "sprout"])
        )
        groups.node_security_group_ids.apply(lambda ids: seen.update(nodes=ids))
        groups.security_group_ids.apply(lambda ids: seen.update(groups=ids))

    recording = run_program(program, project="platform", stack="prod", config={})
    vpc_id = recording.of_type("aws:ec2/vpc:Vpc")[0].id
    assert {g.inputs["vpcId"] for g in recording.of_type(AWS_GROUP)} == {vpc_id}
    ids = group_ids_by_role(recording)
    assert seen["groups"] == ids
    assert seen["nodes"] == {
        "bono": [ids["all-nodes"], ids["bono"]],
        "sprout": [ids["all-nodes"], ids["sprout"]],
    }


def test_the_program_exports_group_ids_and_per_role_attachments() -> None:
    recording = run_main({"cloud": "openstack", "deployment": "all-in-one"})
    ids = group_ids_by_role(recording)
    assert recording.outputs["securityGroupIds"] == ids
    assert recording.outputs["nodeSecurityGroupIds"] == {
        "all-in-one": [ids["all-nodes"], ids["all-in-one"]]
    }


def test_two_deployments_in_one_program_do_not_collide() -> None:
    def program() -> None:
        for name in ("east", "west"):
            ClearwaterSecurityGroups(
                name, DeploymentOptions(cloud="openstack", name_prefix=f"cw-{name}")
            )

    recording = run_program(program, project="hosting", stack="prod", config={})
    names = [r.name for r in recording.resources]
    assert len(names) == len(set(names))
    cloud_names = {g.inputs["name"] for g in recording.of_type(OPENSTACK_GROUP)}
    assert {"cw-east-sprout", "cw-west-sprout"} <= cloud_names


def test_component_registers_its_outputs() -> None:
    registered: list[dict[str, Any]] = []
    original = pulumi.ComponentResource.register_outputs

    def spy(self: pulumi.ComponentResource, outputs: Any) -> None:
        if isinstance(self, ClearwaterSecurityGroups):
            registered.append(outputs)
        original(self, outputs)

    pulumi.ComponentResource.register_outputs = spy  # type: ignore[method-assign]
    try:
        run_main({"cloud": "openstack"})
    finally:
        pulumi.ComponentResource.register_outputs = original  # type: ignore[method-assign]
    assert len(registered) == 1
    assert set(registered[0]) == {"securityGroupIds", "nodeSecurityGroupIds"}


@pytest.mark.parametrize("cloud", ["aws", "openstack"])
def test_a_bastion_group_created_in_the_same_program_can_be_the_ssh_source(cloud: str) -> None:
    def program() -> None:
        if cloud == "aws":
            vpc = "vpc-0123456789abcdef0"
            bastion_id = aws.ec2.SecurityGroup("bastion", vpc_id=vpc).id
            options = DeploymentOptions(
                cloud="aws", vpc_id=vpc, ssh_source_groups={"bastion": bastion_id}
            )
        else:
            bastion_id = openstack.networking.SecGroup("bastion").id
            options = DeploymentOptions(
                cloud="openstack", ip_version="dual", ssh_source_groups={"bastion": bastion_id}
            )
        ClearwaterSecurityGroups("ims", options)

    recording = run_program(program, project="platform", stack="prod", config={})
    bastion_id = next(r.id for r in recording.resources if r.name == "bastion")
    ssh = [r for r in recording.resources if "-in-tcp-22-" in r.name]
    # The rule is named after the label, and SSH is open to the bastion's group only.
    assert {r.name for r in ssh} == (
        {"ims-all-nodes-in-tcp-22-from-bastion"}
        if cloud == "aws"
        else {
            "ims-all-nodes-in-tcp-22-from-bastion-ipv4",
            "ims-all-nodes-in-tcp-22-from-bastion-ipv6",
        }
    )
    key = "referencedSecurityGroupId" if cloud == "aws" else "remoteGroupId"
    assert {r.inputs[key] for r in ssh} == {bastion_id}
    assert not any("cidrIpv4" in r.inputs or "remoteIpPrefix" in r.inputs for r in ssh)
