"""The live tools beside the real engine, on both clouds: `live adopt` then `pulumi import
--file`, and `live drift` beside `pulumi refresh`, against groups in a
Keystone-authenticated Neutron and in a VPC of moto's EC2.

The deployment made by hand is built from the document reader's expectation (never
from the program's plan), the way an operator who read the port document would: one
group per role under the README's names and descriptions, one rule per permission, with
no description.
"""

from __future__ import annotations

import io
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from pulumi.automation.events import OpType

from clearwater_sg.live.cli import EXIT_DRIFT, EXIT_OK, run
from clearwater_sg.resources import GROUP_TYPES
from harness import PROJECT, run_main
from harness.doc_reader import ANY_FAMILY, ANYWHERE, FAMILY, Permission, cloud_protocol
from harness.engine import EngineStack, Target, documented, settings
from harness.local_aws import AwsTarget
from tests.conformance.stored import stored_permissions
from tests.engine.conftest import CLOUDS, StackFactory, deployable, moto_leaves_out
from tests.live.helpers import check_against_registrations, config_arguments, sections

STACK = "adopted"
ROLES = ["sprout", "dime", "vellum"]
GROUPS = ["all-nodes", *ROLES]
# A rule nobody planned, made by hand beside the deployment's; and one the document
# asks for (Cassandra between Vellum nodes) that goes missing.
STRAY = Permission("sprout", "ingress", "IPv4", "tcp", 8080, 8080, "0.0.0.0/0")
# A group reference is one rule for both families on AWS, one per ethertype on Neutron.
REFERENCE_FAMILY = {"openstack": "IPv4", "aws": ANY_FAMILY}


def _config(cloud: str, target: Target) -> dict[str, Any]:
    config = settings(cloud=cloud, roles=ROLES, sshSources=["192.0.2.0/24"])
    return deployable(config, cloud, target)


def _cassandra(cloud: str) -> tuple[Permission, str]:
    """Cassandra between Vellum nodes, and how the live tools write it."""
    family = REFERENCE_FAMILY[cloud]
    permission = Permission("vellum", "ingress", family, "tcp", 7000, 7000, "group:vellum")
    return permission, f"vellum ingress {family} tcp/7000 from group vellum"


def _defaults(cloud: str, groups: list[str]) -> Counter[Permission]:
    """The egress rules a cloud gives every new group (in a dual-stack VPC on AWS): a
    group made by hand keeps them."""
    return Counter(
        Permission(group, "egress", FAMILY[n], cloud_protocol(cloud, "all", n), None, None, to)
        for group in groups
        for n, to in ANYWHERE.items()
    )


def _description(group: str) -> str:
    """The README's table of what the component creates."""
    return (
        "Project Clearwater - shared by every node"
        if group == "all-nodes"
        else f"Project Clearwater - {group} nodes"
    )


def _kept_defaults(cloud: str) -> Counter[Permission]:
    """The default egress rules a group made by hand keeps: Neutron's. moto refuses to
    update an all-traffic rule as terraform-provider-aws sends the update (no ports,
    which EC2 accepts: tests/conformance/test_oracles.py), so the description the first
    `up` gives a planned allow-all rule made by hand could not reach it: on AWS the
    operator here revoked EC2's default egress and made no allow-all rule, which the
    first `up` then creates."""
    return _defaults(cloud, GROUPS) if cloud == "openstack" else Counter()


def _by_hand(target: Target, cloud: str, permissions: list[Permission]) -> dict[str, str]:
    """Groups named and described as the README says (`clearwater-<stack>-<role>`),
    untagged, with the default egress rules of `_kept_defaults`, and one rule per
    permission those do not already grant (on AWS none for all traffic); role -> group
    id."""
    ids = {
        role: target.create_group(f"clearwater-{STACK}-{role}", _description(role))
        for role in GROUPS
    }
    if cloud == "aws":
        for group_id in ids.values():
            for rule in target.rules_of(group_id):
                target.delete_rule(group_id, rule)
        permissions = [p for p in permissions if p.protocol != "-1"]
    defaults = stored_permissions(target, {group_id: role for role, group_id in ids.items()})
    for permission in permissions:
        if permission not in defaults:
            target.add_rule(ids[permission.group], permission, ids)
    return ids


def _kind(op: OpType) -> str:
    """A step as adopt reports it: a replacement's three steps are one replace."""
    replacing = (OpType.REPLACE, OpType.CREATE_REPLACEMENT, OpType.DELETE_REPLACED)
    return "replace" if op in replacing else op.value


def _live(
    command: str, stack: EngineStack, monkeypatch: pytest.MonkeyPatch, *extra: str
) -> tuple[int, dict[str, Any]]:
    """`python -m clearwater_sg.live COMMAND --format json`, with the target's environment
    (OpenStack's openrc) and the stack file (AWS's endpoint and keys)."""
    for key, value in stack.target.env.items():
        monkeypatch.setenv(key, value)
    out = io.StringIO()
    argv = [command, "--stack-file", str(stack.stack_file), "--format", "json", *extra]
    status = run(argv, out)
    return status, json.loads(out.getvalue())


@pytest.mark.parametrize("cloud", CLOUDS)
def test_adopt_then_import_then_preview_shows_what_adopt_reported(
    engine_stack: StackFactory,
    target: Target,
    cloud: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    config = _config(cloud, target)
    cassandra, cassandra_text = _cassandra(cloud)
    wanted = sorted(documented(config).elements(), key=Permission.key)
    assert cassandra in wanted
    _by_hand(target, cloud, [p for p in wanted if p != cassandra] + [STRAY])
    stack = engine_stack(STACK, config)

    document = tmp_path / "adopt.json"
    status, adopted = _live("adopt", stack, monkeypatch, "--out", str(document))
    assert status == EXIT_OK
    missing = [r["permits"] for r in adopted["rulesMissing"]]
    egress = ["all-nodes egress IPv4 all traffic to 0.0.0.0/0"] if cloud == "aws" else []
    assert sorted(missing) == sorted([cassandra_text, *egress])
    assert any("tcp/8080" in r["permits"] for r in adopted["rulesUnplanned"])
    assert all(g["action"] == "keep" for g in adopted["groups"])

    imported = json.loads(document.read_text())
    stack.stack.import_resources(
        resources=imported["resources"],
        name_table=imported.get("nameTable"),
        protect=False,  # as adopt says: the stack does not protect its resources
        generate_code=False,
    )

    # A rule made by hand has no description. Neutron cannot change a rule's
    # description, EC2 can: adopt says which kept rules the first `up` replaces (on
    # OpenStack, each), and the engine must plan exactly those, the updates and the
    # creates.
    planned = {(_kind(step.op), step.name) for step in stack.preview().changes()}
    replaced = {c["resource"] for c in adopted["changes"] if c["replaces"]}
    assert bool(replaced) == (cloud == "openstack"), replaced
    assert planned == (
        {("create", r["resource"]) for r in adopted["rulesMissing"]}
        | {("replace", name) for name in replaced}
        | {("update", c["resource"]) for c in adopted["changes"] if c["resource"] not in replaced}
    )

    stack.up()
    assert stack.preview(expect_no_changes=True).changes() == []
    # The rules nobody planned are left alone: `pulumi up` manages only what it imported.
    kept = documented(config) | _kept_defaults(cloud)
    assert stored_permissions(target) == kept + Counter([STRAY])


@pytest.mark.parametrize("cloud", CLOUDS)
def test_drift_reports_what_was_changed_behind_pulumis_back(
    engine_stack: StackFactory, target: Target, cloud: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, cassandra_text = _cassandra(cloud)
    stack = engine_stack(STACK, _config(cloud, target))
    stack.up()
    status, report = _live("drift", stack, monkeypatch)
    assert (status, report["inSync"]) == (EXIT_OK, True)

    groups = target.group_ids()
    added = target.add_rule(groups[f"clearwater-{STACK}-sprout"], STRAY, {})
    vellum = groups[f"clearwater-{STACK}-vellum"]
    [removed] = [rule for rule, port in target.rules_of(vellum).items() if port == 7000]
    target.delete_rule(vellum, removed)

    status, report = _live("drift", stack, monkeypatch)
    assert status == EXIT_DRIFT
    assert [r["id"] for r in report["rulesUnplanned"]] == [added]
    assert [r["permits"] for r in report["rulesMissing"]] == [cassandra_text]

    # What the engine sees: refresh notices the deleted rule (it drops it from the state,
    # so the next up creates it again) and cannot see the added one, which no resource
    # in the state owns. Against moto, refresh also reads no description back on the
    # rules that reference a group (moto_leaves_out), and the next up sets them again.
    before = stack.state_resources()
    gap = moto_leaves_out(target, {str(r.get("id")) for r in before.values()})
    stack.refresh()
    dropped = sorted(before.keys() - stack.state_resources().keys())
    assert dropped == [r["resource"] for r in report["rulesMissing"]]
    repaired = {(s.op, s.name) for s in stack.up().changes()}
    assert repaired == {(OpType.CREATE, r["resource"]) for r in report["rulesMissing"]} | {
        (OpType.UPDATE, name) for name, r in before.items() if r.get("id") in gap
    }
    status, report = _live("drift", stack, monkeypatch)
    assert status == EXIT_DRIFT
    assert [r["id"] for r in report["rulesUnplanned"]] == [added]
    assert report["rulesMissing"] == []


# Rules a console makes without ports beside the planned rules of the same group and
# protocol, and how drift reports them.
PORTLESS = {
    "openstack": (
        [
            Permission("vellum", "ingress", "IPv4", "tcp", None, None, "10.9.0.0/16"),
            Permission("vellum", "ingress", "IPv6", "ipv6-icmp", None, None, "fd00:9::/48"),
        ],
        [
            "vellum ingress IPv4 tcp any port from 10.9.0.0/16",
            "vellum ingress IPv6 icmp any type from fd00:9::/48",
        ],
    ),
    "aws": (  # EC2's "All ICMP - IPv4" and "All TCP"
        [
            Permission("all-nodes", "ingress", "IPv4", "icmp", None, None, "10.9.0.0/16"),
            Permission("all-nodes", "ingress", "IPv4", "tcp", 0, 65535, "10.9.0.0/16"),
        ],
        [
            "all-nodes ingress IPv4 icmp any type from 10.9.0.0/16",
            "all-nodes ingress IPv4 tcp/0-65535 from 10.9.0.0/16",
        ],
    ),
}


@pytest.mark.parametrize("cloud", CLOUDS)
def test_drift_reports_rules_without_ports_made_in_a_console(
    engine_stack: StackFactory, target: Target, cloud: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rules without ports or type beside the planned rules of the same group and
    protocol: reported, never a crash."""
    stack = engine_stack(STACK, _config(cloud, target))
    stack.up()
    groups = target.group_ids()
    made, reported = PORTLESS[cloud]
    for permission in made:
        target.add_rule(groups[f"clearwater-{STACK}-{permission.group}"], permission, {})
    status, report = _live("drift", stack, monkeypatch)
    assert status == EXIT_DRIFT
    assert sorted(r["permits"] for r in report["rulesUnplanned"]) == reported


@pytest.mark.parametrize("cloud", CLOUDS)
def test_rules_go_on_groups_a_team_already_owns_and_destroy_leaves_those_groups(
    engine_stack: StackFactory,
    target: Target,
    cloud: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """`existingGroups`: Sprout's and all-nodes' groups exist already, made by hand with
    the cloud's default egress and a rule of their owner's. `up` puts the document's
    rules on them and creates only the other groups; a second run changes nothing; drift
    reports the owner's rules, which `up` and `destroy` leave where they are; adopt
    imports the rules the plan put on them but not the groups, and lists their owner's
    rules as left alone, never to delete."""
    owned = {key: target.create_group(f"platform-{key}", "ours") for key in ("all-nodes", "sprout")}
    exporter = Permission("sprout", "ingress", "IPv4", "tcp", 9100, 9100, "10.30.0.0/24")
    target.add_rule(owned["sprout"], exporter, {})
    keys = {group_id: key for key, group_id in owned.items()}
    owners = stored_permissions(target, keys)
    assert owners == _defaults(cloud, list(owned)) + Counter([exporter])
    owners_rules = {rule for group in owned.values() for rule in target.rules_of(group)}
    before = target.snapshot()
    config = _config(cloud, target) | settings(existingGroups=owned)
    stack = engine_stack("existing", config)

    created = stack.up()
    made = {s.name for s in created.changes() if s.type in GROUP_TYPES}
    assert made == {"clearwater-vellum", "clearwater-dime"}
    # The document's rules, without the all-nodes egress its owner keeps, plus the owner's.
    held = stored_permissions(target, keys)
    assert held == documented(config) + owners
    assert stack.preview(expect_no_changes=True).changes() == []
    assert stack.stack.outputs()["securityGroupIds"].value.items() >= owned.items()

    status, report = _live("drift", stack, monkeypatch)
    assert status == EXIT_DRIFT
    unplanned = {(r["id"], r["inExistingGroup"]) for r in report["rulesUnplanned"]}
    assert unplanned == {(rule_id, True) for rule_id in owners_rules}
    assert report["rulesMissing"] == [] and report["changes"] == []

    out_file = tmp_path / "adopt.json"
    adopt = ["--stack-file", str(stack.stack_file), "-o", str(out_file)]
    status, text = _text("adopt", stack, monkeypatch, *adopt)
    assert status == EXIT_OK, text
    found = sections(text)
    assert sorted(found["groups"]) == ["keep dime", "keep vellum"]
    for key, group_id in owned.items():
        assert re.search(rf"^  rules +{key} +{group_id} +\(existingGroups", text, re.M), text
    assert found["delete"] == []
    left = [line.split()[1] for line in text.splitlines() if line.startswith("  leave ")]
    assert sorted(left) == sorted(owners_rules)
    document = json.loads(out_file.read_text())
    assert not set(owned.values()) & {entry.get("id") for entry in document["resources"]}
    on_sprout = [e for e in document["resources"] if e["name"].startswith("clearwater-sprout-in-")]
    assert on_sprout, "the plan's rules on the existing group are imported"

    stack.destroy()
    assert target.snapshot() == before, "destroy touched what the team owns"


# ==========================================================================
# AWS only: what the reader finds in deployments the real engine made


def _text(
    command: str, stack: EngineStack, monkeypatch: pytest.MonkeyPatch, *argv: str
) -> tuple[int, str]:
    """`python -m clearwater_sg.live COMMAND ARGV`, its text report."""
    for key, value in stack.target.env.items():
        monkeypatch.setenv(key, value)
    out = io.StringIO()
    return run([command, *argv], out), out.getvalue()


@pytest.mark.parametrize("cloud", ["aws"])
def test_adopt_finds_the_groups_aws_named_and_matches_prefix_lists_and_extra_rules(
    engine_stack: StackFactory,
    target: AwsTarget,
    cloud: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """Groups whose names AWS completed (`groupNames: generated`) are found by their
    prefix; a managed prefix list and an operator's extra rule are matched like any
    source and rule. The stack is given as config keys, provider settings included."""
    extra = {
        "protocol": "tcp",
        "ports": "8443",
        "sources": ["10.0.0.0/8"],
        "description": "Ellis admin",
        "reason": "OPS-42",
    }
    config = deployable(
        settings(
            cloud=cloud,
            roles=["ellis"],
            groupNames="generated",
            sshSources=["pl-0123456789abcdef0"],
            prefixLists={"pl-0123456789abcdef0": 5},
            extraRules={"ellis": [extra]},
        ),
        cloud,
        target,
    )
    [bastions] = config[f"{PROJECT}:prefixLists"]
    stack = engine_stack(STACK, config)
    stack.up()
    made = {name: r.get("id") for name, r in stack.state_resources().items()}

    values = {key.removeprefix(f"{PROJECT}:"): value for key, value in config.items()}
    out_file = tmp_path / "adopt.json"
    arguments = [*config_arguments(values | target.settings), "--stack", STACK]
    status, report = _text("adopt", stack, monkeypatch, *arguments, "-o", str(out_file))
    assert status == EXIT_OK, report

    document = json.loads(out_file.read_text())
    by_name = check_against_registrations(document, run_main(values, stack=STACK), missing="")
    assert {e["name"]: e["id"] for e in document["resources"][1:]} == {
        name: made[name] for name in by_name
    }
    found = sections(report)
    assert sorted(found["groups"]) == ["keep all-nodes", "keep ellis"]
    assert "found by name" in report
    assert (found["create"], found["delete"]) == ([], [])
    ssh = next(name for name in by_name if "-in-tcp-22-from-" in name)
    assert ssh.endswith(bastions)
    assert f"[all-nodes ingress any tcp/22 from prefix list {bastions}]" in report
    assert "[ellis ingress IPv4 tcp/8443 from 10.0.0.0/8]" in report
    # moto keeps no description on a prefix-list source, where EC2 does
    # (tests/conformance/test_oracles.py): the one change, which EC2 would not show.
    assert found["changes"] == [ssh]
    assert "description: (none) -> 'SSH access from SSH sources' (updated in place)" in report


@pytest.mark.parametrize("cloud", ["aws"])
def test_restricted_egress_made_as_planned_has_no_drift_and_a_missing_egress_rule_is_found(
    engine_stack: StackFactory, target: AwsTarget, cloud: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = settings(
        cloud=cloud,
        roles=["sprout", "vellum"],
        groupNames="generated",
        egress="restricted",
        egressDestinations={"dns": ["10.0.0.2/32"]},
    )
    stack = engine_stack(STACK, deployable(config, cloud, target))
    stack.up()
    status, report = _live("drift", stack, monkeypatch)
    assert (status, report["inSync"]) == (EXIT_OK, True)

    sprout = str(stack.state_resources()["clearwater-sprout"]["id"])
    ec2 = target.ec2()
    [chronos] = [
        rule["SecurityGroupRuleId"]
        for rule in ec2.describe_security_group_rules(
            Filters=[{"Name": "group-id", "Values": [sprout]}]
        )["SecurityGroupRules"]
        if rule["IsEgress"] and rule["FromPort"] == 7253
    ]
    target.delete_rule(sprout, chronos)
    status, report = _live("drift", stack, monkeypatch)
    assert status == EXIT_DRIFT
    assert [r["permits"] for r in report["rulesMissing"]] == [
        "sprout egress any tcp/7253 to group vellum"
    ]
