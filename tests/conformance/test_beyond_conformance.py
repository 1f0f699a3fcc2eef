"""Every shape the keys beyond the port document add is accepted by EC2 (moto); on
OpenStack the engine tests deploy it with the real provider (tests/engine/test_deploy.py).

One configuration per cloud turns everything on: every profile, a peer site named by a
CIDR per family and by a group id, timer replication, management and signaling networks,
and an extra rule. What the program registers is applied to the live Neutron and to
moto's EC2 request by request, as the providers send it (`appliers.py`); every request
must succeed, and the clouds must store exactly what was sent. (tests/unit/test_matrix.py
proves, against the issue's own list, that what is sent is what the keys ask for.)
Managed prefix lists are AWS-only and not applied here: moto's EC2 server is the oracle,
and the appliers send group and CIDR sources only.
"""

from __future__ import annotations

import pytest

from clearwater_sg.resources import AWS_EGRESS, AWS_GROUP, AWS_INGRESS
from harness import VPC, run_main
from harness.servers import MotoServer
from tests.conformance.appliers import (
    apply_to_ec2,
    registered_ec2_rules,
)

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


def test_ec2_accepts_and_stores_every_shape_beyond_the_document(moto_ec2: MotoServer) -> None:
    recording = run_main(everything("aws"))
    assert len(recording.of_type(AWS_GROUP)) == 16
    applier, _ = apply_to_ec2(moto_ec2, recording)  # ApplyError on any refusal
    rules = [r for r in recording.resources if r.type in (AWS_INGRESS, AWS_EGRESS)]
    stored = applier.stored_rules(recording)
    assert sum(stored.values()) == len(rules)
    assert stored == registered_ec2_rules(recording)
