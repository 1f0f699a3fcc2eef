"""What pulumi-resource-openstack really sends and how the engine replaces a rule: the
facts the OpenStack backend is built on, asked of the real provider and Neutron.

Each test registers plain `openstack.networking` resources from an inline program, so
that the fact is about the provider, not about the component.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pulumi
import pulumi_openstack as openstack
import pytest
from pulumi.automation.errors import CommandError

from harness.engine import settings
from harness.local_openstack import Project
from tests.engine.conftest import StackFactory

CONFIG = settings(cloud="openstack")


def _one_rule(*, delete_first: bool = True, **rule: Any) -> Callable[[], None]:
    """A program with one group, without Neutron's default rules, and one rule in it."""

    def program() -> None:
        group = openstack.networking.SecGroup("probe", name="probe", delete_default_rules=True)
        openstack.networking.SecGroupRule(
            "probe-rule",
            security_group_id=group.id,
            direction="ingress",
            ethertype="IPv4",
            remote_ip_prefix="198.51.100.0/24",
            **rule,
            opts=pulumi.ResourceOptions(delete_before_replace=delete_first),
        )

    return program


def _stored(project: Project) -> list[dict[str, Any]]:
    groups, rules = project.listing()
    [probe] = [g["id"] for g in groups if g["name"] == "probe"]
    return [r for r in rules if r["security_group_id"] == probe]


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ((8, 0), (8, None)),  # Echo Request, any code: the code 0 is left out
        ((3, 0), (3, None)),
        ((0, 0), (None, None)),  # Echo Reply: type 0 is left out too, so every type
    ],
    ids=["type 8", "type 3", "type 0"],
)
def test_the_provider_leaves_a_zero_icmp_type_or_code_out(
    engine_stack: StackFactory,
    os_project: Project,
    sent: tuple[int, int],
    stored: tuple[int | None, int | None],
) -> None:
    """Why the backend sends ICMP as (type, 0) for "any code" and cannot express Echo
    Reply (type 0): gophercloud omits a zero port from its request, and Neutron reads an
    ICMP rule without a type as every type."""
    program = _one_rule(protocol="icmp", port_range_min=sent[0], port_range_max=sent[1])
    engine_stack("icmp", CONFIG, program=program).up()
    [rule] = _stored(os_project)
    assert (rule["port_range_min"], rule["port_range_max"]) == stored


def _described(description: str, delete_first: bool) -> Callable[[], None]:
    return _one_rule(
        protocol="tcp",
        port_range_min=5060,
        port_range_max=5060,
        description=description,
        delete_first=delete_first,
    )


def test_a_changed_rule_is_replaced_by_deleting_it_first(
    engine_stack: StackFactory, os_project: Project
) -> None:
    """Neutron cannot update a rule: a changed description replaces it."""
    stack = engine_stack("replace", CONFIG, program=_described("SIP", True))
    stack.up()
    stack.stack.workspace.program = _described("SIP from the SBC", True)
    replaced = stack.up().changes()
    assert {(s.op.value, s.name) for s in replaced} >= {("replace", "probe-rule")}
    assert [s.replace_keys for s in replaced if s.op.value == "replace"] == [("description",)]
    [rule] = _stored(os_project)
    assert rule["description"] == "SIP from the SBC"


def test_creating_the_replacement_first_is_refused_by_neutron(
    engine_stack: StackFactory, os_project: Project
) -> None:
    """Why every rule is registered with delete_before_replace: the engine's default
    order creates the replacement first, which Neutron refuses as a duplicate."""
    stack = engine_stack("replace", CONFIG, program=_described("SIP", False))
    stack.up()
    stack.stack.workspace.program = _described("SIP from the SBC", False)
    with pytest.raises(CommandError, match="Security group rule already exists"):
        stack.up()
    [rule] = _stored(os_project)
    assert rule["description"] == "SIP"


def test_neutron_stores_every_port_as_any_port(
    engine_stack: StackFactory, os_project: Project
) -> None:
    """Why the OpenStack backend sends ports 1-65535 as no ports: Neutron stores the
    full range as "any port", and the provider, reading that back, would replace the
    rule on every refreshed `up`."""
    stack = engine_stack(
        "all-ports",
        CONFIG,
        program=_one_rule(protocol="tcp", port_range_min=1, port_range_max=65535),
    )
    stack.up()
    [rule] = _stored(os_project)
    assert (rule["port_range_min"], rule["port_range_max"]) == (None, None)
    stack.refresh()
    planned = stack.preview().changes()
    assert {s.name for s in planned} == {"probe-rule"}
    assert {key for s in planned for key in s.replace_keys} == {"portRangeMax", "portRangeMin"}
