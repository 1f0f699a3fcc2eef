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
    planned = {(_kind(step.op), step.name) for step in stack.preview().changes()}
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
