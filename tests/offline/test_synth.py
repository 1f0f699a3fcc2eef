"""The synthesized view of a stack (`offline.synth`), the credential-free rendering
reviewers read in a pull request: every rule traced to the document line it comes from,
or, beyond the document, to what turns it on and the files it comes from, and an
operator's extra rule to its reason, never to a line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from harness import DOC, PROJECT_DIR
from harness.doc_reader import BEYOND_PORTS, ICMP_TYPES, PORT_LINE, read_document
from offline.formats import to_table
from offline.synth import synthesize
from tests.helpers import STACK_FILES, UUID_A

DOC_PORTS = read_document(DOC)
# "Profile restund (Metaswitch/sprout restund scripts; Metaswitch/clearwater-heat ...)"
SOURCED = re.compile(r"(.+) \((Metaswitch/[\w.-]+ [^;()]+(?:; Metaswitch/[\w.-]+ [^;()]+)*)\)")


@pytest.mark.parametrize("stack_file", STACK_FILES, ids=lambda path: path.name)
def test_every_rule_names_the_document_line_it_comes_from(stack_file: Path) -> None:
    section_group = {port.section: port.group for port in DOC_PORTS}
    doc_lines = {(port.section, port.line) for port in DOC_PORTS}
    beyond = {(port.section, port.line, port.group) for port in BEYOND_PORTS}
    for rule in synthesize(stack_file).rules:
        permits = rule.permission
        if permits.direction == "egress":
            assert rule.section not in section_group  # egress is not in the document
            continue
        sourced = SOURCED.fullmatch(rule.section)
        if sourced:  # beyond the document: what turns it on, and the files it comes from
            assert (sourced.group(1), rule.line, permits.group) in beyond, rule
            continue
        assert (rule.section, rule.line) in doc_lines, rule
        assert section_group[rule.section] == permits.group, rule
        match = PORT_LINE.match(rule.line)
        if match:
            assert permits.protocol == match.group(1).lower()
            first, last = match.group(2), match.group(3) or match.group(2)
            assert permits.ports() == (first if first == last else f"{first}-{last}")
        else:
            family = 6 if permits.family == "IPv6" else 4
            assert permits.protocol == "icmp"
            assert int(permits.ports().removeprefix("type ")) in ICMP_TYPES[rule.line][family]


def _project_stack(where: Path, name: str, config: str) -> Path:
    """A copy of the bundled project with one stack file, `config` its YAML config."""
    (where / "stacks").mkdir()
    (where / "Pulumi.yaml").write_text((PROJECT_DIR / "Pulumi.yaml").read_text())
    (where / "__main__.py").write_text((PROJECT_DIR / "__main__.py").read_text())
    stack = where / "stacks" / f"Pulumi.{name}.yaml"
    stack.write_text(f"config:\n{config}")
    return stack


def test_synth_marks_extra_rules_as_not_from_the_document(tmp_path: Path) -> None:
    stack = _project_stack(
        tmp_path,
        "extra",
        "  clearwater-sg:cloud: openstack\n  clearwater-sg:extraRules:\n    sprout:\n"
        "      - {protocol: udp, ports: 5060-5061, sources: [10.40.0.0/16],"
        " description: SIP from the SBC, reason: 'IMS-7: SBC trunk'}\n",
    )
    synth = synthesize(stack)
    extra = [rule for rule in synth.rules if "5060-5061" in rule.permission.ports()]
    assert [rule.section for rule in extra] == ["Extra rule, not in the document: IMS-7: SBC trunk"]
    assert [rule.line for rule in extra] == ["UDP/5060-5061"]


def test_existing_groups_are_shown_as_such_with_the_rules_put_on_them(tmp_path: Path) -> None:
    stack = _project_stack(
        tmp_path,
        "owned",
        "  clearwater-sg:cloud: openstack\n  clearwater-sg:roles: [sprout, vellum]\n"
        f"  clearwater-sg:existingGroups: {{sprout: {UUID_A}}}\n",
    )
    synth = synthesize(stack)
    assert [(g.key, g.existing) for g in synth.groups] == [
        ("all-nodes", False),
        ("sprout", True),
        ("vellum", False),
    ]
    # The document's Sprout <-> Vellum flows, read back by key on both sides.
    assert {r.permission.describe() for r in synth.rules} >= {
        "sprout ingress IPv4 tcp/9888 from group vellum",
        "vellum ingress IPv4 tcp/7253 from group sprout",
    }
    assert "3 security groups (1 existing)" in to_table(synth)


def test_restricted_egress_traces_each_rule_to_the_document_or_its_source(tmp_path: Path) -> None:
    """A mirrored rule traces to the document line of its inbound rule; an outbound flow
    to the Clearwater file that shows it; there is no untraced allow-all rule."""
    stack = _project_stack(
        tmp_path,
        "restricted",
        "  clearwater-sg:cloud: openstack\n  clearwater-sg:egress: restricted\n"
        "  clearwater-sg:egressDestinations: {dns: [10.0.0.2/32]}\n",
    )
    doc_lines = {(port.section, port.line) for port in DOC_PORTS}
    egress = [r for r in synthesize(stack).rules if r.permission.direction == "egress"]
    mirrored = [r for r in egress if r.permission.peer_cell().startswith("group:")]
    outbound = [r for r in egress if r not in mirrored]
    assert mirrored and all((r.section, r.line) in doc_lines for r in mirrored)
    assert {(r.section, r.line) for r in outbound} == {
        ("Outbound dns (Metaswitch/clearwater-readthedocs docs/Clearwater_DNS_Usage.md)", line)
        for line in ("UDP/53", "TCP/53")
    }
