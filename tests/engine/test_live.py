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
from pulumi.automation.errors import CommandError
from pulumi.automation.events import OpType

from clearwater_sg.live.cli import EXIT_DRIFT, EXIT_OK, run
from clearwater_sg.resources import GROUP_TYPES
from harness import PROJECT, run_main
from harness.doc_reader import ANY_FAMILY, ANYWHERE, FAMILY, Permission, cloud_protocol
from harness.engine import EngineStack, Target, deployable, documented, settings
from harness.local_aws import AwsTarget
from harness.local_openstack import Project
from tests.conformance.stored import project_permissions, stored_permissions
from tests.engine.conftest import CLOUDS, StackFactory, moto_leaves_out
from tests.live.helpers import check_against_registrations, config_arguments, sections
from tests.unit.test_quota import neutron_usage

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
    # creates. The engine's builtin provider, which the program's read of its last update
    # uses, joins the state too: no resource of the program's.
    planned = {
        (_kind(step.op), step.name)
        for step in stack.preview().changes()
        if step.type != "pulumi:providers:pulumi"
    }
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


# -- existingGroups on a running stack: what the cloud holds and what the stack had ---------


def _owned(project: Project, key: str, *rules: dict[str, Any]) -> str:
    """A group a team made by hand (with Neutron's default egress), holding `rules`."""
    net = project.connection().network
    group = str(net.create_security_group(name=f"platform-{key}", description="ours").id)
    for rule in rules:
        net.create_security_group_rule(security_group_id=group, **rule)
    return group


def _up_refused(stack: EngineStack) -> str:
    """What `pulumi up` says when the program refuses it."""
    with pytest.raises(CommandError) as refused:
        stack.up()
    return str(refused.value)


SIP_FROM_THE_WORLD = {
    "direction": "ingress", "ether_type": "IPv4", "protocol": "tcp",
    "port_range_min": 5060, "port_range_max": 5060, "remote_ip_prefix": "0.0.0.0/0",
}  # fmt: skip


def test_a_planned_rule_an_existing_group_holds_is_refused_before_up_then_adopted(
    engine_stack: StackFactory, os_project: Project, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Bono's group exists and admits SIP from the world already, which the plan asks for
    too: Neutron would refuse the second one halfway through `up` (9 created, 2 errored,
    as reported). With `preflight: live` the program reads the group first and refuses,
    naming the rule, with nothing created; adopt imports that rule, and `up` then
    completes, and runs again with the live pre-flight (the rule is the stack's now)."""
    bono = _owned(os_project, "bono", SIP_FROM_THE_WORLD)
    (held,) = [
        r.id
        for r in os_project.connection().network.security_group_rules(security_group_id=bono)
        if r.port_range_min == 5060
    ]
    before = os_project.snapshot()
    config = settings(
        cloud="openstack", roles=["bono", "sprout"], existingGroups={"bono": bono},
        preflight="live",
    )  # fmt: skip
    stack = engine_stack("duplicate", config)
    output = _up_refused(stack)
    assert f"holds rule {held} already" in output
    assert "clearwater-bono-in-tcp-5060-from-0.0.0.0_0-ipv4" in output
    assert "Traceback" not in output
    assert os_project.snapshot() == before
    # Nothing registered; the engine keeps the builtin provider the state read used.
    assert [urn for urn in stack.state_urns() if "::pulumi:providers:pulumi::" not in urn] == []

    document = tmp_path / "adopt.json"
    status, adopted = _live("adopt", stack, monkeypatch, "--out", str(document))
    assert status == EXIT_OK
    assert [r["id"] for r in adopted["rulesKept"]] == [held]
    imported = json.loads(document.read_text())
    stack.stack.import_resources(
        resources=imported["resources"], protect=False, generate_code=False
    )
    stack.up()
    assert stack.preview(expect_no_changes=True).changes() == []
    defaults = Counter(
        Permission("bono", "egress", family, None, None, None, anywhere)
        for family, anywhere in (("IPv4", "0.0.0.0/0"), ("IPv6", "::/0"))
    )
    assert project_permissions(os_project, {bono: "bono"}) == documented(config) + defaults
    stack.up()  # the live pre-flight again: the rule is the stack's own


def test_the_live_preflight_counts_what_another_deployment_holds_in_the_project(
    engine_stack: StackFactory, os_project: Project
) -> None:
    """A YAML example failed half-way with "over quota" in a project where another
    deployment was still running. With `preflight: live` the program reads Neutron's quota
    details through Keystone first: refused, naming the other group, nothing created; with
    the quota raised to exactly what is in use plus what the plan needs, `up` deploys, and
    runs again (its own groups and rules of the last update are not counted twice)."""
    net = os_project.connection().network
    rules = [
        {"direction": "ingress", "ether_type": "IPv4", "protocol": "tcp",
         "port_range_min": port, "port_range_max": port, "remote_ip_prefix": "10.60.0.0/16"}
        for port in range(20000, 20040)
    ]  # fmt: skip
    _owned(os_project, "other-sprout", *rules)  # 40 rules and Neutron's 2 default egress
    config = settings(cloud="openstack", roles=["bono", "sprout"], preflight="live")
    offline = {k.removeprefix(f"{PROJECT}:"): v for k, v in config.items()}
    # What the plan needs, from what the program registers (less the default group's 4).
    plan = neutron_usage(run_main({**offline, "preflight": "offline"}))[1] - 4
    in_use = net.get_quota(os_project.id, details=True).security_group_rules["used"]
    assert in_use == 42 + 4  # the other group and the project's default group
    net.update_quota(os_project.id, security_group_rules=in_use + plan - 1)
    before = os_project.snapshot()
    stack = engine_stack("crowded", config)
    output = _up_refused(stack)
    assert f"{in_use + plan} needed ({plan} for this plan + {in_use} in use already: " in output
    assert "platform-other-sprout (42 rules), default (4 rules)" in output
    assert os_project.snapshot() == before
    net.update_quota(os_project.id, security_group_rules=in_use + plan)
    stack.up()
    stack.up()


def test_a_stack_never_takes_its_own_group_as_an_existing_one(
    engine_stack: StackFactory, os_project: Project
) -> None:
    """Given the id of its own Sprout group in existingGroups, the program would stop
    declaring the group: `up` would delete it, and Neutron every rule that references
    it. The program knows its groups from the stack's state and refuses."""
    config = settings(cloud="openstack", roles=["bono", "sprout"])
    stack = engine_stack("own", config)
    stack.up()
    own = stack.stack.outputs()["securityGroupIds"].value["sprout"]
    before = os_project.snapshot()
    stack.write_config(config | settings(existingGroups={"sprout": own}))
    with pytest.raises(CommandError) as refused:
        stack.preview()
    output = str(refused.value)
    assert f"existingGroups.sprout: {own} is the sprout group this stack created" in output
    with pytest.raises(CommandError):
        stack.up()
    assert os_project.snapshot() == before
    stack.write_config(config)
    assert stack.preview(expect_no_changes=True).changes() == []


def test_a_role_moved_in_or_out_of_existing_groups_is_said_in_the_preview(
    engine_stack: StackFactory, os_project: Project
) -> None:
    """Out: Sprout's rules leave the team's group for a new one no node has yet. In: the
    stack's own Sprout group is deleted and its rules go to the team's. Both said, with
    the groups, in `pulumi preview` and `up`; a stack that never had the role says nothing."""
    sprout = _owned(os_project, "sprout")
    config = settings(cloud="openstack", roles=["bono", "sprout"])
    stack = engine_stack("moves", config | settings(existingGroups={"sprout": sprout}))
    first = stack.stack.up(color="never").stdout
    assert "existing group" not in first.replace("all-nodes is an existing group", "")

    stack.write_config(config)
    said = stack.stack.preview(color="never").stdout
    assert f"sprout was an existing group ({sprout}) on this stack's last update" in said
    assert "moves sprout's rules off" in said
    stack.up()
    own = stack.stack.outputs()["securityGroupIds"].value["sprout"]

    stack.write_config(config | settings(existingGroups={"sprout": sprout}))
    said = stack.stack.preview(color="never").stdout
    assert f"on its last update this stack created the sprout group {own}" in said
    assert f"this update deletes it and puts sprout's rules on {sprout}" in said


def test_a_group_named_and_tagged_as_this_deployments_own_is_refused_by_the_live_preflight(
    engine_stack: StackFactory, os_project: Project
) -> None:
    """When the stack's state no longer knows its group (a new stack, a lost state), the
    cloud still does: its planned name and clearwater:role tag."""
    net = os_project.connection().network
    lost = net.create_security_group(name="clearwater-lost-sprout", description="x")
    net.set_tags(lost, ["clearwater:role=sprout"])
    before = os_project.snapshot()
    config = settings(
        cloud="openstack", roles=["sprout"], existingGroups={"sprout": lost.id},
        preflight="live",
    )  # fmt: skip
    stack = engine_stack("lost", config)
    with pytest.raises(CommandError) as refused:
        stack.preview()
    assert f"{lost.id} is named clearwater-lost-sprout and tagged" in str(refused.value)
    assert os_project.snapshot() == before


def test_restricted_egress_with_existing_groups_needs_them_to_let_out_no_more_than_the_plan(
    engine_stack: StackFactory, os_project: Project
) -> None:
    """A group made by hand keeps Neutron's allow-all egress, which restricted egress
    cannot close: refused offline (the program cannot know), and with the live pre-flight
    refused while those rules are there, naming them; once the team removes them, `up`
    deploys exactly what the document reader expects, and runs again (the mirrored
    egress rules on the team's group are the stack's own)."""
    sprout = _owned(os_project, "sprout")
    net = os_project.connection().network
    defaults = sorted(r.id for r in net.security_group_rules(security_group_id=sprout))
    restricted = settings(
        cloud="openstack", roles=["bono", "sprout"], existingGroups={"sprout": sprout},
        egress="restricted", egressDestinations={"dns": ["10.0.0.2/32"]},
    )  # fmt: skip
    before = os_project.snapshot()
    offline = engine_stack("restricted-offline", restricted)
    with pytest.raises(CommandError) as refused:
        offline.preview()
    assert "clearwater-sg:egress: restricted cannot close what the existing groups (sprout)" in (
        str(refused.value)
    )
    config = restricted | settings(preflight="live")
    stack = engine_stack("restricted", config)
    with pytest.raises(CommandError) as refused:
        stack.up()
    said = str(refused.value)
    assert all(f"rule {rule}" in said for rule in defaults), said
    assert os_project.snapshot() == before

    for rule in defaults:
        net.delete_security_group_rule(rule)
    stack.up()
    assert project_permissions(os_project, {sprout: "sprout"}) == documented(config)
    stack.up()
    assert stack.preview(expect_no_changes=True).changes() == []


def test_a_stack_deployed_before_the_state_read_previews_no_changes(
    engine_stack: StackFactory, os_project: Project
) -> None:
    """The program reads the stack's last update through the engine's builtin provider,
    which the engine keeps in the state (as for a StackReference). A stack deployed by a
    release that did not read it has no such provider: its first preview creates it in
    the state only, and `pulumi preview --expect-no-changes` (the drift workflow's) passes."""
    stack = engine_stack("upgraded", settings(cloud="openstack", roles=["sprout"]))
    stack.up()
    exported = stack.stack.export_stack()
    deployment = dict(exported.deployment or {})
    resources = deployment["resources"]
    older = [r for r in resources if r["type"] != "pulumi:providers:pulumi"]
    assert len(older) == len(resources) - 1
    exported.deployment = deployment | {"resources": older}
    stack.stack.import_stack(exported)
    steps = stack.preview(expect_no_changes=True)
    assert [(s.op, s.type) for s in steps.changes()] == [(OpType.CREATE, "pulumi:providers:pulumi")]


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
