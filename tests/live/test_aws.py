"""Reading a deployment from EC2 (`clearwater_sg.live.aws`), through `python -m
clearwater_sg.live` against moto's EC2 server with boto3: each error (no credentials
anywhere boto3 looks, a group that does not exist or lies in another VPC, a key the stack
has no group for) one message, exit status 2. What it reads from deployments the real
engine made (names AWS completed, prefix lists, extra rules, existing groups, restricted
egress, the console's rules without ports) is tests/engine/test_live.py's."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from clearwater_sg.live.cli import EXIT_ERROR
from harness import PROJECT_DIR
from harness.servers import MotoServer
from tests.live.helpers import (
    LIVE_MARKS,
    aws_stack_file,
    cli,
)

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client

pytestmark = LIVE_MARKS


def test_missing_aws_credentials(tmp_path: Path) -> None:
    """Run as a user would, with no credentials anywhere boto3 looks."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_CONFIG_FILE=str(tmp_path / "none"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
        AWS_EC2_METADATA_DISABLED="true",
    )
    argv = ["--config", "cloud=aws", "--config", "vpcId=vpc-0123456789abcdef0"]
    result = subprocess.run(
        [
            *(sys.executable, "-m", "clearwater_sg.live", "adopt", *argv, "--stack", "prod"),
            *("--region", "us-east-1", "--out", str(tmp_path / "adopt.json")),
        ],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == EXIT_ERROR, result.stderr
    assert result.stderr.startswith("error: no AWS credentials found"), result.stderr
    assert "AWS_ACCESS_KEY_ID" in result.stderr and "aws configure" in result.stderr
    assert not (tmp_path / "adopt.json").exists()


def test_unknown_and_misplaced_aws_groups(
    moto_ec2: MotoServer,
    ec2: EC2Client,
    vpc_id: str,
    tmp_path: Path,
    aws_env: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    stack_file = aws_stack_file(tmp_path / "project", moto_ec2, vpc_id)
    adopt = ["adopt", "--stack-file", str(stack_file), "--out", str(tmp_path / "a.json")]

    code, _, err = cli(capsys, *adopt, "--group", "ellis=sg-0123456789abcdef0")
    assert code == EXIT_ERROR
    assert "error: security group sg-0123456789abcdef0 (given for ellis) does not exist" in err

    other_vpc = moto_ec2.create_vpc("10.9.0.0/16")
    elsewhere = ec2.create_security_group(
        GroupName="clearwater-handmade-ellis", Description="x", VpcId=other_vpc
    )["GroupId"]
    code, _, err = cli(capsys, *adopt, "--group", f"ellis={elsewhere}")
    assert code == EXIT_ERROR
    assert f"security group {elsewhere} (given for ellis) is in {other_vpc}" in err
    assert f"not in the stack's VPC {vpc_id}" in err

    code, _, err = cli(capsys, *adopt, "--group", f"ellis-web={elsewhere}")
    assert code == EXIT_ERROR
    assert "this stack has no group 'ellis-web'; its groups are all-nodes, ellis" in err
    assert not (tmp_path / "a.json").exists()
