"""A local OpenStack for the engine tests and the bench: a real Keystone and a Neutron that
authenticates every request through it, on loopback, and a fresh Keystone project per
test, reached the way an operator reaches a cloud (OS_* variables, a password login, the
catalog's network endpoint)."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from harness.doc_reader import Permission
from harness.servers import KeystoneServer, NeutronServer, free_loopback_port

if TYPE_CHECKING:
    from openstack.connection import Connection

    from harness.dataplane import DataPlane

REGION = "RegionOne"
# Raised, as an operator raises a project's quota for a large deployment: the stack with
# every key beyond the document needs 16 groups and 134 rules.
QUOTA_SECURITY_GROUPS = 50
QUOTA_RULES = 1000


@dataclass
class Project:
    """One Keystone project, with the credentials of the admin user scoped to it."""

    name: str
    id: str
    env: dict[str, str]  # the OS_* variables of an openrc file for this project
    _conn: Connection | None = field(default=None, repr=False)

    @property
    def settings(self) -> dict[str, Any]:
        """No stack settings: the provider reaches the project through `env`, an openrc."""
        return {}

    def connection(self) -> Connection:
        if self._conn is None:
            self._conn = _connect(self.env)
        return self._conn

    def listing(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Every security group and rule of the project, as Neutron's JSON."""
        net = self.connection().network
        query = {"project_id": self.id}
        groups = net.get("/security-groups", params=query).json()["security_groups"]
        rules = net.get("/security-group-rules", params=query).json()["security_group_rules"]
        return groups, rules

    def snapshot(self) -> set[tuple[str, ...]]:
        """Every group (id, name) and rule id in the project: to tell whether a run left
        the project as it found it."""
        groups, rules = self.listing()
        return {("group", g["id"], g["name"]) for g in groups} | {("rule", r["id"]) for r in rules}

    def create_group(self, name: str, description: str | None = None) -> str:
        """A group made outside the stack, as its owner makes it (Neutron adds its egress
        rules); its id."""
        made = self.connection().network.create_security_group(
            name=name, description=description or ""
        )
        return str(made.id)

    def add_rule(self, group_id: str, permission: Permission, groups: dict[str, str]) -> str:
        """A rule made by hand on a group, as an operator types what `permission` says
        (no description); `groups` gives the ids of its `group:<key>` peers. Its id."""
        made = self.connection().network.create_security_group_rule(
            security_group_id=group_id, **rule_fields(permission, groups)
        )
        return str(made.id)

    def rules_of(self, group_id: str) -> dict[str, int | None]:
        """A group's rules: id -> first port (None for every port)."""
        rules = self.connection().network.security_group_rules(security_group_id=group_id)
        return {str(rule.id): rule.port_range_min for rule in rules}

    def delete_rule(self, group_id: str, rule_id: str) -> None:
        """Delete one rule of a group, by its id."""
        self.connection().network.delete_security_group_rule(rule_id)

    def group_ids(self) -> dict[str, str]:
        """Every group of the project: name -> id."""
        groups, _ = self.listing()
        return {str(group["name"]): str(group["id"]) for group in groups}


def rule_fields(permission: Permission, groups: dict[str, str]) -> dict[str, Any]:
    """What an operator types for `permission`, as openstacksdk names a rule's fields;
    `groups` gives the ids of its `group:<key>` peers."""
    by_group = permission.peer.startswith("group:")
    return {
        "direction": permission.direction,
        "ether_type": permission.family,
        "protocol": permission.protocol,
        "port_range_min": permission.low,
        "port_range_max": permission.high,
        "remote_group_id": groups[permission.peer.removeprefix("group:")] if by_group else None,
        "remote_ip_prefix": None if by_group else permission.peer,
    }


def _connect(env: dict[str, str]) -> Connection:
    import openstack

    return openstack.connect(
        auth_url=env["OS_AUTH_URL"],
        username=env["OS_USERNAME"],
        password=env["OS_PASSWORD"],
        project_name=env["OS_PROJECT_NAME"],
        user_domain_id=env["OS_USER_DOMAIN_ID"],
        project_domain_id=env["OS_PROJECT_DOMAIN_ID"],
        region_name=env["OS_REGION_NAME"],
        load_yaml_config=False,
        load_envvars=False,
    )


class LocalOpenStack:
    """Keystone and Neutron, started together: each needs the other's address. With a
    `dataplane` (started by the caller), Neutron runs ML2/OVN on it: what it stores is
    enforced on the data plane's ports."""

    def __init__(self, dataplane: DataPlane | None = None) -> None:
        neutron_port, keystone_port = free_loopback_port(), free_loopback_port()
        self.keystone = KeystoneServer(
            network_url=f"http://127.0.0.1:{neutron_port}", port=keystone_port
        )
        self.neutron = NeutronServer(
            QUOTA_SECURITY_GROUPS,
            QUOTA_RULES,
            port=neutron_port,
            keystone=self.keystone,
            dataplane=dataplane,
            # Building the schema on MariaDB and ML2/OVN's start take longer than sqlite.
            startup_timeout=60.0 if dataplane is None else 240.0,
        )
        self._admin: Connection | None = None

    def start(self) -> LocalOpenStack:
        """Start both at once: neither asks the other anything before a client does."""
        with ThreadPoolExecutor(max_workers=2) as pool:
            started = [pool.submit(server.start) for server in (self.keystone, self.neutron)]
            failures = [error for error in (f.exception() for f in started) if error]
        if failures:
            self.stop()
            raise failures[0]
        return self

    def stop(self) -> None:
        self.neutron.stop()
        self.keystone.stop()

    def credentials(self, project: str) -> dict[str, str]:
        return {
            "OS_AUTH_URL": self.keystone.identity_url,
            "OS_USERNAME": "admin",
            "OS_PASSWORD": self.keystone.password,
            "OS_PROJECT_NAME": project,
            "OS_USER_DOMAIN_ID": "default",
            "OS_PROJECT_DOMAIN_ID": "default",
            "OS_REGION_NAME": REGION,
        }

    def new_project(self) -> Project:
        """A project no other test uses, where the admin user is admin."""
        if self._admin is None:
            self._admin = _connect(self.credentials("admin"))
        identity: Any = self._admin.identity  # identity v3, whatever the stubs allow
        name = f"engine-{uuid.uuid4().hex[:12]}"
        created = identity.create_project(name=name, domain_id="default")
        user = identity.find_user("admin", ignore_missing=False)
        role = identity.find_role("admin", ignore_missing=False)
        identity.assign_project_role_to_user(created, user, role)
        return Project(name=name, id=str(created.id), env=self.credentials(name))
