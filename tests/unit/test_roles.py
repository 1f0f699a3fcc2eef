"""The roles, declared once: the defaults and every list of roles follow the declarations,
and agree with the port document as the independent reader reads it."""

from __future__ import annotations

from clearwater_sg.options import DeploymentOptions
from clearwater_sg.roles import (
    CORE_ROLES_TEXT,
    DEFAULT_DISTRIBUTED_ROLES,
    DISTRIBUTED_ROLES,
    Kind,
    Role,
)
from harness.doc_reader import CORE_ROLES


def test_the_default_roles_are_the_nodes_the_document_gives_a_section() -> None:
    assert [str(role) for role in DEFAULT_DISTRIBUTED_ROLES] == list(CORE_ROLES)


def test_an_absent_roles_setting_means_the_core_roles_and_never_the_opt_in_ones() -> None:
    options = DeploymentOptions.model_validate({"cloud": "openstack"})
    assert [str(role) for role in options.roles] == list(CORE_ROLES)
    assert Role.APP_SERVER not in options.roles


def test_a_distributed_deployment_may_list_the_core_and_opt_in_roles_only() -> None:
    assert set(DISTRIBUTED_ROLES) == {*DEFAULT_DISTRIBUTED_ROLES, Role.APP_SERVER}
    assert Role.ALL_NODES not in DISTRIBUTED_ROLES
    assert Role.ALL_IN_ONE not in DISTRIBUTED_ROLES


def test_each_role_is_read_from_its_key_and_carries_the_documents_name() -> None:
    assert Role("vellum") is Role.VELLUM
    assert Role.VELLUM.label == "Vellum"
    assert Role.APP_SERVER.kind is Kind.OPT_IN
    assert all(role.label for role in Role)


def test_the_core_roles_text_names_each_default_role() -> None:
    assert f"the core roles ({', '.join(CORE_ROLES)})" == CORE_ROLES_TEXT
