"""The read-back the engine tests judge clouds with (`stored.py`), against the port document.

The engine tests (tests/engine/test_deploy.py and the rest) read what EC2 and Neutron
hold after a real `pulumi up` from the cloud alone and compare it, nothing more and
nothing missing, with the rules harness/doc_reader.py expects. Here that judgement is
shown to catch a wrong but valid rule (Vellum's Chronos on TCP/7254) that a cloud
accepts without complaint, made by hand in moto's EC2.

And one thing a read-back cannot show, which the document test (reading the registered
inputs) can: Neutron renames a legacy ``icmp`` on an IPv6 rule to ``ipv6-icmp`` before
storing it (checked below), so only the registration tells which one the program sent.
"""

from __future__ import annotations

import dataclasses
from collections import Counter

import pytest

from harness import DOC, aws
from harness.doc_reader import Permission, expected_rules, read_document
from harness.local_aws import AwsTarget
from harness.servers import MotoServer, NeutronServer
from tests.conformance.stored import ec2_permissions

pytestmark = pytest.mark.conformance

DOC_PORTS = read_document(DOC)


def _differences(
    stored: Counter[Permission], expected: Counter[Permission]
) -> tuple[list[str], list[str]]:
    """(stored beyond the document, the document's rules not stored), readable."""
    extra = sorted((stored - expected).elements(), key=Permission.key)
    missing = sorted((expected - stored).elements(), key=Permission.key)
    return [str(p) for p in extra], [str(p) for p in missing]


def test_a_valid_but_wrong_port_stored_by_ec2_is_caught(moto_ec2: MotoServer) -> None:
    """The document's rules for Sprout and Vellum made by hand, one of them on the port
    next to the document's: the judgement names that one rule both ways, nothing else."""
    config = aws(roles=["sprout", "vellum"])
    expected = expected_rules(config, DOC_PORTS)
    chronos = Permission("vellum", "ingress", "any", "tcp", 7253, 7253, "group:sprout")
    assert chronos in expected
    target = AwsTarget(moto_ec2.url, moto_ec2.create_vpc(ipv6=True))
    ids = {key: target.create_group(key) for key in ("all-nodes", "sprout", "vellum")}
    for group_id in ids.values():  # EC2's default egress, as the program revokes it
        for rule in target.rules_of(group_id):
            target.delete_rule(group_id, rule)
    moved = dataclasses.replace(chronos, low=7254, high=7254)
    for permission in expected.elements():
        made = moved if permission == chronos else permission
        target.add_rule(ids[made.group], made, ids)
    existing = {group_id: key for key, group_id in ids.items()}
    extra, missing = _differences(ec2_permissions(target, existing), expected)
    assert extra == ["vellum ingress any tcp 7254..7254 from group:sprout"]
    assert missing == ["vellum ingress any tcp 7253..7253 from group:sprout"]


def test_neutron_renames_a_legacy_icmp_on_an_ipv6_rule(
    neutron: NeutronServer, project_id: str
) -> None:
    """Why the document test reads the registered protocol, not only the stored one:
    Neutron stores an IPv6 rule sent as ``icmp`` as ``ipv6-icmp``. The provider would
    then read back a protocol other than the one configured, and replace the rule on
    every ``pulumi up``."""
    client = neutron.client
    group = client.create_security_group("legacy-icmp", project_id=project_id)
    created = client.create_rule(
        security_group_id=group["id"],
        project_id=project_id,
        direction="ingress",
        ethertype="IPv6",
        protocol="icmp",
        port_range_min=2,
        remote_ip_prefix="::/0",
    )
    assert created["protocol"] == "ipv6-icmp"
    assert client.get_rule(created["id"])["protocol"] == "ipv6-icmp"
