"""The renderers (`offline.formats`) of a synthesized stack: the terminal table, Markdown,
Mermaid and JSON, each deterministic and free of the ids the mock engine makes up.
Markdown has a row per registered rule with the reviewers' columns, and its cells cannot
end the table or render markup; Mermaid draws every documented flow once per pair of
nodes; JSON carries every rule with its document section; the table says which document
lines the cloud cannot express."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path

import pytest
import yaml

from clearwater_sg.resources import RULE_TYPES
from harness import DOC
from harness.doc_reader import PORT_LINE, read_document
from offline.formats import markdown_cell, to_json, to_markdown, to_mermaid
from offline.runner import run_stack
from offline.synth import synthesize
from tests.helpers import PROD, STACK_FILES, run_offline_cli

DOC_PORTS = read_document(DOC)


RENDERERS = (to_markdown, to_mermaid, to_json)


@pytest.mark.parametrize("stack_file", STACK_FILES, ids=lambda path: path.name)
def test_output_is_deterministic_and_free_of_made_up_ids(stack_file: Path) -> None:
    first, second = synthesize(stack_file), synthesize(stack_file)
    _, recording = run_stack(stack_file)
    mock_ids = {resource.id for resource in recording.resources if resource.id}
    for render in RENDERERS:
        text = render(first)
        assert text == render(second)
        assert not [mock_id for mock_id in mock_ids if mock_id in text]


def markdown_rows(text: str, first_header: str) -> list[list[str]]:
    """The body rows of the Markdown table whose header row starts with `first_header`."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"| {first_header} |"))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split(" | ")])
    return rows


def test_markdown_has_a_row_per_registered_rule_with_the_reviewers_columns() -> None:
    text = to_markdown(synthesize(PROD))
    header = next(line for line in text.splitlines() if "Doc section" in line)
    for column in ("Group", "Direction", "Protocol", "Ports", "Source", "Description"):
        assert column in header
    _, recording = run_stack(PROD)
    rules = [resource for resource in recording.resources if resource.type in RULE_TYPES]
    assert len(markdown_rows(text, "Group | Direction")) == len(rules)


def test_markdown_lists_the_documents_peer_flows_of_the_full_deployment() -> None:
    # aws-prod has every role, Memento and an HSS: every peer flow of the document.
    expected = {
        (port.group, port.protocol, port.line.split("/")[1], f"{port.source} (group)", port.section)
        for port in DOC_PORTS
        if port.source not in ("world", "ssh", "snmp") and port.group != "all-in-one"
    }
    rows = markdown_rows(to_markdown(synthesize(PROD)), "Group | Direction")
    found = {(row[0], row[3], row[4], row[5], row[7]) for row in rows if row[5].endswith("(group)")}
    assert found == expected


def test_a_markdown_cell_cannot_end_the_table_or_render_markup() -> None:
    cell = markdown_cell("a | b\n| c |<img src=x>")
    assert "\n" not in cell and "<" not in cell
    assert cell.count("|") == cell.count("\\|")


MERMAID_NODE = re.compile(r'^  (\w+)\(*\[*"(.+?)"[\])]*$')
MERMAID_EDGE = re.compile(r'^  (\w+) (-->|-\.->)\|"(.*)"\| (\w+)$')


def mermaid_edges(text: str) -> dict[tuple[str, str], tuple[str, str]]:
    """(source label, target label) -> (arrow, edge label); fails on a repeated edge."""
    lines = text.splitlines()
    assert lines[0] == "flowchart LR"
    labels = {m.group(1): m.group(2) for line in lines if (m := MERMAID_NODE.match(line))}
    edges: dict[tuple[str, str], tuple[str, str]] = {}
    for line in lines[1:]:
        if MERMAID_NODE.match(line):
            continue
        match = MERMAID_EDGE.match(line)
        assert match, f"not a node or an edge: {line!r}"
        pair = (labels[match.group(1)], labels[match.group(4)])
        assert pair not in edges, f"edges between {pair} are not merged"
        edges[pair] = (match.group(2), match.group(3))
    return edges


def test_mermaid_draws_every_documented_flow_once_per_pair_of_nodes() -> None:
    config = yaml.safe_load(PROD.read_text())["config"]
    audience_node = {
        "world": "Internet",
        "ssh": next(iter(config["clearwater-sg:sshSourceGroups"].values())),
        "snmp": config["clearwater-sg:snmpSources"][0],
    }
    expected: dict[tuple[str, str], set[str]] = defaultdict(set)
    for port in DOC_PORTS:
        if port.group == "all-in-one":
            continue
        source = audience_node.get(port.source, port.source)
        expected[(source, port.group)].add(port.line)
    edges = mermaid_edges(to_mermaid(synthesize(PROD)))
    assert edges.pop(("all-nodes", "Internet")) == ("-.->", "all traffic")  # egress
    assert set(edges) == set(expected)
    for pair, (arrow, label) in edges.items():
        assert arrow == "-->"
        for line in expected[pair]:
            match = PORT_LINE.match(line)
            if match:  # "TCP 5052, 5054": the protocol, then each port of that protocol
                protocol_part = next(p for p in label.split("<br/>") if p.startswith(match[1]))
                assert line.split("/")[1] in protocol_part.split(" ", 1)[1].split(", "), pair
            else:
                assert "ICMP" in label


def test_json_carries_every_rule_with_its_document_section() -> None:
    document = json.loads(to_json(synthesize(PROD)))
    assert (document["project"], document["stack"], document["cloud"]) == (
        "clearwater-sg",
        "aws-prod",
        "aws",
    )
    assert {group["key"] for group in document["groups"]} >= {"all-nodes", "sprout"}
    assert all(rule["section"] and rule["line"] for rule in document["rules"])
    assert {
        (rule["group"], rule["ports"], rule["peer"], rule["section"])
        for rule in document["rules"]
        if rule["peer"] == "group:dime"
    } >= {("sprout", "9888", "group:dime", "Sprout")}  # the HSS's termination requests


def test_render_says_which_document_lines_the_cloud_cannot_express(tmp_path: Path) -> None:
    result = run_offline_cli(tmp_path, "config:\n  clearwater-sg:cloud: openstack\n")
    assert "Not created: all-nodes Echo Reply" in result.stdout
