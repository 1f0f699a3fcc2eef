"""`ClearwaterSecurityGroups` (`clearwater_sg.component`) as another Pulumi program uses
it: Outputs of the same program as its VPC and its sources, its outputs registered, its
groups reachable for rules of one's own, each cloud's SDK imported only when used; several
components in one program, each with its own group names or refused when two would
claim the same; and under Pulumi's unit-test mode, the README's pattern (`set_mocks` once
per module, several `@pulumi.runtime.test` tests), run by pytest in a process of its own
as a platform team's test suite runs it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_openstack as openstack
import pytest

from clearwater_sg import ClearwaterSecurityGroups, DeploymentOptions
from clearwater_sg.resources import AWS_GROUP, OPENSTACK_GROUP
from harness import PROJECT_DIR, VPC, run_main
from offline.runner import Recording, run_program
from tests.helpers import SG_A, group_ids_by_role


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


def test_each_clouds_sdk_is_imported_only_when_that_cloud_is_used() -> None:
    program = (
        "import sys\n"
        "from clearwater_sg import ClearwaterSecurityGroups, DeploymentOptions\n"
        "from offline.runner import run_program\n"
        "run_program(lambda: ClearwaterSecurityGroups('ims', DeploymentOptions(cloud='openstack')),"
        " project='p', stack='s', config={})\n"
        "print('pulumi_aws' in sys.modules, 'pulumi_openstack' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", program],
        capture_output=True,
        text=True,
        cwd=PROJECT_DIR,
        check=True,
    )
    assert result.stdout.split() == ["False", "True"]


def test_the_groups_are_reachable_for_rules_of_your_own() -> None:
    def program() -> None:
        groups = ClearwaterSecurityGroups("ims", DeploymentOptions(cloud="aws", vpc_id=VPC))
        aws.vpc.SecurityGroupIngressRule(
            "monitoring",
            security_group_id=groups.security_groups["sprout"].id,
            ip_protocol="tcp",
            from_port=9100,
            to_port=9100,
            cidr_ipv4="10.30.0.0/24",
            description="node exporter from the monitoring subnet",
        )

    recording = run_program(program, project="p", stack="s", config={})
    sprout = next(r for r in recording.resources if r.name == "ims-sprout")
    mine = next(r for r in recording.resources if r.name == "monitoring")
    assert mine.inputs["securityGroupId"] == sprout.id


# --- Several components in one program ----------------------------------------------------


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


def test_a_component_name_that_cannot_prefix_group_names_is_refused() -> None:
    def program() -> None:
        ClearwaterSecurityGroups("my ims", DeploymentOptions(cloud="openstack"))

    with pytest.raises(pulumi.RunError, match="Set name_prefix"):
        run_program(program, project="p", stack="s", config={})


def test_two_components_get_distinct_group_names_by_default() -> None:
    def program() -> None:
        for site in ("site-a", "site-b"):
            ClearwaterSecurityGroups(site, DeploymentOptions(cloud="aws", vpc_id=VPC))

    recording = run_program(program, project="p", stack="prod", config={})
    names = [r.inputs["name"] for r in recording.resources if r.type.endswith("SecurityGroup")]
    assert len(names) == 14 and len(set(names)) == 14
    assert "site-a-prod-ellis" in names and "site-b-prod-ellis" in names


def test_two_components_with_one_name_prefix_are_refused() -> None:
    recording = Recording()

    def program() -> None:
        for site in ("site-a", "site-b"):
            options = DeploymentOptions(cloud="aws", vpc_id=VPC, name_prefix="ims")
            ClearwaterSecurityGroups(site, options)

    with pytest.raises(pulumi.RunError, match=r"'ims-all-nodes' is also created by .*'site-a'"):
        run_program(program, project="p", stack="s", config={}, recording=recording)
    assert not any(r.name.startswith("site-b") for r in recording.resources)


# --- Groups a team already owns -----------------------------------------------------------


def test_a_given_output_becomes_the_groups_id_in_rules_and_outputs() -> None:
    seen: dict[str, Any] = {}

    def program() -> None:
        owned = aws.ec2.SecurityGroup("platform-sprout", vpc_id=VPC)
        options = DeploymentOptions(cloud="aws", vpc_id=VPC, existing_groups={"sprout": owned.id})
        groups = ClearwaterSecurityGroups("ims", options)
        groups.node_security_group_ids.apply(lambda ids: seen.update(nodes=ids))
        groups.security_group_ids.apply(lambda ids: seen.update(groups=ids))
        assert "sprout" not in groups.security_groups

    recording = run_program(program, project="p", stack="s", config={})
    owned = next(r.id for r in recording.resources if r.name == "platform-sprout")
    shared = next(r.id for r in recording.resources if r.name == "ims-all-nodes")
    assert seen["groups"]["sprout"] == owned and seen["nodes"]["sprout"] == [shared, owned]
    on_sprout = [r for r in recording.resources if r.name.startswith("ims-sprout-in-")]
    assert on_sprout and {r.inputs["securityGroupId"] for r in on_sprout} == {owned}
    from_sprout = [r for r in recording.resources if r.name.endswith("-from-sprout")]
    assert from_sprout and {r.inputs["referencedSecurityGroupId"] for r in from_sprout} == {owned}


def test_two_components_may_not_put_rules_on_one_existing_group() -> None:
    recording = Recording()

    def program() -> None:
        for site in ("site-a", "site-b"):
            options = DeploymentOptions(cloud="aws", vpc_id=VPC, existing_groups={"sprout": SG_A})
            ClearwaterSecurityGroups(site, options)

    clash = r"existingGroups.sprout: .* existing sprout group of component 'site-a'"
    with pytest.raises(pulumi.RunError, match=clash):
        run_program(program, project="p", stack="s", config={}, recording=recording)
    assert not any(r.name.startswith("site-b") for r in recording.resources)


# --- Pulumi's unit-test mode: the README's pattern ----------------------------------------


SECTION = "### Unit-testing a program that uses the component"


def readme_example() -> str:
    section = (PROJECT_DIR / "README.md").read_text().split(SECTION, 1)[1]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


def pytest_on(directory: Path, name: str, text: str) -> subprocess.CompletedProcess[str]:
    """`text` as test file `name`, run by pytest in a process of its own."""
    (directory / name).write_text(text)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", name],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_readme_unit_test_pattern_passes(tmp_path: Path) -> None:
    example = readme_example()
    assert example.count("@pulumi.runtime.test") == 2
    assert example.count("set_mocks(") == 1
    ran = pytest_on(tmp_path, "test_ims.py", example)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "2 passed" in ran.stdout


def test_two_components_in_one_test_still_may_not_claim_the_same_names(tmp_path: Path) -> None:
    clash = (
        readme_example().split("@pulumi.runtime.test", 1)[0]
        + """
@pulumi.runtime.test
def test_clash():
    ClearwaterSecurityGroups("ims", DeploymentOptions(cloud="openstack"))
    ClearwaterSecurityGroups("other", DeploymentOptions(cloud="openstack", name_prefix="ims-test"))
"""
    )
    ran = pytest_on(tmp_path, "test_clash.py", clash)
    assert ran.returncode == 1
    assert "group 'ims-test-all-nodes' is also created by component 'ims'" in ran.stdout
