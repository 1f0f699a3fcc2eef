"""The component as a platform team meets it: a typed library that feels native."""

from __future__ import annotations

import inspect
import subprocess
import sys

import pulumi
import pulumi_aws as aws
import pytest

from clearwater_sg import ClearwaterSecurityGroups, DeploymentOptions
from offline.runner import run_program
from tests.helpers import PROJECT_DIR, VPC, run_main


def test_the_package_is_typed() -> None:
    assert (PROJECT_DIR / "clearwater_sg" / "py.typed").is_file()
    assert 'clearwater_sg = ["py.typed"]' in (PROJECT_DIR / "pyproject.toml").read_text()


def test_help_shows_the_names_python_callers_write_with_their_descriptions() -> None:
    parameters = inspect.signature(DeploymentOptions).parameters
    assert "ip_version" in parameters and "ipVersion" not in parameters
    assert parameters["ip_version"].default == "4"
    assert parameters["cloud"].default is inspect.Parameter.empty  # required
    doc = DeploymentOptions.__doc__ or ""
    for name, field in DeploymentOptions.model_fields.items():
        assert field.description, f"{name} has no description"
        assert f"{name} ({field.alias}): {field.description}" in doc


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


def test_rule_tags_are_refused_on_openstack() -> None:
    with pytest.raises(pulumi.RunError, match="clearwater-sg:tagRules: applies to AWS only"):
        run_main({"cloud": "openstack", "tagRules": True})


def test_bad_options_raise_the_projects_own_error_with_every_problem() -> None:
    """Callers catch a ValueError of this package, never pydantic's; pydantic's error
    stays the cause, and each problem names its setting."""
    from pydantic import ValidationError

    from clearwater_sg import ConfigurationError

    with pytest.raises(ConfigurationError) as raised:
        DeploymentOptions(cloud="aws", roles=["sprot"], hss="maybe")
    error = raised.value
    assert isinstance(error, ValueError)
    assert [key for key, _ in error.problems] == ["vpcId", "roles[0]", "hss"]
    assert "did you mean 'sprout'?" in str(error) and "https://errors.pydantic.dev" not in str(
        error
    )
    assert isinstance(error.__cause__, ValidationError)
