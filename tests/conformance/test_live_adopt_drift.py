"""`python -m clearwater_sg.live adopt|drift` against real APIs: moto's EC2 server (and
a live Neutron for OpenStack's errors), through boto3 and openstacksdk as a user would run
them (no mocks). On OpenStack, adopt and drift beside `pulumi import` and `pulumi
refresh` are the engine tests' (tests/engine/test_live.py).

Adopt: a deployment made by hand (groups without tags, the clouds' own default egress
rules, one planned rule missing, one rule nobody planned) is read back; the import
document is checked against the real program's registrations (names, types, parents)
and against the rules the cloud holds (each id is the rule that permits what the
registration asks for); the report of what is kept, created and deleted is checked to
the rule. Drift: a deployment exactly as the providers make it has none; one rule added
and one removed behind the program's back are exactly the two differences reported.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from clearwater_sg.component import COMPONENT_TYPE
from clearwater_sg.live.cli import EXIT_DRIFT, EXIT_ERROR, EXIT_OK, run
from offline.inventory import AWS_EGRESS, AWS_GROUP
from offline.runner import Recording, Registered, run_project
from offline.stackfile import load_stack
from tests.conformance.live_scenario import (
    COMPONENT,
    EXTRA_DESCRIPTION,
    MISSING,
    STACK,
    Deployed,
    add_extra_on_ec2,
    config,
    handmade_on_ec2,
    key_of,
    made_with_generated_names_on_ec2,
    pulumi_made_on_ec2,
    remove_missing_on_ec2,
    write_stack_file,
)
from tests.conformance.servers import MOTO_REGION, MotoServer, NeutronServer
from tests.helpers import PROJECT_DIR, run_main

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client

pytestmark = [
    pytest.mark.conformance,
    # openstacksdk's own deprecations, raised inside it whatever its caller does.
    pytest.mark.filterwarnings("ignore::DeprecationWarning:openstack.*"),
    pytest.mark.filterwarnings("ignore::PendingDeprecationWarning:openstack.*"),
]

ANY_ADDRESS = {"IPv4": "0.0.0.0/0", "IPv6": "::/0"}


# -- running the command -----------------------------------------------------------


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run the command in this process: (exit status, stdout, stderr)."""
    out = io.StringIO()
    code = run(list(argv), out=out)
    return code, out.getvalue(), capsys.readouterr().err


def sections(report: str) -> dict[str, list[str]]:
    """The first word after the action of each line, by section of the adopt report:
    group keys under "Groups", rule ids or resource names under the rule sections."""
    found: dict[str, list[str]] = {}
    current = ""
    headings = {
        "Groups:": "groups",
        "Rules to keep": "keep",
        "Rules to create": "create",
        "Rules to delete": "delete",
        "Changes the first": "changes",
    }
    for line in report.splitlines():
        heading = next((name for text, name in headings.items() if line.startswith(text)), None)
        if heading is not None:
            current = heading
            found[current] = []
        elif not line.startswith("  "):
            current = ""
        elif current and line.split()[0] in ("keep", "create", "delete"):
            found[current].append(f"{line.split()[0]} {line.split()[1]}")
        elif current == "changes" and not line.startswith("    "):
            found[current].append(line.split()[0])
    return found


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """boto3's default chain finds moto's fake keys in the environment, and nothing else."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def os_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No OS_* variable and no clouds.yaml anywhere openstacksdk looks."""
    for name in list(os.environ):
        if name.startswith("OS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "home" / ".config"))
    monkeypatch.chdir(tmp_path)
    yield


def aws_stack_file(directory: Path, moto: MotoServer, vpc_id: str) -> Path:
    """The scenario as a stack file, with the provider settings pointing at moto."""
    values: dict[str, object] = {
        f"clearwater-sg:{key}": value for key, value in config("aws", vpc_id).items()
    }
    values["aws:region"] = MOTO_REGION
    values["aws:endpoints"] = [{"ec2": moto.url}]
    return write_stack_file(directory, values)


def openstack_config_args() -> list[str]:
    args = ["--stack", STACK]
    for key, value in config("openstack").items():
        args += ["--config", f"{key}={json.dumps(value) if not isinstance(value, str) else value}"]
    return args


# -- what the import document must be ---------------------------------------------


def check_against_registrations(
    document: dict[str, Any], registered: Recording, missing: str
) -> dict[str, Registered]:
    """The document imports every registered resource but `missing` and the component,
    with the program's own type, name and parent; the registrations by name."""
    (component,) = [r for r in registered.resources if r.type == COMPONENT_TYPE]
    assert component.name == COMPONENT
    entries = document["resources"]
    assert entries[0] == {"type": COMPONENT_TYPE, "name": COMPONENT, "component": True}
    assert "nameTable" not in document
    by_name = {r.name: r for r in registered.resources if r.type != COMPONENT_TYPE}
    for entry in entries[1:]:
        assert set(entry) == {"type", "name", "id", "parent"}, entry
        resource = by_name[entry["name"]]
        assert entry["type"] == resource.type
        assert entry["parent"] == COMPONENT
        assert resource.parent == component.urn, "the program parents it to the component"
    imported = sorted(entry["name"] for entry in entries[1:])
    assert imported == sorted(set(by_name) - {missing})
    assert len(imported) == len(set(imported))
    return by_name


def real_ids(registered: Recording, deployed: Deployed, group_type: str) -> dict[str, str]:
    """The mock run's group ids -> the cloud's."""
    return {
        group.id: deployed.group_ids[key_of(group.name)] for group in registered.of_type(group_type)
    }


def ec2_asks(resource: Registered, ids: dict[str, str]) -> tuple[object, ...]:
    """What a registered EC2 rule asks for, as DescribeSecurityGroupRules lists it."""
    inputs = resource.inputs
    ref = inputs.get("referencedSecurityGroupId")

    def port(value: object) -> int:
        return -1 if value is None else int(str(value).split(".")[0])

    return (
        ids[str(inputs["securityGroupId"])],
        resource.type == AWS_EGRESS,
        str(inputs["ipProtocol"]),
        port(inputs.get("fromPort")),
        port(inputs.get("toPort")),
        inputs.get("cidrIpv4"),
        inputs.get("cidrIpv6"),
        ids[str(ref)] if ref else None,
    )


def ec2_holds(rule: Any) -> tuple[object, ...]:
    return (
        rule["GroupId"],
        rule["IsEgress"],
        rule["IpProtocol"],
        rule["FromPort"],
        rule["ToPort"],
        rule.get("CidrIpv4"),
        rule.get("CidrIpv6"),
        rule.get("ReferencedGroupInfo", {}).get("GroupId"),
    )


# -- adopt -------------------------------------------------------------------------


def test_adopt_a_handmade_aws_deployment(
    moto_ec2: MotoServer,
    ec2: EC2Client,
    vpc_id: str,
    tmp_path: Path,
    aws_env: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    deployed = handmade_on_ec2(ec2, vpc_id)
    stack_file = aws_stack_file(tmp_path / "project", moto_ec2, vpc_id)
    out_file = tmp_path / "adopt.json"
    given = [f"--group={key}={group_id}" for key, group_id in deployed.group_ids.items()]
    code, report, err = cli(
        capsys, "adopt", "--stack-file", str(stack_file), *given, "--out", str(out_file)
    )
    assert (code, err) == (EXIT_OK, "")

    # The document, against the real program run with the same stack file.
    document = json.loads(out_file.read_text())
    stack = load_stack(stack_file)  # the program, run with the same stack file
    registered = run_project(
        PROJECT_DIR, project=stack.project, stack=stack.stack, config=stack.config
    )
    by_name = check_against_registrations(document, registered, MISSING["aws"])
    ids = real_ids(registered, deployed, AWS_GROUP)
    stored = {
        rule["SecurityGroupRuleId"]: rule
        for rule in ec2.describe_security_group_rules(
            Filters=[{"Name": "group-id", "Values": sorted(deployed.group_ids.values())}]
        )["SecurityGroupRules"]
    }
    imported_rules = {}
    for entry in document["resources"][1:]:
        resource = by_name[entry["name"]]
        if resource.type == AWS_GROUP:
            assert entry["id"] == deployed.group_ids[key_of(resource.name)]
        else:
            assert ec2_holds(stored[entry["id"]]) == ec2_asks(resource, ids), entry["name"]
            imported_rules[entry["id"]] = entry["name"]

    # The report: kept = imported; created = the missing rule; deleted = the extra rule
    # and EC2's default egress of every group but all-nodes, whose defaults are the
    # planned egress (IPv4 and IPv6).
    found = sections(report)
    assert sorted(found["groups"]) == sorted(f"keep {key}" for key in deployed.group_ids)
    assert sorted(found["keep"]) == sorted(f"keep {rule_id}" for rule_id in imported_rules)
    assert found["create"] == [f"create {MISSING['aws']}"]
    defaults = {key: ids_ for key, ids_ in deployed.defaults.items()}
    assert len(defaults["all-nodes"]) == 2
    deleted = {deployed.extra} | {
        rule for key, rules in defaults.items() if key != "all-nodes" for rule in rules
    }
    assert sorted(found["delete"]) == sorted(f"delete {rule}" for rule in deleted)
    egress = {name for name in by_name if "-out-all-all-" in name}
    assert {imported_rules[rule] for rule in defaults["all-nodes"]} == egress
    # What the first `pulumi up` changes: the tags nobody set, and the descriptions of
    # the default egress rules.
    group_names = {by_name[name].name for name in by_name if by_name[name].type == AWS_GROUP}
    assert sorted(found["changes"]) == sorted(group_names | egress)
    assert report.count("tags: [] -> [") == len(group_names)
    assert report.count("description: (none) -> 'All outbound IPv") == 2
    assert "replaces" not in report
    assert EXTRA_DESCRIPTION in report
    assert f"pulumi import --file {out_file} --protect=false --generate-code=false" in report


def drift_lines(report: str) -> list[str]:
    return sorted(
        " ".join(line.split()[:2]) for line in report.splitlines() if line.startswith("  ")
    )


def test_drift_on_aws(
    moto_ec2: MotoServer,
    ec2: EC2Client,
    vpc_id: str,
    tmp_path: Path,
    aws_env: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    deployed = pulumi_made_on_ec2(ec2, vpc_id)
    stack_file = aws_stack_file(tmp_path / "project", moto_ec2, vpc_id)
    # No ids: the groups are found by their planned names in the stack's VPC.
    code, report, err = cli(capsys, "drift", "--stack-file", str(stack_file))
    assert (code, err) == (EXIT_OK, ""), report
    assert report.startswith(f"No drift in stack '{STACK}' (aws, VPC {vpc_id})")

    add_extra_on_ec2(ec2, deployed)
    remove_missing_on_ec2(ec2, deployed)
    code, report, err = cli(capsys, "drift", "--stack-file", str(stack_file))
    assert (code, err) == (EXIT_DRIFT, "")
    assert "2 differences" in report
    assert drift_lines(report) == sorted([f"extra {deployed.extra}", f"missing {MISSING['aws']}"])


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
    keys = [f"--config={k}={v if isinstance(v, str) else json.dumps(v)}" for k, v in values.items()]
    provider = [
        "--config=aws:region=us-east-1",
        f'--config=aws:endpoints=[{{"ec2": "{moto_ec2.url}"}}]',
    ]
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


# -- errors ------------------------------------------------------------------------


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


def test_missing_openstack_credentials(
    os_env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, report, err = cli(capsys, "drift", *openstack_config_args())
    assert (code, report) == (EXIT_ERROR, "")
    assert err.startswith("error: openstacksdk found no usable OpenStack credentials"), err
    assert "OS_CLOUD" in err and "clouds.yaml" in err


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


def test_unknown_openstack_group(
    neutron: NeutronServer,
    project_id: str,
    tmp_path: Path,
    os_env: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    missing = str(uuid.uuid4())
    where = ["--os-endpoint", neutron.url, "--project-id", project_id]
    code, _, err = cli(
        capsys, "adopt", *openstack_config_args(), *where, "--group", f"bono={missing}"
    )
    assert code == EXIT_ERROR
    assert f"error: security group {missing} (given for bono) does not exist" in err

    other = neutron.client.create_security_group("bono", project_id=uuid.uuid4().hex)["id"]
    code, _, err = cli(
        capsys, "adopt", *openstack_config_args(), *where, "--group", f"bono={other}"
    )
    assert code == EXIT_ERROR
    assert "(given for bono) belongs to project" in err and f"not to {project_id}" in err


# -- what consoles make, and files from other systems (issue 15) ----------------------------


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
    extra = sorted(rule["permits"] for rule in json.loads(report)["rulesExtra"])
    assert extra == [
        "all-nodes ingress IPv4 icmp any type from 10.9.0.0/16",
        "all-nodes ingress IPv4 tcp/0-65535 from 10.9.0.0/16",
    ]


def test_drift_compares_rule_tags_with_tag_rules_on_aws(
    moto_ec2: MotoServer,
    ec2: EC2Client,
    vpc_id: str,
    tmp_path: Path,
    aws_env: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """With tagRules, a rule whose tags were changed behind the program's back is drift,
    and adopt lists the tag updates the first `pulumi up` makes."""
    values = {f"clearwater-sg:{k}": v for k, v in config("aws", vpc_id).items()}
    values |= {"clearwater-sg:tagRules": True, "aws:region": MOTO_REGION}
    values["aws:endpoints"] = [{"ec2": moto_ec2.url}]
    stack_file = write_stack_file(tmp_path / "project", values)
    pulumi_made_on_ec2(ec2, vpc_id)  # as pulumi-aws makes it without tagRules: no rule tags
    code, report, err = cli(capsys, "drift", "--stack-file", str(stack_file), "--format", "json")
    assert (code, err) == (EXIT_DRIFT, "")
    changed = json.loads(report)["changes"]
    assert changed and {c["field"] for c in changed} == {"tags"}
    assert all(c["live"] == [] and not c["replaces"] for c in changed)
    assert all(any(t.startswith("Name=clearwater-") for t in c["planned"]) for c in changed)
    out = tmp_path / "adopt.json"
    code, report, err = cli(capsys, "adopt", "--stack-file", str(stack_file), "--out", str(out))
    assert code == EXIT_OK
    assert report.count("tags: [] -> [") == len(changed)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8-sig"])
def test_group_ids_written_by_powershell_are_read(
    moto_ec2: MotoServer,
    ec2: EC2Client,
    vpc_id: str,
    tmp_path: Path,
    aws_env: None,
    capsys: pytest.CaptureFixture[str],
    encoding: str,
) -> None:
    deployed = pulumi_made_on_ec2(ec2, vpc_id)
    stack_file = aws_stack_file(tmp_path / "project", moto_ec2, vpc_id)
    ids = tmp_path / "ids.json"
    ids.write_bytes(json.dumps(deployed.group_ids).encode(encoding))
    code, report, err = cli(
        capsys, "drift", "--stack-file", str(stack_file), "--group-ids", str(ids)
    )
    assert (code, err) == (EXIT_OK, ""), report


def test_group_ids_that_are_not_text_are_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = tmp_path / "ids.json"
    ids.write_bytes(b'{"ellis": "sg-\xff\xfe\x00"}')
    code, report, err = cli(
        capsys, "drift", "--config", "cloud=openstack", "--stack", "s", "--group-ids", str(ids)
    )
    assert (code, report) == (EXIT_ERROR, "")
    assert err.count("\n") == 1 and "not UTF-8 or UTF-16 text" in err


def test_a_crash_exits_2_never_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A scheduled drift job must tell "drift found" (1) from "drift could not run"."""

    def broken(*args: object) -> None:
        raise TypeError("'<' not supported between instances of 'NoneType' and 'int'")

    monkeypatch.setattr("clearwater_sg.live.cli.read_live", broken)
    monkeypatch.setattr("clearwater_sg.live.cli.make_reader", lambda *args: None)
    code, _, err = cli(capsys, "drift", "--config", "cloud=openstack", "--stack", "s")
    assert code == EXIT_ERROR
    assert "a bug in clearwater-sg" in err
