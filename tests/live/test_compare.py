"""Matching the plan with what a cloud holds (`clearwater_sg.live.compare`), through
`python -m clearwater_sg.live adopt|drift` against moto's EC2 server with boto3.

Adopt: a deployment made by hand (groups without tags, rules without descriptions, EC2's
own default egress rules, one planned rule missing, one rule nobody planned) is read
back; the import document is checked against the real program's registrations (names,
types, parents) and against the rules the cloud holds (each id is the rule that permits
what the registration asks for); the report of what is kept, created, deleted and
changed is checked to the rule. Drift: with tagRules, rules without the planned tags are
drift, and without it they are not. (Drift beside `pulumi refresh`, on a deployment the
real engine made, is tests/engine/test_live.py's.)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from clearwater_sg.live.cli import EXIT_DRIFT, EXIT_OK
from clearwater_sg.resources import AWS_EGRESS, AWS_GROUP
from clearwater_sg.stack_file import load_stack
from harness import PROJECT_DIR
from harness.local_aws import AwsTarget
from harness.servers import MOTO_REGION, MotoServer
from offline.runner import Recording, Registered, run_project
from tests.live.helpers import (
    LIVE_MARKS,
    aws_stack_file,
    check_against_registrations,
    cli,
    sections,
)
from tests.live.scenario import (
    MISSING,
    UNPLANNED_DESCRIPTION,
    Deployed,
    config,
    handmade_on_ec2,
    key_of,
    write_stack_file,
)

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client

pytestmark = LIVE_MARKS


# -- what the adopted cloud must hold ---------------------------------------------


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
    deployed = handmade_on_ec2(AwsTarget(moto_ec2.url, vpc_id))
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
    by_name = check_against_registrations(document, registered, MISSING)
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

    # The report: kept = imported; created = the missing rule; deleted = the unplanned rule
    # and EC2's default egress of every group but all-nodes, whose defaults are the
    # planned egress (IPv4 and IPv6).
    found = sections(report)
    assert sorted(found["groups"]) == sorted(f"keep {key}" for key in deployed.group_ids)
    assert sorted(found["keep"]) == sorted(f"keep {rule_id}" for rule_id in imported_rules)
    assert found["create"] == [f"create {MISSING}"]
    defaults = {key: ids_ for key, ids_ in deployed.defaults.items()}
    assert len(defaults["all-nodes"]) == 2
    deleted = {deployed.unplanned} | {
        rule for key, rules in defaults.items() if key != "all-nodes" for rule in rules
    }
    assert sorted(found["delete"]) == sorted(f"delete {rule}" for rule in deleted)
    egress = {name for name in by_name if "-out-all-all-" in name}
    assert {imported_rules[rule] for rule in defaults["all-nodes"]} == egress
    # What the first `pulumi up` changes: the tags nobody set, and the descriptions of
    # every kept rule, which EC2 updates in place.
    group_names = {by_name[name].name for name in by_name if by_name[name].type == AWS_GROUP}
    assert sorted(found["changes"]) == sorted(group_names | set(imported_rules.values()))
    assert report.count("tags: [] -> [") == len(group_names)
    assert report.count("description: (none) -> '") == len(imported_rules)
    assert report.count("description: (none) -> 'All outbound IPv") == 2
    assert "replaces" not in report
    assert UNPLANNED_DESCRIPTION in report
    assert f"pulumi import --file {out_file} --protect=false --generate-code=false" in report


# -- rule tags (issue 15) ---------------------------------------------------------------


def test_drift_compares_rule_tags_with_tag_rules_on_aws(
    moto_ec2: MotoServer,
    vpc_id: str,
    tmp_path: Path,
    aws_env: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """With tagRules, each kept rule without the planned tags (a rule made by hand has
    none) is drift, updated in place; without tagRules, rule tags are nobody's concern."""
    handmade_on_ec2(AwsTarget(moto_ec2.url, vpc_id))

    def drift(tag_rules: bool) -> tuple[list[dict[str, Any]], int]:
        """The rule tag changes drift reports, and how many rules it kept."""
        values = {f"clearwater-sg:{k}": v for k, v in config("aws", vpc_id).items()}
        values |= {"clearwater-sg:tagRules": tag_rules, "aws:region": MOTO_REGION}
        values["aws:endpoints"] = [{"ec2": moto_ec2.url}]
        stack_file = write_stack_file(tmp_path / f"project-{tag_rules}", values)
        code, out, err = cli(capsys, "drift", "--stack-file", str(stack_file), "--format", "json")
        assert (code, err) == (EXIT_DRIFT, "")
        report = json.loads(out)
        kept = {rule["resource"] for rule in report["rulesKept"]}
        rules = [c for c in report["changes"] if c["field"] == "tags" and c["resource"] in kept]
        return rules, len(kept)

    assert drift(tag_rules=False)[0] == []
    changed, kept = drift(tag_rules=True)
    assert len(changed) == kept > 0
    assert all(c["live"] == [] and not c["replaces"] for c in changed)
    assert all(any(t.startswith("Name=clearwater-") for t in c["planned"]) for c in changed)
