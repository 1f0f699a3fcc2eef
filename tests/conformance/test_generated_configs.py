"""A sample of accepted configurations applies cleanly to moto (on OpenStack, the engine
tests deploy their own sample with the real provider: tests/engine/test_generated.py).

The configurations come from the same strategies as the property tests
(`tests/strategies.py`), derandomized so that every run applies the same sample. Each
is run through the real program and what it registered is applied to the live server
request by request, as the providers send it (`appliers.py`), with a stand-in group for
every existing group the configuration references. Every request must succeed, and reading
the groups back must give exactly the registered rules, no more, no fewer.

The configurations raise `limits` far above the clouds' defaults, as an operator with
raised quotas would. The sample is small and fixed; `tests/test_main.py` covers the
space. moto counts IPv4 ranges, IPv6 ranges and group pairs together against 60 per group
(AWS counts each family separately), so the sample keeps source lists short and skips
the rare plan that moto's stricter count would refuse.
"""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import HealthCheck, assume, given, settings

from clearwater_sg.resources import AWS_EGRESS, AWS_GROUP, AWS_INGRESS
from harness import run_main
from harness.servers import MotoServer
from tests.conformance.appliers import (
    apply_to_ec2,
    registered_ec2_rules,
)
from tests.strategies import Config, valid_configs

pytestmark = pytest.mark.conformance

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
