"""Configurations that turn on the keys beyond the port document (profiles, peer sites,
management sources, networks: split), and the issue's own list of what each profile opens,
written out here, never read from clearwater_sg's matrix. Shared by the tests of the
matrix, the options, the planner and the program."""

from __future__ import annotations

from harness import ALL_ROLES, VPC

ALL = ALL_ROLES


MANAGERS = {4: "10.50.0.0/24", 6: "fd00:50::/64"}
SITE_B = {4: "10.2.0.0/16", 6: "fd00:2::/48"}


# The list: (group, protocol, port, source); "world", "managers" and "site" are
# the operator's sources, anything else a role.
PROFILES: dict[str, list[tuple[str, str, int, str]]] = {
    "sprout-peering": [("sprout", "tcp", 5052, "sprout"), ("sprout", "tcp", 5054, "sprout")],
    "restund": [("dime", "tcp", 8888, "bono")],
    "ut": [("homer", "tcp", 7888, "world")],
    "management-http": [("sprout", "tcp", 9886, "managers"), ("dime", "tcp", 8886, "managers")],
    "trusted-application-servers": [
        ("sprout", "tcp", 5054, "app-server"),
        ("sprout", "udp", 5054, "app-server"),
        ("bono", "tcp", 5058, "app-server"),
        ("bono", "udp", 5058, "app-server"),
    ],
}


def base(cloud: str, ip: str, **extra: object) -> dict[str, object]:
    config: dict[str, object] = {"cloud": cloud, "ipVersion": ip, "roles": ALL}
    if cloud == "aws":
        config["vpcId"] = VPC
    else:
        config["limits"] = {"securityGroups": 100, "securityGroupRules": 1000}
    return {**config, **extra}


def families(ip: str) -> tuple[int, ...]:
    return {"4": (4,), "6": (6,), "dual": (4, 6)}[ip]


def split_config(cloud: str, ip: str, networks: str) -> dict[str, object]:
    return base(
        cloud,
        ip,
        networks=networks,
        memento=True,
        hss=True,
        snmpSources=[MANAGERS[f] for f in families(ip)],
        profiles=sorted(PROFILES),
        managementSources=[MANAGERS[f] for f in families(ip)],
        peerSites={"site-b": [SITE_B[f] for f in families(ip)]},
        limits={"securityGroups": 100, "securityGroupRules": 1000}
        if cloud == "openstack"
        else {"rulesPerGroup": 100, "groupsPerInterface": 5},
    )
