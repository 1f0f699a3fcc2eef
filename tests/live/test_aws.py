"""Reading a deployment from EC2 (`clearwater_sg.live.aws`), through `python -m
clearwater_sg.live` against moto's EC2 server with boto3: groups found by the names AWS
completed (`groupNames: generated`), a managed prefix list and an extra rule matched like
any source and rule, the console's rules without ports (All ICMP, All TCP) read as any
type and any port; and each error (no credentials anywhere boto3 looks, a group that
does not exist or lies in another VPC, a key the stack has no group for) one message,
exit status 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from clearwater_sg.live.cli import EXIT_DRIFT, EXIT_ERROR, EXIT_OK
from clearwater_sg.resources import AWS_GROUP
from harness import PROJECT_DIR, run_main
from harness.servers import MotoServer
from tests.live.helpers import (
    LIVE_MARKS,
    aws_stack_file,
    check_against_registrations,
    cli,
    config_arguments,
    moto_provider_arguments,
    sections,
)
from tests.live.scenario import (
    COMPONENT,
    STACK,
    made_with_generated_names_on_ec2,
    pulumi_made_on_ec2,
)

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client

pytestmark = LIVE_MARKS


def test_generated_names_prefix_lists_and_extra_rules_on_aws(
    moto_ec2: MotoServer,
    ec2: EC2Client,
    vpc_id: str,
    tmp_path: Path,
    aws_env: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Groups whose names AWS completed (`groupNames: generated`) are found by their
    prefix; a managed prefix list and an operator's extra rule are matched like any
    source and rule. The stack is given as config keys, provider settings included."""
    bastions = ec2.create_managed_prefix_list(
        PrefixListName="bastions", MaxEntries=5, AddressFamily="IPv4"
    )["PrefixList"]["PrefixListId"]
    values: dict[str, object] = {
        "cloud": "aws",
        "vpcId": vpc_id,
        "roles": ["ellis"],
        "groupNames": "generated",
        "sshSources": [bastions],
        "prefixLists": {bastions: 5},
        "extraRules": {
            "ellis": [
                {
                    "protocol": "tcp",
                    "ports": "8443",
                    "sources": ["10.0.0.0/8"],
                    "description": "Ellis admin",
                    "reason": "OPS-42",
                }
            ]
        },
    }
    registered = run_main(values, stack=STACK)
    deployed = made_with_generated_names_on_ec2(ec2, vpc_id, registered)
    keys, provider = config_arguments(values), moto_provider_arguments(moto_ec2)
    out_file = tmp_path / "adopt.json"
    code, report, err = cli(
        capsys, "adopt", *keys, *provider, "--stack", STACK, "-o", str(out_file)
    )
    assert (code, err) == (EXIT_OK, ""), err

    document = json.loads(out_file.read_text())
    by_name = check_against_registrations(document, registered, missing="")
    groups = {e["name"]: e["id"] for e in document["resources"][1:] if e["type"] == AWS_GROUP}
    assert groups == {f"{COMPONENT}-{key}": gid for key, gid in deployed.group_ids.items()}
    found = sections(report)
    assert sorted(found["groups"]) == ["keep all-nodes", "keep ellis"]
    assert "found by name" in report
    assert (found["create"], found["delete"]) == ([], [])
    ssh = next(name for name in by_name if "-in-tcp-22-from-" in name)
    assert ssh.endswith(bastions)
    assert f"[all-nodes ingress any tcp/22 from prefix list {bastions}]" in report
    assert "[ellis ingress IPv4 tcp/8443 from 10.0.0.0/8]" in report
    # moto keeps no description on a prefix-list source (AWS does): the one change.
    assert found["changes"] == [ssh]
    assert "description: (none) -> 'SSH access from SSH sources' (updated in place)" in report


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


def test_drift_reports_rules_without_ports_next_to_rules_with_them_on_aws(
    moto_ec2: MotoServer,
    ec2: EC2Client,
    vpc_id: str,
    tmp_path: Path,
    aws_env: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The EC2 console's "All ICMP" and "All TCP" beside the planned ICMP and TCP rules of
    the same group: reported as any type / any port, never a crash (exit 1, not 2)."""
    deployed = pulumi_made_on_ec2(ec2, vpc_id)
    ec2.authorize_security_group_ingress(
        GroupId=deployed.group_ids["all-nodes"],
        IpPermissions=[
            {
                "IpProtocol": "icmp",
                "FromPort": -1,
                "ToPort": -1,
                "IpRanges": [{"CidrIp": "10.9.0.0/16"}],
            },
            {
                "IpProtocol": "tcp",
                "FromPort": 0,
                "ToPort": 65535,
                "IpRanges": [{"CidrIp": "10.9.0.0/16"}],
            },
        ],
    )
    stack_file = aws_stack_file(tmp_path / "project", moto_ec2, vpc_id)
    code, report, err = cli(capsys, "drift", "--stack-file", str(stack_file), "--format", "json")
    assert (code, err) == (EXIT_DRIFT, "")
    unplanned = sorted(rule["permits"] for rule in json.loads(report)["rulesUnplanned"])
    assert unplanned == [
        "all-nodes ingress IPv4 icmp any type from 10.9.0.0/16",
        "all-nodes ingress IPv4 tcp/0-65535 from 10.9.0.0/16",
    ]


def test_existing_groups_are_read_by_their_ids_and_their_owners_rules_left_alone(
    moto_ec2: MotoServer,
    ec2: EC2Client,
    vpc_id: str,
    tmp_path: Path,
    aws_env: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Sprout's group is a team's own, with EC2's default egress and a rule of theirs.
    Drift reports those two rules as unplanned, in an existing group, and nothing else;
    adopt imports the rules the plan put on it but not the group, and lists its owner's
    rules as left alone, never to delete."""
    sprout = ec2.create_security_group(
        GroupName="platform-sprout", Description="ours", VpcId=vpc_id
    )["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=sprout,
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 9100, "ToPort": 9100,
             "IpRanges": [{"CidrIp": "10.30.0.0/24"}]},
        ],
    )  # fmt: skip
    # The team's rule and EC2's default egress (in the VPC's families).
    owners = {
        rule["SecurityGroupRuleId"]
        for rule in ec2.describe_security_group_rules(
            Filters=[{"Name": "group-id", "Values": [sprout]}]
        )["SecurityGroupRules"]
    }
    values: dict[str, object] = {
        "cloud": "aws",
        "vpcId": vpc_id,
        "roles": ["sprout", "vellum"],
        "groupNames": "generated",
        "existingGroups": {"sprout": sprout},
    }
    registered = run_main(values, stack=STACK)
    made_with_generated_names_on_ec2(ec2, vpc_id, registered, existing=(sprout,))
    keys, provider = config_arguments(values), moto_provider_arguments(moto_ec2)

    code, out, err = cli(capsys, "drift", *keys, *provider, "--stack", STACK, "--format", "json")
    report = json.loads(out)
    assert (code, err) == (EXIT_DRIFT, "")
    assert {(r["id"], r["inExistingGroup"]) for r in report["rulesUnplanned"]} == {
        (rule_id, True) for rule_id in owners
    }
    assert (report["rulesMissing"], report["changes"]) == ([], [])
    assert {g["key"]: g["action"] for g in report["groups"]} == {
        "all-nodes": "keep",
        "vellum": "keep",
        "sprout": "existing",
    }

    code, _, err = cli(
        capsys, "drift", *keys, *provider, "--stack", STACK, f"--group=sprout={sprout}"
    )
    assert code == EXIT_ERROR and "gives this group in existingGroups" in err

    out_file = tmp_path / "adopt.json"
    code, text, err = cli(capsys, "adopt", *keys, *provider, "--stack", STACK, "-o", str(out_file))
    assert (code, err) == (EXIT_OK, ""), err
    found = sections(text)
    assert sorted(found["groups"]) == ["keep all-nodes", "keep vellum"]
    assert f"  rules   sprout       {sprout}  (existingGroups" in text
    assert found["delete"] == []
    left = [line.split()[1] for line in text.splitlines() if line.startswith("  leave ")]
    assert sorted(left) == sorted(owners)
    document = json.loads(out_file.read_text())
    assert sprout not in {entry.get("id") for entry in document["resources"]}
    on_sprout = [e for e in document["resources"] if e["name"].startswith("clearwater-sprout-in-")]
    assert on_sprout, "the plan's rules on the existing group are imported"


def test_restricted_egress_made_as_planned_has_no_drift_and_a_missing_egress_rule_is_found(
    moto_ec2: MotoServer,
    ec2: EC2Client,
    vpc_id: str,
    aws_env: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    values: dict[str, object] = {
        "cloud": "aws",
        "vpcId": vpc_id,
        "roles": ["sprout", "vellum"],
        "groupNames": "generated",
        "egress": "restricted",
        "egressDestinations": {"dns": ["10.0.0.2/32"]},
    }
    registered = run_main(values, stack=STACK)
    deployed = made_with_generated_names_on_ec2(ec2, vpc_id, registered)
    arguments = [*config_arguments(values), *moto_provider_arguments(moto_ec2), "--stack", STACK]
    code, out, err = cli(capsys, "drift", *arguments, "--format", "json")
    assert (code, err, json.loads(out)["inSync"]) == (EXIT_OK, "", True)

    sprout = deployed.group_ids["sprout"]
    [chronos] = [
        rule["SecurityGroupRuleId"]
        for rule in ec2.describe_security_group_rules(
            Filters=[{"Name": "group-id", "Values": [sprout]}]
        )["SecurityGroupRules"]
        if rule["IsEgress"] and rule["FromPort"] == 7253
    ]
    ec2.revoke_security_group_egress(GroupId=sprout, SecurityGroupRuleIds=[chronos])
    code, out, err = cli(capsys, "drift", *arguments, "--format", "json")
    assert code == EXIT_DRIFT
    assert [r["permits"] for r in json.loads(out)["rulesMissing"]] == [
        "sprout egress any tcp/7253 to group vellum"
    ]
