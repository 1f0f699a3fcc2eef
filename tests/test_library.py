"""The component as a platform team meets it: a typed library that feels native."""

from __future__ import annotations

import subprocess
import sys

import pulumi_aws as aws

from clearwater_sg import ClearwaterSecurityGroups, DeploymentOptions
from offline.runner import run_program
from tests.helpers import PROJECT_DIR, VPC


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
