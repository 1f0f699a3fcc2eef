"""The Clearwater node roles, each of which gets one security group.

Each role is declared once, in `Role`: its config key, how the port document names its
nodes, and where it belongs (every node, a whole deployment on one node, or a role of a
distributed deployment: core, present unless `roles` says otherwise, or opt-in). Every
list of roles and every "core roles" text is derived from these declarations.
"""

from __future__ import annotations

from enum import Enum, StrEnum
from typing import TYPE_CHECKING


class Kind(Enum):
    """Where a role belongs."""

    EVERY_NODE = "every node"  # all-nodes: every node carries it
    ALL_IN_ONE = "all-in-one"  # the one node of `deployment: all-in-one`
    CORE = "core"  # a distributed deployment's default roles
    OPT_IN = "opt-in"  # a distributed deployment's role only when `roles` lists it


class Role(StrEnum):
    """A security group's role. The values are the keys users write in config."""

    # key,            the document's name for its nodes,  kind
    ALL_NODES = "all-nodes", "all Clearwater nodes", Kind.EVERY_NODE
    ALL_IN_ONE = "all-in-one", "All-in-one", Kind.ALL_IN_ONE
    ELLIS = "ellis", "Ellis", Kind.CORE
    BONO = "bono", "Bono", Kind.CORE
    SPROUT = "sprout", "Sprout", Kind.CORE
    DIME = "dime", "Dime", Kind.CORE
    HOMER = "homer", "Homer", Kind.CORE
    VELLUM = "vellum", "Vellum", Kind.CORE
    APP_SERVER = "app-server", "application server", Kind.OPT_IN

    _value_: str  # the key
    label: str  # how the port document names nodes of this role
    kind: Kind

    if not TYPE_CHECKING:  # `Role("ellis")` looks a role up by its key, as any enum's call

        def __new__(cls, key: str, label: str, kind: Kind) -> Role:
            role = str.__new__(cls, key)
            role._value_ = key
            role.label = label
            role.kind = kind
            return role


# Roles a distributed deployment may list in `roles`; all-nodes is always present.
DISTRIBUTED_ROLES: tuple[Role, ...] = tuple(
    role for role in Role if role.kind in (Kind.CORE, Kind.OPT_IN)
)

# The core nodes of a distributed deployment, its roles when `roles` is absent.
DEFAULT_DISTRIBUTED_ROLES: tuple[Role, ...] = tuple(role for role in Role if role.kind is Kind.CORE)

# "the core roles (ellis, bono, ...)", for the messages and descriptions that name them.
CORE_ROLES_TEXT = f"the core roles ({', '.join(DEFAULT_DISTRIBUTED_ROLES)})"
