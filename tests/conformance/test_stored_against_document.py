"""What the clouds store, judged against the port document: what may reach what.

The other conformance tests compare what moto stores with what the program sent, so a
wrong but valid rule (Vellum's Chronos on TCP/7254) passes them. Here the rules EC2 holds
after applying a case (every bundled AWS stack, the largest configuration) are read back
from the server alone (peer group ids mapped to roles by the stored groups' tags, see
``stored.py``) and must equal, nothing more and nothing missing, the rules
harness/doc_reader.py expects from the .rst and the case's configuration: ports, protocol
as the cloud names it, ICMP type and code, family, peer. On OpenStack the engine tests
judge what Neutron holds after a real `pulumi up` the same way (tests/engine/test_deploy.py).

One thing a read-back cannot show, and the document test (reading the registered
inputs) can: Neutron renames a legacy ``icmp`` on an IPv6 rule to ``ipv6-icmp`` before
storing it (checked below), so only the registration tells which one the program sent.
"""

from __future__ import annotations

import dataclasses
from collections import Counter

import pytest

from clearwater_sg.resources import AWS_GROUP, AWS_INGRESS
from harness import DOC, aws, run_main
from harness.doc_reader import Permission, expected_rules, read_document
from harness.servers import MotoServer, NeutronServer
from offline.runner import Recording, Registered
from tests.conformance.appliers import (
    Ec2Applier,
    applied_to_ec2,
    case_config,
    case_names,
    recording_of,
)
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


def _vpc_of(applier: Ec2Applier, recording: Recording) -> str:
    [vpc] = {applier.ids[str(g.inputs["vpcId"])] for g in recording.of_type(AWS_GROUP)}
    return vpc


@pytest.mark.parametrize("case", case_names("aws"))
def test_ec2_holds_exactly_what_the_document_allows(moto_ec2: MotoServer, case: str) -> None:
    applier, _ = applied_to_ec2(moto_ec2, case)
    stored = ec2_permissions(applier.ec2, _vpc_of(applier, recording_of(case)))
    expected = expected_rules(case_config(case), DOC_PORTS)
    extra, missing = _differences(stored, expected)
    assert extra == [], "EC2 lets through what the document does not open"
    assert missing == [], "the document opens what EC2 does not hold"
    assert max(stored.values()) == 1


def test_the_cases_include_existing_groups_and_both_families() -> None:
    """The expectation meets a bastion's group (aws-prod) and dual stack on each cloud."""
    expected = {
        case: expected_rules(case_config(case), DOC_PORTS)
        for case in (*case_names("aws"), *case_names("openstack"))
    }
    assert any(p.peer.startswith("external:") for p in expected["stack-aws-prod"])
    for case in ("largest-aws", "largest-openstack", "stack-openstack-staging"):
        assert {p.family for p in expected[case]} >= {"IPv4", "IPv6"}, case


# ==========================================================================
# The read-back and the judgement really catch a wrong but valid rule


def _moved(recording: Recording, rule: Registered, keys: tuple[str, str], port: float) -> Recording:
    """`recording` with one rule's port changed to another valid port."""
    inputs = {**rule.inputs, keys[0]: port, keys[1]: port}
    return Recording(
        resources=[
            dataclasses.replace(r, inputs=inputs) if r is rule else r for r in recording.resources
        ]
    )


def test_a_valid_but_wrong_port_stored_by_ec2_is_caught(moto_ec2: MotoServer) -> None:
    config = aws(roles=["sprout", "vellum"])
    recording = run_main(config)
    [chronos] = [
        r
        for r in recording.of_type(AWS_INGRESS)
        if r.name.endswith("vellum-in-tcp-7253-from-sprout")
    ]
    vpc_id = moto_ec2.create_vpc(ipv6=True)
    applier = Ec2Applier(moto_ec2.ec2_client())
    applier.use_vpc(recording, vpc_id)
    applier.apply(_moved(recording, chronos, ("fromPort", "toPort"), 7254.0))
    extra, missing = _differences(
        ec2_permissions(applier.ec2, vpc_id), expected_rules(config, DOC_PORTS)
    )
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


def test_ec2_holds_exactly_the_restricted_egress_the_document_implies(
    moto_ec2: MotoServer,
) -> None:
    """`egress: restricted` on EC2: every internal flow at its source too, the outbound
    flows toward the destinations given, no allow-all; read back from moto alone."""
    config = aws(
        egress="restricted",
        ipVersion="dual",
        roles=["ellis", "bono", "sprout", "dime", "homer", "vellum", "app-server"],
        egressDestinations={"dns": ["10.0.0.2/32", "fd00::2/128"], "sip-peers": ["10.60.0.0/16"]},
    )
    recording = run_main(config)
    vpc_id = moto_ec2.create_vpc(ipv6=True)
    applier = Ec2Applier(moto_ec2.ec2_client())
    applier.use_vpc(recording, vpc_id)
    applier.apply(recording)
    extra, missing = _differences(
        ec2_permissions(applier.ec2, vpc_id), expected_rules(config, DOC_PORTS)
    )
    assert (extra, missing) == ([], [])
