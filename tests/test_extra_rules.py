"""extraRules: what no document line covers, opt-in, explained, and traced as such."""

from __future__ import annotations

from pathlib import Path

import pulumi
import pytest

from offline.runner import Recording
from offline.synth import synthesize
from tests.doc_reader import ANY_FAMILY, Permission
from tests.helpers import PROJECT_DIR, VPC, run_main
from tests.registered import AWS_INGRESS, registered_permissions, registered_rules
from tests.test_policy import load_pack_module

checks = load_pack_module("clearwater_checks")

BGCF = {
    "protocol": "tcp",
    "ports": "5053",
    "sources": ["10.40.0.0/16", "sg-0dddddddddddddddd"],
    "description": "BGCF from SIP peers",
    "reason": "IMS-42: interconnect with the transit carrier",
}


def aws_config(**extra: object) -> dict[str, object]:
    return {"cloud": "aws", "vpcId": VPC, **extra}


def test_an_extra_rule_opens_exactly_what_it_says_and_names_its_reason() -> None:
    plain = registered_permissions(run_main(aws_config()))
    recording = run_main(aws_config(extraRules={"sprout": [BGCF]}))
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


@pytest.mark.parametrize(
    ("rules", "words"),
    [
        ({"ellis": [BGCF]}, ["clearwater-sg:extraRules.ellis", "not a group of this deployment"]),
        ({"sprout": [{**BGCF, "reason": ""}]}, ["clearwater-sg:extraRules.sprout[0].reason"]),
        ({"sprout": [{k: v for k, v in BGCF.items() if k != "reason"}]}, ["reason: is required"]),
        ({"sprout": [{**BGCF, "description": "a <b>"}]}, ["extraRules.sprout[0].description"]),
        ({"sprout": [{**BGCF, "ports": "0-70000"}]}, ["extraRules.sprout[0].ports"]),
        ({"sprout": [{**BGCF, "protocol": "icmp"}]}, ["extraRules.sprout[0].protocol"]),
        (
            {"sprout": [{**BGCF, "sources": ["fd00::/8"]}]},
            ["extraRules.sprout[0].sources[0]", "IPv6"],
        ),
        ({"sprout": [{**BGCF, "sources": []}]}, ["extraRules.sprout[0].sources"]),
        ({"sprout": [{**BGCF, "network": "management"}]}, ["networks: split only"]),
        ({"sprout": [{**BGCF, "colour": "red"}]}, ["extraRules.sprout[0].colour"]),
    ],
)
def test_a_bad_extra_rule_is_refused_before_anything_exists(
    rules: dict[str, object], words: list[str]
) -> None:
    recording = Recording()
    config = aws_config(roles=["bono", "sprout"], extraRules=rules)
    with pytest.raises(pulumi.RunError) as raised:
        run_main(config, recording=recording)
    assert recording.resources == []
    for word in words:
        assert word in str(raised.value), str(raised.value)


def test_an_extra_rule_that_repeats_a_document_rule_is_refused() -> None:
    web = {**BGCF, "ports": "80", "sources": ["0.0.0.0/0"], "description": "web"}
    with pytest.raises(pulumi.RunError, match="same traffic"):
        run_main(aws_config(extraRules={"ellis": [web]}))


def test_split_networks_need_the_interface_of_each_extra_rule() -> None:
    config = aws_config(networks="split", extraRules={"sprout": [{**BGCF, "network": "signaling"}]})
    names = {r.resource for r in registered_rules(run_main(config))}
    assert "clearwater-sprout-signaling-in-tcp-5053-from-10.40.0.0_16" in names
    with pytest.raises(pulumi.RunError, match="say which interface"):
        run_main(aws_config(networks="split", extraRules={"sprout": [BGCF]}))


def test_the_pre_flight_counts_extra_rules() -> None:
    many = [{**BGCF, "ports": str(20000 + i), "sources": ["10.40.0.0/16"]} for i in range(60)]
    recording = Recording()
    with pytest.raises(pulumi.RunError, match="inbound rules per security group"):
        run_main(aws_config(extraRules={"sprout": many}), recording=recording)
    assert recording.resources == []


def test_the_policy_pack_forbids_an_extra_rule_toward_an_internal_port_from_the_world() -> None:
    cassandra = {**BGCF, "ports": "9160", "sources": ["0.0.0.0/0"], "description": "debug"}
    recording = run_main(aws_config(extraRules={"vellum": [cassandra]}))
    (rule,) = [
        r
        for r in recording.resources
        if r.type == AWS_INGRESS and r.inputs.get("fromPort") == 9160 and r.inputs.get("cidrIpv4")
    ]
    assert checks.internal_port_open_to_world(rule.type, rule.inputs) != []
