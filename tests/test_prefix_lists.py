"""AWS managed prefix lists, wherever a CIDR or a group id is accepted, counted by the
quota pre-flight as AWS counts them: a prefix list costs its max entries."""

from __future__ import annotations

import pulumi
import pytest

from offline.runner import Recording
from tests.doc_reader import ANY_FAMILY, Permission
from tests.helpers import PL, aws, run_main
from tests.registered import registered_permissions

SSH = Permission("all-nodes", "ingress", ANY_FAMILY, "tcp", 22, 22, f"prefix-list:{PL}")


def test_a_prefix_list_is_an_ssh_source() -> None:
    found = registered_permissions(run_main(aws(sshSources=[PL], prefixLists={PL: 10})))
    assert {p for p in found if p.low == 22} == {SSH}


@pytest.mark.parametrize(
    "extra",
    [
        {"snmpSources": [PL]},
        {"profiles": ["management-http"], "managementSources": [PL]},
        {"peerSites": {"site-b": [PL]}},
        {
            "extraRules": {
                "sprout": [
                    {
                        "protocol": "tcp",
                        "ports": "5053",
                        "sources": [PL],
                        "description": "BGCF",
                        "reason": "IMS-42",
                    }
                ]
            }
        },
    ],
    ids=["snmp", "management", "peer-site", "extra-rule"],
)
def test_a_prefix_list_is_accepted_wherever_a_source_is(extra: dict[str, object]) -> None:
    found = registered_permissions(run_main(aws(**extra, prefixLists={PL: 10})))
    assert any(p.peer == f"prefix-list:{PL}" for p in found)


def test_the_pre_flight_counts_a_prefix_list_as_its_max_entries() -> None:
    # all-nodes holds 5 IPv4 rules besides SSH (3 ICMP, 2 etcd): with a 40-entry list
    # for SSH that is 45 of AWS's 60; with a 60-entry list, 65.
    assert run_main(aws(sshSources=[PL], prefixLists={PL: 40})).resources
    recording = Recording()
    with pytest.raises(pulumi.RunError, match="inbound rules per security group"):
        run_main(aws(sshSources=[PL], prefixLists={PL: 60}), recording=recording)
    assert recording.resources == []
