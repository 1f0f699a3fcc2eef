"""The OpenStack groups against a live Neutron 29 API.

For every bundled OpenStack stack and for the largest configuration, what the real
program registers is applied to Neutron request by request, as pulumi-openstack sends
it (see ``appliers.py``); every request must succeed. Then the groups are read back:
Neutron must hold exactly the registered rules, names, descriptions and tags, and
nothing else (the default egress rules gone).

Two findings of this suite shaped the OpenStack backend, and are checked here: the
provider cannot send ICMP type 0 (gophercloud drops zero ports; Neutron would store an
ICMP rule for every type), and its schema refuses a port_range_min without a
port_range_max.
"""

from __future__ import annotations

import dataclasses

import pytest

from offline.inventory import OPENSTACK_GROUP, OPENSTACK_RULE
from offline.runner import Recording, Registered
from tests.conformance.appliers import (
    ApplyError,
    NeutronApplier,
    applied_to_neutron,
    case_names,
    neutron_rule_body,
    openstack_schema_errors,
    recording_of,
    registered_neutron_groups,
    sent_neutron_rules,
)
from tests.conformance.servers import NeutronError, NeutronServer
from tests.helpers import openstack, run_main

pytestmark = pytest.mark.conformance

CASES = case_names("openstack")


def test_the_cases_cover_a_bundled_stack_and_the_largest_configuration() -> None:
    assert "stack-openstack-staging" in CASES
    assert CASES[-1] == "largest-openstack"
    largest = recording_of("largest-openstack")
    assert len(largest.of_type(OPENSTACK_GROUP)) == 8  # all-nodes and the seven roles
    roles = {tag for g in largest.of_type(OPENSTACK_GROUP) for tag in g.inputs["tags"]}
    assert {f"clearwater:role={role}" for role in ("app-server", "vellum", "all-nodes")} <= roles


# ==========================================================================
# Apply and read back


@pytest.mark.parametrize("case", CASES)
def test_neutron_accepts_every_request(neutron: NeutronServer, case: str) -> None:
    recording = recording_of(case)
    applier, _ = applied_to_neutron(neutron, case)  # raises ApplyError on any refusal
    assert applier.created_groups == [g.name for g in recording.of_type(OPENSTACK_GROUP)]
    assert applier.created_rules == [r.name for r in recording.of_type(OPENSTACK_RULE)]


@pytest.mark.parametrize("case", CASES)
def test_neutron_stores_exactly_what_the_provider_sends(neutron: NeutronServer, case: str) -> None:
    """Every rule of every applied group, as Neutron holds it, against the registered
    rules as pulumi-openstack encodes them: equal as multisets, so no rule is missing,
    none is extra (Neutron's default egress rules are gone), none is duplicated."""
    recording = recording_of(case)
    applier, _ = applied_to_neutron(neutron, case)
    stored = applier.stored_rules(recording)
    expected = sent_neutron_rules(recording)
    assert sorted((stored - expected).elements()) == [], "rules Neutron holds beyond the plan"
    assert sorted((expected - stored).elements()) == [], "registered rules Neutron lacks"
    assert stored == expected


@pytest.mark.parametrize("case", CASES)
def test_neutron_stores_the_groups_names_descriptions_and_tags(
    neutron: NeutronServer, case: str
) -> None:
    recording = recording_of(case)
    applier, externals = applied_to_neutron(neutron, case)
    assert applier.stored_groups(recording) == registered_neutron_groups(recording)
    # The project holds the deployment's groups, Neutron's `default`, and nothing else.
    names = [str(g.inputs["name"]) for g in recording.of_type(OPENSTACK_GROUP)]
    assert applier.project_group_names() == sorted([*names, "default", *externals])


@pytest.mark.parametrize("case", CASES)
def test_neutron_counts_what_the_registration_has(neutron: NeutronServer, case: str) -> None:
    """Neutron's quota usage after the apply: the groups and rules registered, plus the
    `default` group and its 4 rules (nothing left over from the default egress rules)."""
    recording = recording_of(case)
    applier, externals = applied_to_neutron(neutron, case)
    groups = len(recording.of_type(OPENSTACK_GROUP))
    rules = len(recording.of_type(OPENSTACK_RULE))
    assert applier.usage() == (groups + 1 + len(externals), rules + 4 + 2 * len(externals))


# ==========================================================================
# What the provider itself would refuse or mangle (found here, fixed in the backend)


@pytest.mark.parametrize("case", CASES)
def test_every_icmp_rule_keeps_its_type_and_code_in_neutron(
    neutron: NeutronServer, case: str
) -> None:
    """gophercloud leaves a 0 out of a request, and Neutron reads an ICMP rule without a
    type as every ICMP type. So no rule may ask for type 0, and the code (always 0, "any")
    must arrive as no code: every stored ICMP rule has exactly its registered type."""
    recording = recording_of(case)
    applier, _ = applied_to_neutron(neutron, case)
    icmp = [
        rule
        for rule in recording.of_type(OPENSTACK_RULE)
        if rule.inputs.get("protocol") in ("icmp", "ipv6-icmp")
    ]
    assert icmp
    stored = {rule["id"]: rule for rule in neutron.client.list_rules(project_id=applier.project_id)}
    for rule in icmp:
        held = stored[applier.rule_ids[rule.name]]
        assert held["protocol"] == rule.inputs["protocol"]
        assert held["port_range_min"] == int(rule.inputs["portRangeMin"]) != 0, rule.name
        assert held["port_range_max"] is None, rule.name


@pytest.mark.parametrize("case", CASES)
def test_every_rule_passes_the_providers_schema(case: str) -> None:
    """terraform-provider-openstack, which pulumi-openstack bridges, declares
    port_range_min and port_range_max `RequiredWith` each other and protocol; the bridge
    checks that before any request."""
    recording = recording_of(case)
    assert {
        rule.name: errors
        for rule in recording.of_type(OPENSTACK_RULE)
        if (errors := openstack_schema_errors(rule))
    } == {}


# ==========================================================================
# The applier and the read-back really catch problems (run once each)


@pytest.fixture(scope="module")
def small() -> Recording:
    """A small deployment: all-nodes (ICMP, SSH, etcd, egress) and Sprout."""
    return run_main(openstack(roles=["sprout"]))


def _replace(recording: Recording, name: str, **inputs: object) -> Recording:
    resources = [
        dataclasses.replace(r, inputs={**r.inputs, **inputs}) if r.name == name else r
        for r in recording.resources
    ]
    return Recording(resources=resources)


def _rule_named(recording: Recording, fragment: str) -> Registered:
    [rule] = [r for r in recording.of_type(OPENSTACK_RULE) if fragment in r.name]
    return rule


def _group_named(recording: Recording, role: str) -> Registered:
    [group] = [g for g in recording.of_type(OPENSTACK_GROUP) if g.name.endswith(f"-{role}")]
    return group


def test_a_wrong_icmp_type_is_refused_by_neutron(
    neutron: NeutronServer, project_id: str, small: Recording
) -> None:
    echo_request = _rule_named(small, "icmp-type8")
    mutated = _replace(small, echo_request.name, portRangeMin=256.0)
    applier = NeutronApplier(neutron.client, project_id)
    with pytest.raises(ApplyError) as raised:
        applier.apply(mutated)
    assert raised.value.resource.name == echo_request.name
    assert isinstance(raised.value.cause, NeutronError)
    assert (raised.value.cause.status, raised.value.cause.type) == (
        400,
        "SecurityGroupInvalidIcmpValue",
    )
    assert echo_request.name not in applier.created_rules


def test_a_duplicate_rule_is_refused_by_neutron(
    neutron: NeutronServer, project_id: str, small: Recording
) -> None:
    ssh = _rule_named(small, "tcp-22")
    twin = dataclasses.replace(ssh, name=f"{ssh.name}-twin", urn=f"{ssh.urn}-twin")
    applier = NeutronApplier(neutron.client, project_id)
    with pytest.raises(ApplyError) as raised:
        applier.apply(Recording(resources=[*small.resources, twin]))
    assert raised.value.resource is twin
    assert isinstance(raised.value.cause, NeutronError)
    assert (raised.value.cause.status, raised.value.cause.type) == (409, "SecurityGroupRuleExists")
    assert len(applier.created_rules) == len(small.of_type(OPENSTACK_RULE))


def test_the_read_back_sees_a_rule_removed_or_added_behind_the_programs_back(
    neutron: NeutronServer, project_id: str, small: Recording
) -> None:
    applier = NeutronApplier(neutron.client, project_id)
    applier.apply(small)
    expected = sent_neutron_rules(small)
    assert applier.stored_rules(small) == expected
    client = neutron.client
    all_nodes = applier.ids[_group_named(small, "all-nodes").id]
    [ssh] = [r for r in client.list_rules(security_group_id=all_nodes) if r["port_range_min"] == 22]
    client.delete_rule(ssh["id"])
    assert sum((expected - applier.stored_rules(small)).values()) == 1
    client.create_rule(
        security_group_id=all_nodes,
        project_id=project_id,
        direction="egress",
        ethertype="IPv6",
    )
    extra = applier.stored_rules(small) - expected
    assert [(row.direction, row.ethertype) for row in extra.elements()] == [("egress", "IPv6")]


def test_an_input_without_a_translation_is_refused_before_its_request(
    neutron: NeutronServer, project_id: str, small: Recording
) -> None:
    all_nodes = _group_named(small, "all-nodes")
    mutated = _replace(small, all_nodes.name, stateful=False)
    applier = NeutronApplier(neutron.client, project_id)
    with pytest.raises(ApplyError, match=r"\['stateful'\] have no translation") as raised:
        applier.apply(mutated)
    assert (raised.value.resource.name, raised.value.step) == (all_nodes.name, "translate")
    assert all_nodes.name not in applier.created_groups
    names = [group["name"] for group in neutron.client.list_groups(project_id=project_id)]
    assert all_nodes.inputs["name"] not in names


def test_the_request_body_leaves_out_what_gophercloud_leaves_out() -> None:
    ids = {"fake-group": "real-group", "fake-peer": "real-peer"}
    inputs = {
        "securityGroupId": "fake-group",
        "direction": "ingress",
        "ethertype": "IPv4",
        "protocol": "icmp",
        "portRangeMin": 0.0,
        "remoteGroupId": "fake-peer",
        "description": "",
    }
    assert neutron_rule_body(inputs, ids, "p") == {
        "direction": "ingress",
        "ethertype": "IPv4",
        "security_group_id": "real-group",
        "project_id": "p",
        "protocol": "icmp",
        "remote_group_id": "real-peer",
    }
    with pytest.raises(KeyError):  # an unmapped group id is never sent
        neutron_rule_body({**inputs, "securityGroupId": "unknown"}, ids, "p")
    with pytest.raises(TypeError):  # a port that is not a whole number is not rounded
        neutron_rule_body({**inputs, "portRangeMin": 8.5}, ids, "p")
