"""Synth: the credential-free rendering reviewers read in a pull request."""

from __future__ import annotations

import json
import re
import shutil
from collections import defaultdict
from pathlib import Path

import pytest
import yaml

from offline.__main__ import main
from offline.formats import to_json, to_markdown, to_mermaid, to_table
from offline.generated import MarkerError, readme, replace_block
from offline.inventory import RULE_TYPES
from offline.runner import run_stack
from offline.synth import synthesize
from tests.doc_reader import BEYOND_PORTS, ICMP_TYPES, PORT_LINE, read_document
from tests.helpers import DOC, PROJECT_DIR

STACK_FILES = sorted((PROJECT_DIR / "stacks").glob("Pulumi.*.yaml"))
PROD = PROJECT_DIR / "stacks" / "Pulumi.aws-prod.yaml"
DOC_PORTS = read_document(DOC)
RENDERERS = (to_markdown, to_mermaid, to_json)
# "Profile restund (Metaswitch/sprout restund scripts; Metaswitch/clearwater-heat ...)"
SOURCED = re.compile(r"(.+) \((Metaswitch/[\w.-]+ [^;()]+(?:; Metaswitch/[\w.-]+ [^;()]+)*)\)")


@pytest.mark.parametrize("stack_file", STACK_FILES, ids=lambda path: path.name)
def test_every_rule_names_the_document_line_it_comes_from(stack_file: Path) -> None:
    section_group = {port.section: port.group for port in DOC_PORTS}
    doc_lines = {(port.section, port.line) for port in DOC_PORTS}
    beyond = {(port.section, port.line, port.group) for port in BEYOND_PORTS}
    for rule in synthesize(stack_file).rules:
        if rule.direction == "egress":
            assert rule.section not in section_group  # egress is not in the document
            continue
        sourced = SOURCED.fullmatch(rule.section)
        if sourced:  # beyond the document: what turns it on, and the files it comes from
            assert (sourced.group(1), rule.line, rule.group) in beyond, rule
            continue
        assert (rule.section, rule.line) in doc_lines, rule
        assert section_group[rule.section] == rule.group, rule
        match = PORT_LINE.match(rule.line)
        if match:
            assert rule.protocol == match.group(1).lower()
            first, last = match.group(2), match.group(3) or match.group(2)
            assert rule.ports == (first if first == last else f"{first}-{last}")
        else:
            family = 6 if rule.family == "IPv6" else 4
            assert rule.protocol == "icmp"
            assert int(rule.ports.removeprefix("type ")) in ICMP_TYPES[rule.line][family]


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
    for column in ("Role", "Direction", "Protocol", "Ports", "Source", "Description"):
        assert column in header
    _, recording = run_stack(PROD)
    rules = [resource for resource in recording.resources if resource.type in RULE_TYPES]
    assert len(markdown_rows(text, "Role | Direction")) == len(rules)


def test_markdown_lists_the_documents_peer_flows_of_the_full_deployment() -> None:
    # aws-prod has every role, Memento and an HSS: every peer flow of the document.
    expected = {
        (port.group, port.protocol, port.line.split("/")[1], f"{port.source} (group)", port.section)
        for port in DOC_PORTS
        if port.source not in ("world", "ssh", "snmp") and port.group != "all-in-one"
    }
    rows = markdown_rows(to_markdown(synthesize(PROD)), "Role | Direction")
    found = {(row[0], row[3], row[4], row[5], row[7]) for row in rows if row[5].endswith("(group)")}
    assert found == expected


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
    assert {group["role"] for group in document["groups"]} >= {"all-nodes", "sprout"}
    assert all(rule["section"] and rule["line"] for rule in document["rules"])
    assert {
        (rule["group"], rule["ports"], rule["peer"], rule["section"])
        for rule in document["rules"]
        if rule["peer"] == "group:dime"
    } >= {("sprout", "9888", "group:dime", "Sprout")}  # the HSS's termination requests


def test_cli_writes_one_file_per_stack_and_format(tmp_path: Path) -> None:
    args = [str(path) for path in STACK_FILES]
    assert main([*args, "--format", "json", "--out", str(tmp_path)]) == 0
    assert main([str(PROD), "--format", "mermaid", "--out", str(tmp_path)]) == 0
    written = sorted(path.name for path in tmp_path.iterdir())
    stacks = [path.name.removeprefix("Pulumi.").removesuffix(".yaml") for path in STACK_FILES]
    assert written == sorted([f"{stack}.json" for stack in stacks] + ["aws-prod.mmd"])
    assert (tmp_path / "aws-prod.json").read_text() == to_json(synthesize(PROD))


def test_cli_prints_the_terminal_table_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(PROD)]) == 0
    assert capsys.readouterr().out == to_table(synthesize(PROD))
    assert main([str(PROD), "--format", "markdown"]) == 0
    assert capsys.readouterr().out == to_markdown(synthesize(PROD))


def copy_project(tmp_path: Path) -> Path:
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(PROJECT_DIR / name, tmp_path / name)
    for name in ("stacks", "snapshots"):
        shutil.copytree(PROJECT_DIR / name, tmp_path / name)
    return tmp_path


def test_cli_reports_a_bad_stack_file_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([str(PROJECT_DIR / "stacks" / "Pulumi.missing.yaml")]) == 1
    assert "Pulumi.missing.yaml" in capsys.readouterr().err
    typo = copy_project(tmp_path) / "stacks" / "Pulumi.typo.yaml"
    typo.write_text("config:\n  clearwater-sg:cloud: azure\n")
    assert main([str(typo)]) == 1
    assert "clearwater-sg:cloud" in capsys.readouterr().err


def test_cli_refuses_several_stacks_of_json_on_stdout() -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([*(str(path) for path in STACK_FILES), "--format", "json"])
    assert exit_info.value.code == 2


README_TEMPLATE = """# Title

Intro text that must survive.

<!-- synth:matrix:begin -->
stale table
<!-- synth:matrix:end -->

Between the blocks.

<!-- synth:diagram:begin -->
<!-- synth:diagram:end -->

Closing text.
"""


def test_readme_refresh_replaces_only_the_marked_blocks(tmp_path: Path) -> None:
    path = tmp_path / "README.md"
    path.write_text(README_TEMPLATE)
    generated = readme(PROJECT_DIR, path)
    assert not generated.is_current()
    generated.write()
    text = path.read_text()
    outside = re.sub(r"begin -->.*?<!-- synth:\w+:end", "", text, flags=re.DOTALL)
    template_outside = re.sub(r"begin -->.*?<!-- synth:\w+:end", "", README_TEMPLATE, flags=re.S)
    assert outside == template_outside
    assert "stale table" not in text
    prod = synthesize(PROD)
    assert to_markdown(prod) in text
    assert f"```mermaid\n{to_mermaid(prod)}```" in text
    assert readme(PROJECT_DIR, path).is_current()  # a second refresh changes nothing


def test_readme_refresh_names_a_missing_marker() -> None:
    with pytest.raises(MarkerError, match="synth:diagram:end"):
        replace_block("<!-- synth:diagram:begin -->\n", "diagram", "x")


def test_the_committed_readme_shows_the_current_matrix_and_diagram() -> None:
    generated = readme(PROJECT_DIR)
    assert generated.is_current(), (
        "README.md's synth blocks are stale; run `make snapshots`\n" + generated.diff()
    )


def test_refresh_check_shows_a_diff_then_refresh_fixes_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = copy_project(tmp_path)
    stack_file = project / "stacks" / "Pulumi.aws-prod.yaml"
    stack_file.write_text(stack_file.read_text().replace("hss: true", "hss: false"))
    (project / "snapshots" / "retired.json").write_text("{}\n")
    refresh = ["--update-snapshots", "--project-dir", str(project)]

    assert main([*refresh, "--check"]) == 1
    out = capsys.readouterr().out
    # The HSS's one rule disappears from the prod snapshot, and the diff says so.
    assert re.search(r'^-\s+"resource": "clearwater-sprout-in-tcp-9888-from-dime"', out, re.M)
    assert "retired.json" in out and "make snapshots" in out

    assert main(refresh) == 0
    assert not (project / "snapshots" / "retired.json").exists()
    assert main([*refresh, "--check"]) == 0
