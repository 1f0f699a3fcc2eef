"""The Clearwater node roles, each of which gets one security group."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """A security group's role. The values are the keys users write in config."""

    ALL_NODES = "all-nodes"
    ALL_IN_ONE = "all-in-one"
    ELLIS = "ellis"
    BONO = "bono"
    SPROUT = "sprout"
    DIME = "dime"
    HOMER = "homer"
    VELLUM = "vellum"
    APP_SERVER = "app-server"

    @property
    def label(self) -> str:
        """How the port document names nodes of this role."""
        return _LABELS[self]


_LABELS = {
    Role.ALL_NODES: "all Clearwater nodes",
    Role.ALL_IN_ONE: "All-in-one",
    Role.ELLIS: "Ellis",
    Role.BONO: "Bono",
    Role.SPROUT: "Sprout",
    Role.DIME: "Dime",
    Role.HOMER: "Homer",
    Role.VELLUM: "Vellum",
    Role.APP_SERVER: "application server",
}

# Roles a distributed deployment may list in `roles`; all-nodes is always present.
DISTRIBUTED_ROLES: tuple[Role, ...] = (
    Role.ELLIS,
    Role.BONO,
    Role.SPROUT,
    Role.DIME,
    Role.HOMER,
    Role.VELLUM,
    Role.APP_SERVER,
)

# The core nodes of a distributed deployment; standalone application servers are opt-in.
DEFAULT_DISTRIBUTED_ROLES: tuple[Role, ...] = DISTRIBUTED_ROLES[:-1]
