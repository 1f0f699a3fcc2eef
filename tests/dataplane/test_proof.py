"""What the deployed groups let through, on a real data plane: Neutron's ML2/OVN driver
turns the groups the real engine deployed into OVN ACLs on Open vSwitch; nodes in network
namespaces, plugged into Neutron ports that carry the groups the program output for their
role, probe each other and the outside hosts over TCP, UDP and ICMP echo, IPv4 and IPv6.
Every verdict is judged against the document reader alone (harness/reachability.py):
0 mismatches, for the bundled OpenStack stack, the largest dual-stack deployment with
egress all and then restricted (with a peer site), management and signaling networks
with every key beyond the document, and a derandomized sample of generated
configurations. One rule removed and one added through Neutron's API must flip exactly
the flows the judge says they carry.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given

from harness import PROJECT, PROJECT_DIR
from harness.dataplane import DataPlane
from harness.doc_reader import Permission
from harness.engine import stack_file_config
from harness.largest import largest
from harness.local_openstack import LocalOpenStack
from harness.proof import DESTINATIONS, Proof, ProvenStack
from harness.reachability import Expected, passed
from harness.reachability_matrix import matrix
from harness.wire import report
from tests.dataplane.conftest import Deploy
from tests.strategies import Config, derandomized, valid_configs

pytestmark = pytest.mark.dataplane

LIMITS = {"securityGroups": 49, "securityGroupRules": 996}
SITE_B = ["10.70.0.0/16", "2001:db8:70::/48"]
SAMPLE = 3


def _config(path: Path) -> dict[str, Any]:
    return {k.removeprefix(f"{PROJECT}:"): v for k, v in stack_file_config(path).items()}


def _holds(proof: Proof) -> None:
    print(proof.summary())
    if proof.retried:
        print("second tries:", proof.retried_by_pair().most_common(8))
    shown = "\n".join(str(m) for m in proof.mismatches[:60])
    assert not proof.mismatches, f"{proof.summary()}\n{shown}"
    assert proof.plan.unplaced == (), proof.plan.unplaced
    counts = proof.counts
    assert counts["passed"] and counts["dropped"], counts


# Through Neutron's API, as an operator's hand would: Sprout loses Chronos into Vellum over
# IPv4, and the world gains TCP/7254 (the port beside it) into Vellum.
REMOVED = Permission("vellum", "ingress", "IPv4", "tcp", 7253, 7253, "group:sprout")
ADDED = Permission("vellum", "ingress", "IPv4", "tcp", 7254, 7254, "0.0.0.0/0")


def _neutron_fields(permission: Permission, ids: dict[str, str]) -> dict[str, Any]:
    """The Neutron rule that stores `permission`, in a deployment whose groups are `ids`."""
    fields = {
        "security_group_id": ids[permission.group],
        "direction": permission.direction,
        "ether_type": permission.family,
        "protocol": permission.protocol,
        "port_range_min": permission.low,
        "port_range_max": permission.high,
    }
    if permission.peer.startswith("group:"):
        return {**fields, "remote_group_id": ids[permission.peer.removeprefix("group:")]}
    return {**fields, "remote_ip_prefix": permission.peer}


def _negative_control(staging: ProvenStack) -> None:
    assert staging.project is not None and staging.bed is not None
    vellum = [h.name for h in staging.bed.plan.hosts.values() if h.role == "vellum"]
    before = staging.prove(targets=vellum)
    _holds(before)
    ids = staging.outputs["securityGroupIds"]
    network = staging.project.connection().network
    stored = _neutron_fields(REMOVED, ids)
    [removed] = [
        rule
        for rule in network.security_group_rules(security_group_id=ids["vellum"])
        if all(getattr(rule, key) == value for key, value in stored.items())
    ]
    network.delete_security_group_rule(removed)
    added = network.create_security_group_rule(**_neutron_fields(ADDED, ids))
    try:
        staging.bed.settle()
        changed = staging.judge([*(p for p in staging.permissions if p != REMOVED), ADDED])
        after = staging.prove(targets=vellum, judge=changed)
    finally:
        network.delete_security_group_rule(added)
        network.create_security_group_rule(**stored)
    _holds(after)
    flipped = {p for p in after.observed if passed(after.observed[p]) != passed(before.observed[p])}
    predicted = {
        p
        for p in after.observed
        if (before.judge.expected(p) is Expected.OPEN) != (changed.expected(p) is Expected.OPEN)
    }
    print(f"negative control: {len(predicted)} flows predicted to flip, {len(flipped)} flipped")
    assert sorted(map(str, flipped)) == sorted(map(str, predicted))
    assert any(p.port == 7253 for p in flipped) and any(p.port == 7254 for p in flipped)


@pytest.fixture(scope="class")
def staging(
    wired_cloud: tuple[LocalOpenStack, DataPlane], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ProvenStack]:
    """stacks/Pulumi.openstack-staging.yaml, deployed once for the tests of a class."""
    cloud, plane = wired_cloud
    config = _config(PROJECT_DIR / "stacks" / "Pulumi.openstack-staging.yaml")
    where = tmp_path_factory.mktemp("staging")
    with ProvenStack(cloud, plane, where, "staging", config) as stack:
        yield stack


class TestTheBundledOpenStackStack:
    """stacks/Pulumi.openstack-staging.yaml, deployed once for both tests."""

    def test_it_lets_through_exactly_the_document(
        self, staging: ProvenStack, tmp_path: Path
    ) -> None:
        proof = staging.prove()
        _holds(proof)
        # The matrix `make wire` prints and writes, of this proof: Chronos into Vellum
        # from Sprout, Dime and Vellum, over both families, from no one else.
        chronos = matrix(proof).rows[("vellum", ("tcp", 7253))]
        assert {source: cell.text for source, cell in chronos.items()} == {
            "bono": "-", "dime": "yes", "ellis": "-", "homer": "-", "sprout": "yes",
            "vellum": "yes", "world": "-", "ssh": "-",
        }  # fmt: skip
        table = report(proof, tmp_path).splitlines()
        assert ["vellum", "tcp/7253"] in [line.split()[:2] for line in table]
        assert "| vellum | `tcp/7253` |" in (tmp_path / "staging.md").read_text()
        assert (tmp_path / "staging.svg").read_text().startswith("<svg")

    def test_one_rule_removed_and_one_added_flip_exactly_their_flows(
        self, staging: ProvenStack
    ) -> None:
        """Through Neutron's API, as an operator's hand would: Sprout loses Chronos into
        Vellum over IPv4 (REMOVED), and the world gains TCP/7254, the port beside it
        (ADDED). Every probe into the Vellum nodes runs again: exactly the flows the
        judge says those two rules carry change, and nothing else."""
        _negative_control(staging)


def test_the_largest_dual_stack_deployment_with_egress_all_then_restricted_and_a_peer_site(
    deploy: Deploy,
) -> None:
    """Every role, Memento, HSS and SNMP, dual stack. Then the same stack, `pulumi up` again
    with `egress: restricted`, every outbound kind toward its own outside server, and a
    peer site with timer replication: replies still come back, internal flows pass at both
    ends, peer-site flows both ways, and each outbound flow only toward its own server,
    probed from the node's side."""
    stack = deploy("largest", largest("openstack", "dual", limits=LIMITS))
    _holds(stack.prove())
    stack.up(
        {
            **stack.config,
            "egress": "restricted",
            "egressDestinations": DESTINATIONS,
            "peerSites": {"site-b": SITE_B},
            "replicateTimersAcrossSites": True,
        }
    )
    _holds(stack.prove())


def test_management_and_signaling_networks_with_every_key_beyond_the_document(
    deploy: Deploy,
) -> None:
    """`networks: split`: each node has a management and a signaling interface on two
    networks; each flow passes on the interface the sources put it on, and only there."""
    config = _config(PROJECT_DIR / "tests" / "engine" / "stacks" / "Pulumi.openstack-beyond.yaml")
    _holds(deploy("beyond", config).prove())


@derandomized(SAMPLE)
@given(config=valid_configs(clouds=("openstack",), max_entries=2, raised_limits=True, max_roles=3))
def test_a_sample_of_generated_configurations_lets_through_exactly_the_document(
    wired_cloud: tuple[LocalOpenStack, DataPlane],
    tmp_path_factory: pytest.TempPathFactory,
    config: Config,
) -> None:
    cloud, plane = wired_cloud
    where = tmp_path_factory.mktemp("generated")
    with ProvenStack(cloud, plane, where, "generated", dict(config)) as stack:
        proof = stack.prove()
    print(config)
    print(proof.summary())
    assert not proof.mismatches, "\n".join(str(m) for m in proof.mismatches[:60])
