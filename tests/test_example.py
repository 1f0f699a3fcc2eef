"""examples/aws-deployment: a program that imports the component and attaches nodes."""

from __future__ import annotations

import runpy

import pytest
import yaml

from clearwater_sg.resources import AWS_GROUP
from harness import PROJECT_DIR
from offline.runner import Recording, Registered, run_program

EXAMPLE_DIR = PROJECT_DIR / "examples" / "aws-deployment"
EXAMPLE_PROJECT = yaml.safe_load((EXAMPLE_DIR / "Pulumi.yaml").read_text())["name"]
AMI = "ami-0123456789abcdef0"
INSTANCE = "aws:ec2/instance:Instance"
VPC = "aws:ec2/vpc:Vpc"
SUBNET = "aws:ec2/subnet:Subnet"


@pytest.fixture(scope="module")
def recording() -> Recording:
    def program() -> None:
        runpy.run_path(str(EXAMPLE_DIR / "__main__.py"), run_name="__main__")

    return run_program(
        program,
        project=EXAMPLE_PROJECT,
        stack="test",
        config={"aws:region": "eu-west-1", f"{EXAMPLE_PROJECT}:ami": AMI},
    )


def role_tag(resource: Registered) -> str:
    return str(resource.inputs["tags"]["clearwater:role"])


def group_ids(recording: Recording) -> dict[str, str]:
    """Group id by role, read from the security groups the component registered."""
    return {role_tag(group): group.id for group in recording.of_type(AWS_GROUP)}


def test_every_instance_carries_exactly_its_roles_groups(recording: Recording) -> None:
    ids = group_ids(recording)
    instances = recording.of_type(INSTANCE)
    assert instances
    for instance in instances:
        role = role_tag(instance)
        attached = instance.inputs["vpcSecurityGroupIds"]
        assert len(attached) == len(set(attached)), f"{role}: a group is attached twice"
        assert set(attached) == {ids["all-nodes"], ids[role]}, role


def test_there_is_one_instance_per_role_group(recording: Recording) -> None:
    roles = [role_tag(instance) for instance in recording.of_type(INSTANCE)]
    assert sorted(roles) == sorted(role for role in group_ids(recording) if role != "all-nodes")


def test_groups_and_instances_live_in_the_examples_own_network(recording: Recording) -> None:
    (vpc,) = recording.of_type(VPC)
    (subnet,) = recording.of_type(SUBNET)
    assert subnet.inputs["vpcId"] == vpc.id
    # The VPC id is an Output of the same program, passed straight to the component.
    assert {group.inputs["vpcId"] for group in recording.of_type(AWS_GROUP)} == {vpc.id}
    for instance in recording.of_type(INSTANCE):
        assert instance.inputs["subnetId"] == subnet.id
        assert instance.inputs["ami"] == AMI


def test_the_example_installs_the_component_from_this_repository() -> None:
    project = yaml.safe_load((EXAMPLE_DIR / "Pulumi.yaml").read_text())
    assert project["runtime"]["name"] == "python"
    requirement_lines = (EXAMPLE_DIR / "requirements.txt").read_text().splitlines()
    assert "-e ../..[aws]" in requirement_lines
    assert (EXAMPLE_DIR / "../..").resolve() == PROJECT_DIR
