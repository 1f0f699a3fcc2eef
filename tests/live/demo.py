"""The runs shown in docs/adopt-and-drift.md, against moto's EC2.

    .venv/bin/python -m tests.live.demo [aws] [--keep DIR]

Starts moto's server on loopback, makes the deployments of `scenario` (by hand for
adopt; with the real engine, `pulumi up` of the same stack, for drift: it needs `make
engine`), and runs `python -m clearwater_sg.live` as a user would, in a scratch project
directory, printing each command and its output.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

from clearwater_sg.resources import AWS_GROUP
from harness import PROJECT_DIR
from harness.engine import EngineStack, settings
from harness.local_aws import AwsTarget
from harness.servers import MOTO_REGION, MotoServer
from tests.live.scenario import (
    STACK,
    Deployed,
    add_unplanned_on_ec2,
    config,
    handmade_on_ec2,
    key_of,
    recording,
    remove_missing_on_ec2,
)


def show(directory: Path, env: dict[str, str], *argv: str) -> None:
    """Run `python -m clearwater_sg.live ARGV` in `directory` and print it, as typed."""
    print(f"$ python -m clearwater_sg.live {shlex.join(argv)}")
    result = subprocess.run(
        [sys.executable, "-m", "clearwater_sg.live", *argv],
        cwd=directory,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    print(result.stdout + result.stderr, end="")
    print(f"$ echo $?\n{result.returncode}\n")


def scratch_project(directory: Path, values: dict[str, object]) -> None:
    """A project directory: Pulumi.yaml and stacks/Pulumi.<STACK>.yaml."""
    (directory / "stacks").mkdir(parents=True)
    (directory / "Pulumi.yaml").write_text((PROJECT_DIR / "Pulumi.yaml").read_text())
    stack = {"config": values}
    (directory / "stacks" / f"Pulumi.{STACK}.yaml").write_text(
        yaml.safe_dump(stack, sort_keys=False)
    )


def base_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "OS_"))}
    env["PYTHONPATH"] = str(PROJECT_DIR)  # the repository's offline tools (--stack-file)
    env["PYTHONWARNINGS"] = "ignore"
    return env


def demo_aws(directory: Path) -> None:
    env = base_env() | {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    with MotoServer() as moto:
        ec2 = moto.ec2_client()
        vpc_id = moto.create_vpc(ipv6=True)
        values: dict[str, object] = {
            f"clearwater-sg:{key}": value for key, value in config("aws", vpc_id).items()
        }
        values["aws:region"] = MOTO_REGION
        values["aws:endpoints"] = [{"ec2": moto.url}]
        scratch_project(directory, values)
        stack_file = f"stacks/Pulumi.{STACK}.yaml"
        print(f"# {stack_file}\n{(directory / stack_file).read_text()}")

        print("## adopt, a deployment made by hand\n")
        deployed = handmade_on_ec2(AwsTarget(moto.url, vpc_id))
        groups = [f"--group={key}={group_id}" for key, group_id in deployed.group_ids.items()]
        show(directory, env, "adopt", "--stack-file", stack_file, *groups, "-o", "adopt.json")
        document = json.loads((directory / "adopt.json").read_text())
        print("$ head -c 600 adopt.json")
        print(json.dumps(document, indent=2)[:600] + "\n...\n")

        print("## drift, a deployment `pulumi up` made, in another VPC\n")
        target = AwsTarget(moto.url, moto.create_vpc(ipv6=True))
        values["clearwater-sg:vpcId"] = target.vpc_id
        (directory / stack_file).write_text(yaml.safe_dump({"config": values}, sort_keys=False))
        engine = EngineStack(
            directory / "engine", STACK, settings(**config("aws", target.vpc_id)), target
        )
        engine.up()
        made = engine.state_resources()
        deployed = Deployed(
            group_ids={
                key_of(group.name): str(made[group.name]["id"])
                for group in recording("aws").of_type(AWS_GROUP)
            }
        )
        show(directory, env, "drift", "--stack-file", stack_file)
        add_unplanned_on_ec2(target, deployed)
        remove_missing_on_ec2(target, deployed)
        print("# a rule added and one revoked behind the program's back\n")
        show(directory, env, "drift", "--stack-file", stack_file)

        print("## errors\n")
        show(
            directory,
            env,
            "adopt",
            "--stack-file",
            stack_file,
            "--group=ellis=sg-0123456789abcdef0",
        )
        elsewhere = ec2.create_security_group(
            GroupName="ellis", Description="ellis", VpcId=moto.create_vpc("10.9.0.0/16")
        )["GroupId"]
        show(directory, env, "adopt", "--stack-file", stack_file, f"--group=ellis={elsewhere}")
        nobody = base_env() | {
            "AWS_CONFIG_FILE": str(directory / "none"),
            "AWS_SHARED_CREDENTIALS_FILE": str(directory / "none"),
            "AWS_EC2_METADATA_DISABLED": "true",
        }
        print("# with no AWS credentials anywhere boto3 looks")
        show(directory, nobody, "drift", "--stack-file", stack_file)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cloud", nargs="?", choices=["aws"])
    parser.add_argument("--keep", type=Path, help="run in this (new) directory and keep it")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="clearwater-live-") as scratch:
        root = args.keep or Path(scratch)
        demo_aws(root / "aws")


if __name__ == "__main__":
    main()
