"""extraRules: what no document line covers, opt-in, explained, and traced as such."""

from __future__ import annotations

from pathlib import Path

import pulumi
import pytest

from offline.runner import Recording
from offline.synth import synthesize
from tests.doc_reader import ANY_FAMILY, Permission
from tests.helpers import BGCF, PROJECT_DIR, aws, run_main
from tests.registered import AWS_INGRESS, registered_permissions, registered_rules
from tests.test_policy import load_pack_module

checks = load_pack_module("clearwater_checks")


def test_an_extra_rule_opens_exactly_what_it_says_and_names_its_reason() -> None:
    plain = registered_permissions(run_main(aws()))
    recording = run_main(aws(extraRules={"sprout": [BGCF]}))
    added = registered_permissions(recording) - plain
    assert set(added) == {
        Permission("sprout", "ingress", "IPv4", "tcp", 5053, 5053, "10.40.0.0/16"),
        Permission(
            "sprout", "ingress", ANY_FAMILY, "tcp", 5053, 5053, "external:sg-0dddddddddddddddd"
        ),
    }
    descriptions = {r.description for r in registered_rules(recording) if r.permission in added}
    assert descriptions == {"BGCF from SIP peers (extra rule, not in the document)"}


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


def test_an_extra_rule_that_repeats_a_document_rule_is_refused() -> None:
    web = {**BGCF, "ports": "80", "sources": ["0.0.0.0/0"], "description": "web"}
    with pytest.raises(pulumi.RunError, match="same traffic"):
        run_main(aws(extraRules={"ellis": [web]}))


def test_the_pre_flight_counts_extra_rules() -> None:
    many = [{**BGCF, "ports": str(20000 + i), "sources": ["10.40.0.0/16"]} for i in range(60)]
    recording = Recording()
    with pytest.raises(pulumi.RunError, match="inbound rules per security group"):
        run_main(aws(extraRules={"sprout": many}), recording=recording)
    assert recording.resources == []


def test_the_policy_pack_forbids_an_extra_rule_toward_an_internal_port_from_the_world() -> None:
    cassandra = {**BGCF, "ports": "9160", "sources": ["0.0.0.0/0"], "description": "debug"}
    recording = run_main(aws(extraRules={"vellum": [cassandra]}))
    (rule,) = [
        r
        for r in recording.resources
        if r.type == AWS_INGRESS and r.inputs.get("fromPort") == 9160 and r.inputs.get("cidrIpv4")
    ]
    assert checks.internal_port_open_to_world(rule.type, rule.inputs) != []
