"""Every shape the keys beyond the port document add is accepted by the clouds.

One configuration per cloud turns everything on: every profile, a peer site named by a
CIDR per family and by a group id, timer replication, management and signaling networks,
and an extra rule. What the program registers is applied to the live Neutron and to
moto's EC2 request by request, as the providers send it (`appliers.py`); every request
must succeed, and the clouds must store exactly what was sent. (tests/test_beyond.py
proves, against the issue's own list, that what is sent is what the keys ask for.)
Managed prefix lists are AWS-only and not applied here: moto's EC2 server is the oracle,
and the appliers send group and CIDR sources only.
"""

from __future__ import annotations

import pytest

from offline.inventory import AWS_EGRESS, AWS_GROUP, AWS_INGRESS, OPENSTACK_GROUP, OPENSTACK_RULE
from tests.conformance.appliers import (
    apply_to_ec2,
    apply_to_neutron,
    registered_ec2_rules,
    sent_neutron_rules,
)
from tests.conformance.servers import MotoServer, NeutronServer
from tests.helpers import VPC, run_main

pytestmark = pytest.mark.conformance

SITE_GROUP = {"aws": "sg-0cccccccccccccccc", "openstack": "12345678-aaaa-bbbb-cccc-0123456789ab"}
EXTRA = {
    "protocol": "udp",
    "ports": "5060-5061",
    "sources": ["10.40.0.0/16"],
    "description": "SIP from the SBC",
    "reason": "IMS-7: SBC trunk",
    "network": "signaling",
}


def everything(cloud: str) -> dict[str, object]:
    config: dict[str, object] = {
        "cloud": cloud,
        "ipVersion": "dual",
        "roles": ["ellis", "bono", "sprout", "dime", "homer", "vellum", "app-server"],
        "memento": True,
        "hss": True,
        "snmpSources": ["10.20.0.0/24"],
        "profiles": [
            "sprout-peering",
            "restund",
            "ut",
            "management-http",
            "trusted-application-servers",
        ],
        "managementSources": ["10.50.0.0/24", "fd00:50::/64"],
        "peerSites": {"site-b": ["10.2.0.0/16", "fd00:2::/48", SITE_GROUP[cloud]]},
        "replicateTimersAcrossSites": True,
        "networks": "split",
        "extraRules": {"sprout": [EXTRA]},
    }
    if cloud == "aws":
        return {**config, "vpcId": VPC, "limits": {"rulesPerGroup": 100, "groupsPerInterface": 5}}
    return {**config, "limits": {"securityGroups": 100, "securityGroupRules": 1000}}


def test_neutron_accepts_and_stores_every_shape_beyond_the_document(
    neutron: NeutronServer,
) -> None:
    recording = run_main(everything("openstack"))
    assert len(recording.of_type(OPENSTACK_GROUP)) == 16  # 8 groups x 2 networks
    applier, _ = apply_to_neutron(neutron, recording, (100, 1000))  # ApplyError on a refusal
    stored = applier.stored_rules(recording)
    assert sum(stored.values()) == len(recording.of_type(OPENSTACK_RULE))
    assert stored == sent_neutron_rules(recording)


def test_ec2_accepts_and_stores_every_shape_beyond_the_document(moto_ec2: MotoServer) -> None:
    recording = run_main(everything("aws"))
    assert len(recording.of_type(AWS_GROUP)) == 16
    applier, _ = apply_to_ec2(moto_ec2, recording)  # ApplyError on any refusal
    rules = [r for r in recording.resources if r.type in (AWS_INGRESS, AWS_EGRESS)]
    stored = applier.stored_rules(recording)
    assert sum(stored.values()) == len(rules)
    assert stored == registered_ec2_rules(recording)
