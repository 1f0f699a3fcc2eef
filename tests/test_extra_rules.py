"""extraRules: what no document line covers, opt-in, explained, and traced as such."""

from __future__ import annotations

from tests.helpers import BGCF, aws, run_main
from tests.registered import AWS_INGRESS
from tests.test_policy import load_pack_module

checks = load_pack_module("clearwater_checks")


def test_the_policy_pack_forbids_an_extra_rule_toward_an_internal_port_from_the_world() -> None:
    cassandra = {**BGCF, "ports": "9160", "sources": ["0.0.0.0/0"], "description": "debug"}
    recording = run_main(aws(extraRules={"vellum": [cassandra]}))
    (rule,) = [
        r
        for r in recording.resources
        if r.type == AWS_INGRESS and r.inputs.get("fromPort") == 9160 and r.inputs.get("cidrIpv4")
    ]
    assert checks.internal_port_open_to_world(rule.type, rule.inputs) != []
