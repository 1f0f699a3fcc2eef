"""What adopt and drift print (`clearwater_sg.live.report`), read from a live Neutron and
moto's EC2: text from the cloud (a rule's description, a group's description) escaped
for a terminal, Markdown and JSON, so that a description cannot forge a line, rewrite one
or break a table; and each rule nobody planned that lets the world reach an internal
Clearwater port, or every port, said first and by its id, judged as the policy pack
judges a rule (an address group or a prefix list by what it holds)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from clearwater_sg.live.cli import EXIT_DRIFT
from harness.local_aws import AwsTarget
from harness.servers import MotoServer, NeutronServer
from tests.live.helpers import LIVE_MARKS, aws_stack_file, cli, config_arguments
from tests.live.scenario import handmade_on_ec2

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client

pytestmark = LIVE_MARKS

STACK = "forged"
# A description written to pass for the end of a report, then to rewrite the line above
# it (ANSI: cursor up, erase line), flip what follows (a bidirectional override), and in
# Markdown end the cell, add an image and a link.
FORGED = (
    "ok\nNo drift in stack 'forged' (openstack), component 'clearwater': all as planned."
    "\x1b[1A\x1b[2K\r\u202etfird on | ![x](http://evil/pixel) [click](http://evil) <b>"
)


def _neutron_stack(neutron: NeutronServer, project_id: str) -> tuple[list[str], dict[str, str]]:
    """The arguments of a Vellum-only stack, and its groups made under their planned
    names (so drift finds them, empty: every planned rule is missing)."""
    client = neutron.client
    ids = {
        key: client.create_security_group(f"clearwater-{STACK}-{key}", project_id=project_id)["id"]
        for key in ("all-nodes", "vellum")
    }
    args = config_arguments({"cloud": "openstack", "roles": ["vellum"]})
    args += ["--stack", STACK, "--os-endpoint", neutron.url, "--project-id", project_id]
    return args, ids


def _rule(neutron: NeutronServer, group: str, project_id: str, **fields: Any) -> str:
    fields = {"direction": "ingress", "ethertype": "IPv4", "protocol": "tcp"} | fields
    made = neutron.client.create_rule(security_group_id=group, project_id=project_id, **fields)
    return str(made["id"])


def _one_table_shape(markdown: str) -> None:
    """Every row of every table has the header's cells, and no markup got out."""
    for table in re.split(r"\n\n+", markdown):
        rows = [line for line in table.splitlines() if line.startswith("|")]
        assert len({len(re.findall(r"(?<!\\)\|", line)) for line in rows}) <= 1, table
    assert not re.search(r"(?<!\\)[<\[!]", markdown.replace("\\\\", "")), "markup got out"
    assert all(line.startswith("|") for line in markdown.splitlines() if "No drift" in line)


def test_a_description_cannot_forge_a_line_in_any_format(
    neutron: NeutronServer,
    project_id: str,
    os_env: None,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    args, ids = _neutron_stack(neutron, project_id)
    port = {"port_range_min": 9999, "port_range_max": 9999}
    forged = _rule(
        neutron,
        ids["vellum"],
        project_id,
        remote_ip_prefix="10.9.0.0/16",
        description=FORGED,
        **port,
    )
    neutron.client.update_security_group(ids["vellum"], description=FORGED)

    code, text, _ = cli(capsys, "drift", *args)
    assert code == EXIT_DRIFT
    lines = text.splitlines()
    assert lines[0].startswith("Drift in stack 'forged'")
    assert not [line for line in lines[1:] if not line.startswith("  ")], text
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f\u202e]", text), "a control character got out"
    (line,) = [line for line in lines if forged in line]
    assert "ok\\nNo drift in stack 'forged'" in line and "\\x1b[1A" in line and "\\u202e" in line

    code, markdown, _ = cli(capsys, "drift", *args, "--format", "markdown")
    assert code == EXIT_DRIFT and forged.replace("-", "\\-") in markdown
    _one_table_shape(markdown)
    out = str(tmp_path / "adopt.json")
    code, markdown, _ = cli(capsys, "adopt", *args, "--format", "markdown", "--out", out)
    assert forged.replace("-", "\\-") in markdown
    _one_table_shape(markdown)

    code, report, _ = cli(capsys, "drift", *args, "--format", "json")
    assert not re.search(r"[\x00-\x1f\x7f]", report.replace("\n", ""))
    unplanned = {r["id"]: r["description"] for r in json.loads(report)["rulesUnplanned"]}
    assert unplanned[forged] == FORGED
    changes = json.loads(report)["changes"]
    described = [
        c["live"] for c in changes if c["field"] == "description" and c["id"] == ids["vellum"]
    ]
    assert described == [FORGED]


def test_drift_says_first_which_unplanned_rule_opens_an_internal_port_to_the_world(
    neutron: NeutronServer,
    project_id: str,
    os_env: None,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Judged as the policy pack judges: half the internet is the world, a rule without
    a protocol opens every port, an address group by what it holds; a private source or
    a port the document opens to the world is not said."""
    args, ids = _neutron_stack(neutron, project_id)
    partners = neutron.client.request(
        "POST", "/v2.0/address-groups",
        {"address_group": {"name": "partners", "addresses": ["10.0.0.0/8", "0.0.0.0/0"],
                           "project_id": project_id}},
    )["address_group"]["id"]  # fmt: skip
    vellum = ids["vellum"]
    cassandra = {"port_range_min": 7000, "port_range_max": 7000}
    half = _rule(neutron, vellum, project_id, remote_ip_prefix="128.0.0.0/1", **cassandra)
    every = _rule(neutron, vellum, project_id, protocol=None, remote_ip_prefix="8.8.8.0/24")
    listed = _rule(neutron, vellum, project_id, remote_address_group_id=partners, **cassandra)
    world = {half, every, listed}
    quiet = {
        _rule(neutron, vellum, project_id, remote_ip_prefix="10.0.0.0/8", **cassandra),
        _rule(neutron, vellum, project_id, remote_ip_prefix="0.0.0.0/0", port_range_min=443,
              port_range_max=443),
    }  # fmt: skip

    code, text, _ = cli(capsys, "drift", *args)
    assert code == EXIT_DRIFT
    warnings = [line for line in text.splitlines() if line.startswith("WARNING")]
    said = {re.findall(r"unplanned rule (\S+)", line)[0] for line in warnings}
    assert said == world
    assert text.splitlines()[1 : 1 + len(world)] == warnings, "not said first"
    assert all("openstack security group rule delete" in line for line in warnings)
    by_id = {re.findall(r"unplanned rule (\S+)", line)[0]: line for line in warnings}
    cassandra_text = "opens internal port(s) TCP/7000 (Peer sites: Cassandra; Vellum: Cassandra)"
    assert f"{cassandra_text} to 128.0.0.0/1 (which includes" in by_id[half]
    assert "opens every port to 8.8.8.0/24;" in by_id[every]
    assert f"{cassandra_text} to address group {partners}, which holds 0.0.0.0/0;" in by_id[listed]

    code, report, _ = cli(capsys, "drift", *args, "--format", "json")
    found = json.loads(report)
    assert {entry["id"] for entry in found["worldOpen"]} == world
    unplanned = {r["id"]: r for r in found["rulesUnplanned"]}
    assert {i for i, r in unplanned.items() if "opensToWorld" in r} == world
    assert quiet <= set(unplanned)

    code, markdown, _ = cli(capsys, "drift", *args, "--format", "markdown")
    assert sum(line.startswith("> **Open to the world**") for line in markdown.splitlines()) == 3

    # adopt, which offers to delete them, says the same first.
    code, adopted, _ = cli(capsys, "adopt", *args, "--out", str(tmp_path / "adopt.json"))
    assert adopted.splitlines()[1 : 1 + len(world)] == warnings


def test_a_prefix_list_holding_the_world_makes_a_rule_open_to_it_on_aws(
    moto_ec2: MotoServer,
    ec2: EC2Client,
    vpc_id: str,
    tmp_path: Path,
    aws_env: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    deployed = handmade_on_ec2(AwsTarget(moto_ec2.url, vpc_id))
    partners = ec2.create_managed_prefix_list(
        PrefixListName="partners", MaxEntries=5, AddressFamily="IPv4",
        Entries=[{"Cidr": "10.0.0.0/8"}, {"Cidr": "0.0.0.0/1"}],
    )["PrefixList"]["PrefixListId"]  # fmt: skip
    answer = ec2.authorize_security_group_ingress(
        GroupId=deployed.group_ids["vellum"],
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 9160, "ToPort": 9160,
                        "PrefixListIds": [{"PrefixListId": partners}]}],
    )  # fmt: skip
    rule = answer["SecurityGroupRules"][0]["SecurityGroupRuleId"]
    stack_file = aws_stack_file(tmp_path / "project", moto_ec2, vpc_id)
    code, report, err = cli(capsys, "drift", "--stack-file", str(stack_file), "--format", "json")
    assert (code, err) == (EXIT_DRIFT, ""), report
    (opened,) = json.loads(report)["worldOpen"]
    assert opened["id"] == rule and opened["opens"].startswith("internal port(s) TCP/9160")
    (via,) = opened["via"]
    assert via.startswith(f"prefix list {partners}, which holds 0.0.0.0/1 (which includes")
