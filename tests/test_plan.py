"""The planner on its own: stable keys and refusal of duplicate rules."""

from __future__ import annotations

import pytest

from clearwater_sg.matrix import MATRIX, Audience, Flow, Interface
from clearwater_sg.options import DeploymentOptions
from clearwater_sg.plan import PlanError, plan_security_groups
from clearwater_sg.roles import Role


def full_options(**extra: object) -> DeploymentOptions:
    return DeploymentOptions.model_validate(
        {
            "cloud": "openstack",
            "roles": ["ellis", "bono", "sprout", "dime", "homer", "vellum", "app-server"],
            "memento": True,
            "hss": True,
            "snmpSources": ["10.0.0.0/8", "fd00::/8"],
            "ipVersion": "dual",
            **extra,
        }
    )


def test_rule_keys_are_unique_and_safe_as_pulumi_resource_names() -> None:
    plan = plan_security_groups(full_options(), "cw")
    keys = [rule.key for rule in plan.rules]
    assert len(keys) == len(set(keys))
    # '::' separates URN parts and '/' is not allowed in names: neither may appear.
    assert all("::" not in key and "/" not in key for key in keys)


def test_a_matrix_that_repeats_a_line_is_refused() -> None:
    repeated = (
        *MATRIX,
        Flow(
            section="Ellis",
            group=Role.ELLIS,
            line="TCP/80",
            service="Web UI",
            sources=(Audience.WORLD,),
            interface=Interface.MANAGEMENT,
        ),
    )
    with pytest.raises(PlanError, match=r"duplicates.*ellis-in-tcp-80-from-0\.0\.0\.0_0"):
        plan_security_groups(full_options(), "cw", flows=repeated)


def test_every_rule_names_the_document_section_it_comes_from() -> None:
    sections = {flow.section for flow in MATRIX}
    plan = plan_security_groups(full_options(), "cw")
    ingress = [rule for rule in plan.rules if rule.direction == "ingress"]
    assert ingress and all(rule.section in sections for rule in ingress)


def test_keys_do_not_depend_on_the_order_of_config_lists() -> None:
    one = plan_security_groups(full_options(), "cw")
    other = plan_security_groups(
        full_options(
            roles=["app-server", "vellum", "homer", "dime", "sprout", "bono", "ellis"],
            snmpSources=["fd00::/8", "10.0.0.0/8"],
        ),
        "cw",
    )
    assert {rule.key: rule for rule in one.rules} == {rule.key: rule for rule in other.rules}
