"""A sample of accepted configurations applies cleanly to moto and Neutron.

The configurations come from the same strategies as the property tests
(`tests/test_properties.py`), derandomized so that every run applies the same sample. Each
is run through the real program and what it registered is applied to the live server
request by request, as the providers send it (`appliers.py`), with a stand-in group for
every existing group the configuration references. Every request must succeed, and reading
the groups back must give exactly the registered rules, no more, no fewer.

The configurations raise `limits` far above the clouds' defaults, as an operator with
raised quotas would; the Neutron project of each example gets those quotas. The samples
are small (Neutron's especially: it is slow) and fixed; `tests/test_properties.py` covers
the space. moto counts
IPv4 ranges, IPv6 ranges and group pairs together against 60 per group (AWS counts each
family separately), so the AWS sample keeps source lists short and skips the rare plan
that moto's stricter count would refuse.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from collections import Counter

import pytest
from hypothesis import HealthCheck, assume, given, settings

from offline.inventory import (
    AWS_EGRESS,
    AWS_GROUP,
    AWS_INGRESS,
    OPENSTACK_GROUP,
    OPENSTACK_RULE,
)
from tests.conformance.appliers import (
    NeutronRuleRow,
    apply_to_ec2,
    apply_to_neutron,
    registered_ec2_rules,
    sent_neutron_rules,
)
from tests.conformance.servers import MotoServer, NeutronServer
from tests.helpers import run_main
from tests.test_properties import RAISED_LIMITS, Config, valid_configs

pytestmark = pytest.mark.conformance

# Neutron takes ~0.15 s a request (a group costs 5: create, read, delete its 2 default
# rules, tag it), so its sample is smaller, and its deployments have at most 3 roles.
NEUTRON_SAMPLE = 4
EC2_SAMPLE = 6
MOTO_RULES_PER_GROUP = 60


def _sample(size: int) -> settings:
    return settings(
        max_examples=size,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )


@_sample(NEUTRON_SAMPLE)
@given(config=valid_configs(clouds=("openstack",), max_entries=2, raised_limits=True, max_roles=3))
def test_neutron_applies_a_sample_of_accepted_configurations(
    neutron: NeutronServer, config: Config
) -> None:
    recording = run_main(config)
    quotas = (RAISED_LIMITS["securityGroups"], RAISED_LIMITS["securityGroupRules"])
    applier, _ = apply_to_neutron(neutron, recording, quotas)  # ApplyError on a refusal

    rules = recording.of_type(OPENSTACK_RULE)
    assert applier.created_groups == [g.name for g in recording.of_type(OPENSTACK_GROUP)]
    assert applier.created_rules == [r.name for r in rules]
    stored = applier.stored_rules(recording)
    assert sum(stored.values()) == len(rules)
    assert _by_network(stored) == _by_network(sent_neutron_rules(recording))


def _by_network(rows: Counter[NeutronRuleRow]) -> Counter[NeutronRuleRow]:
    """Rows with each remote prefix in Python's canonical text. Neutron writes prefixes
    with netaddr, which spells an IPv4-compatible IPv6 network in dotted form (it stores
    `::16:0/111` as `::0.22.0.0/111`): the same network, in other text."""
    found: Counter[NeutronRuleRow] = Counter()
    for row, count in rows.items():
        prefix = row.remote_ip_prefix
        canonical = None if prefix is None else str(ipaddress.ip_network(prefix))
        found[dataclasses.replace(row, remote_ip_prefix=canonical)] += count
    return found


@_sample(EC2_SAMPLE)
@given(config=valid_configs(clouds=("aws",), max_entries=2, raised_limits=True))
def test_ec2_applies_a_sample_of_accepted_configurations(
    moto_ec2: MotoServer, config: Config
) -> None:
    recording = run_main(config)
    ingress = Counter(str(r.inputs["securityGroupId"]) for r in recording.of_type(AWS_INGRESS))
    assume(max(ingress.values(), default=0) <= MOTO_RULES_PER_GROUP)
    applier, _ = apply_to_ec2(moto_ec2, recording)  # ApplyError on any refusal

    rules = [r for r in recording.resources if r.type in (AWS_INGRESS, AWS_EGRESS)]
    assert applier.created_groups == [g.name for g in recording.of_type(AWS_GROUP)]
    assert applier.created_rules == [r.name for r in rules]
    stored = applier.stored_rules(recording)
    assert sum(stored.values()) == len(rules)
    assert stored == registered_ec2_rules(recording)
