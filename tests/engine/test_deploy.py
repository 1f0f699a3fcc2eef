"""`pulumi up`, `preview`, `refresh` and `destroy` for real: the bundled OpenStack stacks
and one with every key beyond the document, deployed by the real engine and
pulumi-resource-openstack through Keystone to Neutron.

What Neutron then stores is read from Neutron alone and judged against the document
reader's expectation (harness/doc_reader.py), never against what the program sent. Right
after, a preview must show no change and a refresh must find none: Neutron's
normalization of what it stores (prefixes, ICMP fields, tags, descriptions) must not
become a perpetual diff.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from pulumi.automation.events import OpType

from harness import PROJECT, PROJECT_DIR
from harness.doc_reader import Permission, without_network
from harness.engine import documented, stack_file_config
from harness.local_openstack import Project
from tests.conformance.stored import project_permissions
from tests.engine.conftest import StackFactory

BEYOND = Path(__file__).with_name("stacks") / "Pulumi.openstack-beyond.yaml"
OPENSTACK_STACKS = sorted(
    path
    for path in (PROJECT_DIR / "stacks").glob("Pulumi.*.yaml")
    if stack_file_config(path).get(f"{PROJECT}:cloud") == "openstack"
)


def _name(path: Path) -> str:
    return path.name.removeprefix("Pulumi.").removesuffix(".yaml")


def _judged(
    stored: Counter[Permission], config: dict[str, Any]
) -> tuple[Counter[Permission], Counter[Permission]]:
    """(what Neutron holds, what the document reader expects), comparable.

    The reader knows one network. With `networks: split` every flow must stay on one
    interface, and folding the interfaces must give the single network's rules, with
    ICMP and egress once per interface.
    """
    if config.get(f"{PROJECT}:networks", "single") == "single":
        return stored, documented(config)
    for permission in stored:
        interface = permission.group.rsplit("-", 1)[-1]
        assert interface in ("management", "signaling"), permission
        if permission.peer.startswith("group:"):
            assert permission.peer.endswith(f"-{interface}"), f"crosses interfaces: {permission}"
    single = documented({k: v for k, v in config.items() if k != f"{PROJECT}:networks"})
    on_both = Counter({p: 1 for p in single if p.protocol in ("icmp", "ipv6-icmp", None)})
    return Counter(without_network(p) for p in stored), single + on_both


def _readable(permissions: Counter[Permission]) -> list[str]:
    return [str(p) for p in sorted(permissions.elements(), key=Permission.key)]


def test_every_bundled_openstack_stack_is_deployed() -> None:
    assert [_name(p) for p in OPENSTACK_STACKS] == ["openstack-staging"]


@pytest.mark.parametrize("path", [*OPENSTACK_STACKS, BEYOND], ids=_name)
def test_up_stores_the_document_and_a_second_run_changes_nothing(
    engine_stack: StackFactory, os_project: Project, path: Path
) -> None:
    config = stack_file_config(path)
    before = os_project.snapshot()
    stack = engine_stack(_name(path), config)

    created = stack.up()
    assert created.changes(), "up created nothing"
    assert {s.op for s in created.changes()} == {OpType.CREATE}

    held = project_permissions(os_project)
    assert max(held.values()) == 1, "Neutron holds a rule twice"
    stored, expected = _judged(held, config)
    assert _readable(stored - expected) == [], "Neutron lets through what the document does not"
    assert _readable(expected - stored) == [], "the document opens what Neutron does not hold"

    assert [str(s) for s in stack.preview(expect_no_changes=True).changes()] == []
    assert [str(s) for s in stack.refresh().changes()] == []
    assert [str(s) for s in stack.preview(expect_no_changes=True).changes()] == []

    removed = stack.destroy()
    assert {s.op for s in removed.changes()} == {OpType.DELETE}
    assert stack.state_urns() == []
    assert os_project.snapshot() == before, "destroy left the project other than it found it"


def test_an_extra_rule_over_every_port_has_no_perpetual_diff(
    engine_stack: StackFactory, os_project: Project
) -> None:
    """Neutron stores TCP 1-65535 as "any port" (tests/engine/test_provider.py): the
    backend sends it so, and a refreshed stack plans nothing."""
    every_port = {
        "protocol": "tcp",
        "ports": "1-65535",
        "sources": ["10.40.0.0/16"],
        "description": "Everything from the lab",
        "reason": "LAB-1: a test bed",
    }
    config = {f"{PROJECT}:cloud": "openstack", f"{PROJECT}:extraRules": {"sprout": [every_port]}}
    stack = engine_stack("every-port", config)
    stack.up()
    stack.refresh()
    assert [str(s) for s in stack.preview(expect_no_changes=True).changes()] == []
