"""The largest configuration: the one definition the tests and the bench share.

Distributed, with every role (app-servers too), Memento, HSS and SNMP polled from one
subnet per address family in use: every condition of the port document holds and every
role has nodes, so every line of the document becomes a rule.
"""

from __future__ import annotations

from harness import ALL_ROLES, aws, openstack

FAMILIES = {"4": (4,), "6": (6,), "dual": (4, 6)}
SNMP_POLLERS = {4: "10.20.0.0/24", 6: "fd00:20::/64"}


def largest(cloud: str, ip_version: str, **config: object) -> dict[str, object]:
    """The stack config (camelCase keys, values as a stack file writes them) of the
    largest deployment on `cloud` ("aws", "openstack") with `ip_version` ("4", "6",
    "dual"); `config` adds or overrides keys, as `harness.aws(...)` does."""
    on_cloud = {"aws": aws, "openstack": openstack}[cloud]
    return on_cloud(
        ipVersion=ip_version,
        roles=list(ALL_ROLES),
        memento=True,
        hss=True,
        snmpSources=[SNMP_POLLERS[family] for family in FAMILIES[ip_version]],
        **config,
    )
