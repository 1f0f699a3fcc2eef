"""The live tools beside the real engine: `live adopt` then `pulumi import --file`, and
`live drift` beside `pulumi refresh`, against groups in a Keystone-authenticated Neutron.

The deployment made by hand is built from the document reader's expectation (never
from the program's plan), the way an operator who read the port document would: one
group per role under the README's names, one rule per permission.
"""

from __future__ import annotations

import io
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from pulumi.automation.errors import CommandError
from pulumi.automation.events import OpType

from clearwater_sg.live.cli import EXIT_DRIFT, EXIT_OK, run
from harness.doc_reader import Permission
from harness.engine import EngineStack, documented, settings
from harness.local_openstack import Project
from tests.conformance.stored import project_permissions
from tests.engine.conftest import StackFactory

STACK = "adopted"
ROLES = ["sprout", "dime", "vellum"]
CONFIG = settings(cloud="openstack", roles=ROLES, sshSources=["192.0.2.0/24"])
# A rule nobody planned, made by hand beside the deployment's; and one the document
# asks for (Cassandra between Vellum nodes) that goes missing.
STRAY = Permission("sprout", "ingress", "IPv4", "tcp", 8080, 8080, "0.0.0.0/0")
CASSANDRA = Permission("vellum", "ingress", "IPv4", "tcp", 7000, 7000, "group:vellum")
CASSANDRA_TEXT = "vellum ingress IPv4 tcp/7000 from group vellum"


GROUPS = ["all-nodes", *ROLES]
# The egress rules Neutron gives every new group: a group made by hand keeps them.
NEUTRON_DEFAULTS = Counter(
    Permission(group, "egress", family, None, None, None, anywhere)
    for group in GROUPS
    for family, anywhere in (("IPv4", "0.0.0.0/0"), ("IPv6", "::/0"))
)


def _by_hand(project: Project, permissions: list[Permission]) -> dict[str, str]:
    """Groups named as the README says (`clearwater-<stack>-<role>`), untagged, with
    Neutron's default egress rules, and one rule per permission those do not already
    grant; role -> group id."""
    net = project.connection().network
    ids = {
        role: net.create_security_group(
            name=f"clearwater-{STACK}-{role}", description="made by hand"
        ).id
        for role in GROUPS
    }
    for p in permissions:
        if p in NEUTRON_DEFAULTS:
            continue
        peer = p.peer.removeprefix("group:")
        net.create_security_group_rule(
            security_group_id=ids[p.group],
            direction=p.direction,
            ether_type=p.family,
            protocol=p.protocol,
            port_range_min=p.low,
            port_range_max=p.high,
            remote_group_id=ids[peer] if p.peer.startswith("group:") else None,
            remote_ip_prefix=None if p.peer.startswith("group:") else p.peer,
        )
    return {role: str(group_id) for role, group_id in ids.items()}


def _kind(op: OpType) -> str:
    """A step as adopt reports it: a replacement's three steps are one replace."""
    replacing = (OpType.REPLACE, OpType.CREATE_REPLACEMENT, OpType.DELETE_REPLACED)
    return "replace" if op in replacing else op.value


def _live(
    command: str, stack: EngineStack, monkeypatch: pytest.MonkeyPatch, *extra: str
) -> tuple[int, dict[str, Any]]:
    """`python -m clearwater_sg.live COMMAND --format json`, with the project's openrc."""
    for key, value in stack.project.env.items():
        monkeypatch.setenv(key, value)
    out = io.StringIO()
    argv = [command, "--stack-file", str(stack.stack_file), "--format", "json", *extra]
    status = run(argv, out)
    return status, json.loads(out.getvalue())


def test_adopt_then_import_then_preview_shows_what_adopt_reported(
    engine_stack: StackFactory, os_project: Project, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    wanted = sorted(documented(CONFIG).elements(), key=Permission.key)
    assert CASSANDRA in wanted
    _by_hand(os_project, [p for p in wanted if p != CASSANDRA] + [STRAY])
    stack = engine_stack(STACK, CONFIG)

    document = tmp_path / "adopt.json"
    status, adopted = _live("adopt", stack, monkeypatch, "--out", str(document))
    assert status == EXIT_OK
    assert [r["permits"] for r in adopted["rulesMissing"]] == [CASSANDRA_TEXT]
    assert any("tcp/8080" in r["permits"] for r in adopted["rulesUnplanned"])
    assert all(g["action"] == "keep" for g in adopted["groups"])

    imported = json.loads(document.read_text())
    stack.stack.import_resources(
        resources=imported["resources"],
        name_table=imported.get("nameTable"),
        protect=False,  # as adopt says: the stack does not protect its resources
        generate_code=False,
    )

    # A rule made by hand has no description, and Neutron cannot change a rule's
    # description: adopt says which kept rules the first `up` replaces, and the engine
    # must plan exactly those, the updates and the creates.
    # The engine's builtin provider, which the program's read of its last update uses,
    # joins the state too: no resource of the program's.
    planned = {
        (_kind(step.op), step.name)
        for step in stack.preview().changes()
        if step.type != "pulumi:providers:pulumi"
    }
    replaced = {c["resource"] for c in adopted["changes"] if c["replaces"]}
    assert replaced, "the hand-made rules' missing descriptions were not reported"
    assert planned == (
        {("create", r["resource"]) for r in adopted["rulesMissing"]}
        | {("replace", name) for name in replaced}
        | {("update", c["resource"]) for c in adopted["changes"] if c["resource"] not in replaced}
    )

    stack.up()
    assert stack.preview(expect_no_changes=True).changes() == []
    # The rules nobody planned are left alone: `pulumi up` manages only what it imported.
    assert project_permissions(os_project) == (documented(CONFIG) | NEUTRON_DEFAULTS) + Counter(
        [STRAY]
    )


def test_drift_reports_what_was_changed_behind_pulumis_back(
    engine_stack: StackFactory, os_project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack = engine_stack(STACK, CONFIG)
    stack.up()
    status, report = _live("drift", stack, monkeypatch)
    assert (status, report["inSync"]) == (EXIT_OK, True)

    net = os_project.connection().network
    groups = {g.name: g.id for g in net.security_groups(project_id=os_project.id)}
    added = net.create_security_group_rule(
        security_group_id=groups[f"clearwater-{STACK}-sprout"],
        direction="ingress",
        ether_type="IPv4",
        protocol="tcp",
        port_range_min=8080,
        port_range_max=8080,
        remote_ip_prefix="0.0.0.0/0",
    )
    vellum = groups[f"clearwater-{STACK}-vellum"]
    [removed] = [
        r for r in net.security_group_rules(security_group_id=vellum) if r.port_range_min == 7000
    ]
    net.delete_security_group_rule(removed)

    status, report = _live("drift", stack, monkeypatch)
    assert status == EXIT_DRIFT
    assert [r["id"] for r in report["rulesUnplanned"]] == [added.id]
    assert [r["permits"] for r in report["rulesMissing"]] == [CASSANDRA_TEXT]

    # What the engine sees: refresh notices the deleted rule (it drops it from the state,
    # so the next up creates it again) and cannot see the added one, which no resource
    # in the state owns.
    before = set(stack.state_urns())
    assert stack.refresh().changes() == []  # a refresh reads: its steps change nothing
    dropped = [urn.rsplit("::", 1)[-1] for urn in before - set(stack.state_urns())]
    assert dropped == [r["resource"] for r in report["rulesMissing"]]
    repaired = stack.up().changes()
    assert [(s.op, s.name) for s in repaired] == [
        (OpType.CREATE, r["resource"]) for r in report["rulesMissing"]
    ]
    status, report = _live("drift", stack, monkeypatch)
    assert status == EXIT_DRIFT
    assert [r["id"] for r in report["rulesUnplanned"]] == [added.id]
    assert report["rulesMissing"] == []


def test_drift_reports_rules_without_ports_made_in_a_console(
    engine_stack: StackFactory, os_project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Neutron `tcp` rule with no ports and an `ipv6-icmp` rule with no type, beside the
    planned rules of the same group and protocol: reported, never a crash."""
    stack = engine_stack(STACK, CONFIG)
    stack.up()
    net = os_project.connection().network
    groups = {g.name: g.id for g in net.security_groups(project_id=os_project.id)}
    vellum = groups[f"clearwater-{STACK}-vellum"]
    net.create_security_group_rule(
        security_group_id=vellum, direction="ingress", ether_type="IPv4", protocol="tcp",
        remote_ip_prefix="10.9.0.0/16",
    )  # fmt: skip
    net.create_security_group_rule(
        security_group_id=vellum, direction="ingress", ether_type="IPv6", protocol="ipv6-icmp",
        remote_ip_prefix="fd00:9::/48",
    )  # fmt: skip
    status, report = _live("drift", stack, monkeypatch)
    assert status == EXIT_DRIFT
    assert sorted(r["permits"] for r in report["rulesUnplanned"]) == [
        "vellum ingress IPv4 tcp any port from 10.9.0.0/16",
        "vellum ingress IPv6 icmp any type from fd00:9::/48",
    ]


def test_rules_go_on_groups_a_team_already_owns_and_destroy_leaves_those_groups(
    engine_stack: StackFactory, os_project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`existingGroups`: Sprout's and all-nodes' groups exist already, made by hand with
    Neutron's default egress and a rule of their owner's. `up` puts the document's rules
    on them and creates only the other groups; a second run changes nothing; drift
    reports the owner's rules, which `up` and `destroy` leave where they are."""
    net = os_project.connection().network
    owned = {
        key: str(net.create_security_group(name=f"platform-{key}", description="ours").id)
        for key in ("all-nodes", "sprout")
    }
    exporter = net.create_security_group_rule(
        security_group_id=owned["sprout"], direction="ingress", ether_type="IPv4",
        protocol="tcp", port_range_min=9100, port_range_max=9100, remote_ip_prefix="10.30.0.0/24",
    )  # fmt: skip
    keys = {group_id: key for key, group_id in owned.items()}
    owners = project_permissions(os_project, keys)
    assert owners == Counter({p for p in NEUTRON_DEFAULTS if p.group in owned}) + Counter(
        [Permission("sprout", "ingress", "IPv4", "tcp", 9100, 9100, "10.30.0.0/24")]
    )
    owners_rules = {
        r.id for g in owned.values() for r in net.security_group_rules(security_group_id=g)
    }
    before = os_project.snapshot()
    config = CONFIG | settings(existingGroups=owned)
    stack = engine_stack("existing", config)

    created = stack.up()
    made = {s.name for s in created.changes() if s.type == "openstack:networking/secGroup:SecGroup"}
    assert made == {"clearwater-vellum", "clearwater-dime"}
    # The document's rules, without the all-nodes egress its owner keeps, plus the owner's.
    held = project_permissions(os_project, keys)
    assert held == documented(config) + owners
    assert stack.preview(expect_no_changes=True).changes() == []
    assert stack.stack.outputs()["securityGroupIds"].value.items() >= owned.items()

    status, report = _live("drift", stack, monkeypatch)
    assert status == EXIT_DRIFT
    unplanned = {(r["id"], r["inExistingGroup"]) for r in report["rulesUnplanned"]}
    assert exporter.id in owners_rules
    assert unplanned == {(rule_id, True) for rule_id in owners_rules}
    assert report["rulesMissing"] == [] and report["changes"] == []

    stack.destroy()
    assert os_project.snapshot() == before, "destroy touched what the team owns"


# -- existingGroups on a running stack: what the cloud holds and what the stack had ---------


def _owned(project: Project, key: str, *rules: dict[str, Any]) -> str:
    """A group a team made by hand (with Neutron's default egress), holding `rules`."""
    net = project.connection().network
    group = str(net.create_security_group(name=f"platform-{key}", description="ours").id)
    for rule in rules:
        net.create_security_group_rule(security_group_id=group, **rule)
    return group


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
    with pytest.raises(CommandError) as refused:
        stack.up()
    output = str(refused.value)
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
