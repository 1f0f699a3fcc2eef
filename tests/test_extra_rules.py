"""extraRules: what no document line covers, opt-in, explained, and traced as such."""

from __future__ import annotations

from pathlib import Path

from offline.synth import synthesize
from tests.helpers import BGCF, PROJECT_DIR, aws, run_main
from tests.registered import AWS_INGRESS
from tests.test_policy import load_pack_module

checks = load_pack_module("clearwater_checks")


def test_synth_marks_extra_rules_as_not_from_the_document(tmp_path: Path) -> None:
    stacks = tmp_path / "stacks"
    stacks.mkdir()
    (tmp_path / "Pulumi.yaml").write_text((PROJECT_DIR / "Pulumi.yaml").read_text())
    (tmp_path / "__main__.py").write_text((PROJECT_DIR / "__main__.py").read_text())
    stack = stacks / "Pulumi.extra.yaml"
    stack.write_text(
        "config:\n  clearwater-sg:cloud: openstack\n  clearwater-sg:extraRules:\n    sprout:\n"
        "      - {protocol: udp, ports: 5060-5061, sources: [10.40.0.0/16],"
        " description: SIP from the SBC, reason: 'IMS-7: SBC trunk'}\n"
    )
    synth = synthesize(stack)
    extra = [rule for rule in synth.rules if "5060-5061" in rule.ports]
    assert [rule.section for rule in extra] == ["Extra rule, not in the document: IMS-7: SBC trunk"]
    assert [rule.line for rule in extra] == ["UDP/5060-5061"]


def test_the_policy_pack_forbids_an_extra_rule_toward_an_internal_port_from_the_world() -> None:
    cassandra = {**BGCF, "ports": "9160", "sources": ["0.0.0.0/0"], "description": "debug"}
    recording = run_main(aws(extraRules={"vellum": [cassandra]}))
    (rule,) = [
        r
        for r in recording.resources
        if r.type == AWS_INGRESS and r.inputs.get("fromPort") == 9160 and r.inputs.get("cidrIpv4")
    ]
    assert checks.internal_port_open_to_world(rule.type, rule.inputs) != []
