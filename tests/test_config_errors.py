"""Bad stack configuration stops the program with one clear message naming the key and
what is allowed, before any resource is registered."""

from __future__ import annotations

import pulumi
import pytest

from offline.runner import Recording
from tests.helpers import VPC, run_main

BAD_CONFIGS = [
    # (what is wrong, config, words the message must contain)
    ("unknown cloud", {"cloud": "gcp"}, ["clearwater-sg:cloud", "'aws' or 'openstack'", "gcp"]),
    ("missing cloud", {}, ["clearwater-sg:cloud", "required", "aws or openstack"]),
    (
        "role typo",
        {"cloud": "openstack", "roles": ["ellis", "sprot"]},
        ["clearwater-sg:roles[1]", "'sprot'", "did you mean 'sprout'", "app-server"],
    ),
    (
        "duplicate role",
        {"cloud": "openstack", "roles": ["bono", "sprout", "bono"]},
        ["clearwater-sg:roles[2]", "'bono' is listed twice"],
    ),
    (
        "empty role list",
        {"cloud": "openstack", "roles": []},
        ["clearwater-sg:roles", "empty", "ellis"],
    ),
    (
        "all-nodes listed as a role",
        {"cloud": "openstack", "roles": ["all-nodes", "sprout"]},
        ["clearwater-sg:roles[0]", "all-nodes is always created"],
    ),
    (
        "roles with all-in-one",
        {"cloud": "openstack", "deployment": "all-in-one", "roles": ["sprout"]},
        ["clearwater-sg:roles", "distributed deployments only"],
    ),
    (
        "unknown deployment",
        {"cloud": "openstack", "deployment": "cluster"},
        ["clearwater-sg:deployment", "'distributed' or 'all-in-one'"],
    ),
    (
        "malformed CIDR",
        {"cloud": "openstack", "worldCidrs": ["10.0.0.0/33"]},
        ["clearwater-sg:worldCidrs[0]", "'10.0.0.0/33' is not a CIDR"],
    ),
    (
        "CIDR with host bits",
        {"cloud": "openstack", "sshSources": ["10.1.2.3/16"]},
        ["clearwater-sg:sshSources[0]", "host bits", "10.1.0.0/16"],
    ),
    (
        "IPv6 CIDR on an IPv4 deployment",
        {"cloud": "openstack", "snmpSources": ["10.0.0.0/8", "fd00::/64"]},
        ["clearwater-sg:snmpSources[1]", "IPv6 CIDR but ipVersion is 4", "dual"],
    ),
    (
        "IPv4 world on an IPv6 deployment",
        {"cloud": "openstack", "ipVersion": "6", "worldCidrs": ["0.0.0.0/0"]},
        ["clearwater-sg:worldCidrs[0]", "IPv4 CIDR but ipVersion is 6"],
    ),
    (
        "source that is neither CIDR nor group",
        {"cloud": "aws", "vpcId": VPC, "sshSources": ["bastion"]},
        ["clearwater-sg:sshSources[0]", "neither a CIDR nor a security group id", "sg-"],
    ),
    (
        "AWS group id on OpenStack",
        {"cloud": "openstack", "sshSources": ["sg-0123456789abcdef0"]},
        ["clearwater-sg:sshSources[0]", "UUID"],
    ),
    (
        "duplicate CIDR",
        {"cloud": "openstack", "worldCidrs": ["10.0.0.0/8", "10.0.0.0/8"]},
        ["clearwater-sg:worldCidrs[1]", "listed twice"],
    ),
    (
        "non-boolean toggle",
        {"cloud": "openstack", "memento": "yes"},
        ["clearwater-sg:memento", "true or false", "'yes'"],
    ),
    (
        "bad ipVersion",
        {"cloud": "openstack", "ipVersion": "5"},
        ["clearwater-sg:ipVersion", "'4', '6' or 'dual'"],
    ),
    (
        "vpcId on OpenStack",
        {"cloud": "openstack", "vpcId": VPC},
        ["clearwater-sg:vpcId", "AWS only", "remove vpcId"],
    ),
    ("AWS without vpcId", {"cloud": "aws"}, ["clearwater-sg:vpcId", "vpc-"]),
    (
        "malformed vpcId",
        {"cloud": "aws", "vpcId": "vpc-xyz"},
        ["clearwater-sg:vpcId", "not a VPC id"],
    ),
    (
        "memento on all-in-one",
        {"cloud": "openstack", "deployment": "all-in-one", "memento": True},
        ["clearwater-sg:memento", "distributed deployments only"],
    ),
    (
        "unknown key",
        {"cloud": "openstack", "memnto": True},
        ["clearwater-sg:memnto", "did you mean 'memento'", "known keys"],
    ),
    (
        "roles not a list",
        {"cloud": "openstack", "roles": "sprout"},
        ["clearwater-sg:roles", "YAML list"],
    ),
    (
        "reserved tag",
        {"cloud": "openstack", "tags": {"clearwater:role": "x"}},
        ["clearwater-sg:tags", "reserved"],
    ),
    (
        "bad name prefix",
        {"cloud": "openstack", "namePrefix": "my prefix!"},
        ["clearwater-sg:namePrefix", "not a usable name prefix"],
    ),
]


@pytest.mark.parametrize(
    ("problem", "config", "words"), BAD_CONFIGS, ids=[c[0] for c in BAD_CONFIGS]
)
def test_bad_config_is_refused_before_anything_is_registered(
    problem: str, config: dict[str, object], words: list[str]
) -> None:
    recording = Recording()
    with pytest.raises(pulumi.RunError) as raised:
        run_main(config, recording=recording)
    message = str(raised.value)
    for word in words:
        assert word in message, f"{problem}: {word!r} not in {message!r}"
    assert recording.resources == [], "resources were registered before the error"


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(pulumi.RunError) as raised:
        run_main({"cloud": "aws", "roles": ["sprot"], "hss": "maybe"})
    message = str(raised.value)
    for key in ("clearwater-sg:vpcId", "clearwater-sg:roles[0]", "clearwater-sg:hss"):
        assert key in message


def test_other_namespaces_are_left_to_their_owners() -> None:
    # aws:region and friends belong to the provider; they are not our keys to reject.
    recording = run_main({"cloud": "aws", "vpcId": VPC, "aws:region": "eu-west-1"})
    assert recording.resources
