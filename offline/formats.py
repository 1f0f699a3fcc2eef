"""Render a `Synth` as a terminal table, Markdown tables, a Mermaid flow diagram, or JSON.

Every renderer is deterministic: rows keep the inventory's sorted order, nodes and edges
are sorted, and groups are named by group key, never by an id the mock engine made up.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict

from clearwater_sg.permission import Addresses, Peer, PeerGroup, peer_text
from offline.inventory import RuleRow
from offline.synth import Synth

# format -> file extension
FORMATS = {"table": "txt", "markdown": "md", "mermaid": "mmd", "json": "json"}

INTERNET = "Internet"
_PROTOCOL_ORDER = ("tcp", "udp", "icmp", "icmpv6", "all")
# The columns of what a rule permits, as every table shows them first, and the notes after.
_PERMISSION = ("group", "direction", "family", "protocol", "ports")
_NOTES = ("description", "section")


# --- JSON -----------------------------------------------------------------------------


def to_json(synth: Synth) -> str:
    document = {
        "project": synth.project,
        "stack": synth.stack,
        "cloud": synth.cloud,
        "groups": [
            {
                "key": group.key,
                "name": group.name,
                "description": group.description,
                "existing": group.existing,
            }
            for group in synth.groups  # not the id: the mock engine made it up
        ],
        "rules": [cells(rule) for rule in synth.rules],
        "not_created": [asdict(missing) for missing in synth.not_created],
        "notes": list(synth.notes),
    }
    return json.dumps(document, indent=2) + "\n"


def cells(rule: RuleRow) -> dict[str, str]:
    """A rule as text, by column: the JSON's fields, and every table's cells."""
    permission = rule.permission
    return {
        "group": permission.group,
        "direction": permission.direction,
        "family": permission.family,
        "protocol": permission.protocol,
        "ports": permission.ports(),
        "peer": permission.peer_cell(),
        "description": rule.description,
        "section": rule.section,
        "line": rule.line,
        "resource": rule.resource,
    }


def _columns(rule: RuleRow, *names: str) -> list[str]:
    row = cells(rule)
    return [row[name] for name in names]


# --- Markdown -------------------------------------------------------------------------


def to_markdown(synth: Synth) -> str:
    rules = "rule" if synth.egress_count == 1 else "rules"
    summary = (
        f"**Stack `{synth.stack}`** ({synth.cloud}): {_groups(synth)}, "
        f"{synth.ingress_count} ingress and {synth.egress_count} egress {rules}."
    )
    groups = table(
        ("Group", "Group name", "Description"),
        [(group.key, group.name, group.description) for group in synth.groups],
    )
    headers = ("Group", "Direction", "Family", "Protocol", "Ports", "Source / destination")
    flows = table(
        (*headers, "Description", "Doc section"),
        [
            [
                *_columns(rule, *_PERMISSION),
                _peer_label(rule.permission.peer),
                *_columns(rule, *_NOTES),
            ]
            for rule in synth.rules
        ],
    )
    text = f"{summary}\n\n{groups}\n\n{flows}\n"
    if synth.not_created:
        text += "\nDocument lines **not created** on this cloud:\n\n" + table(
            ("Role", "Line", "Description", "Doc section", "Why"),
            [(m.group, m.line, m.description, m.section, m.reason) for m in synth.not_created],
        )
        text += "\n"
    text += "".join(f"\n> **Note:** {note}\n" for note in synth.notes)
    return text


def _groups(synth: Synth) -> str:
    """'8 security groups', and how many of them exist already."""
    existing = sum(group.existing for group in synth.groups)
    return f"{len(synth.groups)} security groups" + (f" ({existing} existing)" if existing else "")


def _peer_label(peer: Peer) -> str:
    return f"{peer.key} (group)" if isinstance(peer, PeerGroup) else peer_text(peer)


def markdown_cell(text: str) -> str:
    """Text as one table cell: a '|' or a line break would end the cell or the table,
    and markup would render instead of showing."""
    text = re.sub(r"[\x00-\x1f\x7f]+", " ", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|")


def table(headers: Sequence[str], rows: Iterable[Sequence[str]], markdown: bool = True) -> str:
    """Rows under headers: a Markdown table, or columns aligned for a terminal."""
    rows = [list(map(str, row)) for row in rows]
    if markdown:
        cells = [[markdown_cell(cell) for cell in row] for row in rows]
        lines = [headers, ["---"] * len(headers), *cells]
        return "\n".join("| " + " | ".join(line) + " |" for line in lines)
    widths = [max(len(cell) for cell in column) for column in zip(headers, *rows, strict=True)]
    lines = [headers, ["-" * width for width in widths], *rows]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in lines
    )


# --- Terminal -------------------------------------------------------------------------


def to_table(synth: Synth) -> str:
    """What `make render` prints: groups, rules, the quota each limit leaves, and the
    document lines the cloud cannot express."""
    parts = [
        f"Stack {synth.stack}: {_groups(synth)}, {synth.ingress_count} "
        f"ingress and {synth.egress_count} egress rules",
        table(
            ("GROUP", "NAME", "DESCRIPTION"),
            [(group.key, group.name, group.description) for group in synth.groups],
            markdown=False,
        ),
        table(
            ("GROUP", "DIR", "FAMILY", "PROTO", "PORTS", "FROM/TO", "DESCRIPTION"),
            [_columns(r, *_PERMISSION, "peer", "description") for r in synth.rules],
            markdown=False,
        ),
        table(
            ("LIMIT", "USED", "ALLOWED", "WHERE"),
            [(q.limit, str(q.used), str(q.allowed), q.where) for q in synth.quota],
            markdown=False,
        ),
        *(
            f"Not created: {m.group} {m.line} ({m.description}): {m.reason}"
            for m in synth.not_created
        ),
        *(f"Note: {note}" for note in synth.notes),
    ]
    return "\n\n".join(parts) + "\n"


# --- Mermaid --------------------------------------------------------------------------


def to_mermaid(synth: Synth) -> str:
    """Groups as nodes; every flow between the same two nodes merged into one edge
    labelled with its ports; world-facing ports drawn from an Internet node."""
    edges: dict[tuple[str, str, str], list[RuleRow]] = defaultdict(list)
    for rule in synth.rules:
        permission = rule.permission
        peer = _peer_node(permission.peer)
        group = _group_node(permission.group)
        way = permission.direction
        source, target = (peer, group) if way == "ingress" else (group, peer)
        edges[(source, target, way)].append(rule)

    lines = ["flowchart LR"]
    lines += [f'  {_node_id(INTERNET)}(("{INTERNET}"))']
    lines += [f'  {_node_id(_group_node(group.key))}["{group.key}"]' for group in synth.groups]
    externals = sorted({node for edge in edges for node in edge[:2] if node.startswith("peer:")})
    lines += [f'  {_node_id(node)}(["{node.removeprefix("peer:")}"])' for node in externals]
    for (source, target, direction), rules in sorted(edges.items()):
        arrow = "-->" if direction == "ingress" else "-.->"
        lines.append(f'  {_node_id(source)} {arrow}|"{_edge_label(rules)}"| {_node_id(target)}')
    return "\n".join(lines) + "\n"


def _group_node(key: str) -> str:
    return f"group:{key}"


def _peer_node(peer: Peer) -> str:
    if isinstance(peer, PeerGroup):
        return _group_node(peer.key)
    if isinstance(peer, Addresses) and ipaddress.ip_network(peer.cidr).prefixlen == 0:
        return INTERNET
    return f"peer:{peer_text(peer)}"


def _node_id(node: str) -> str:
    # Mermaid ids must be plain words; prefixes keep groups, peers and Internet apart.
    return re.sub(r"[^A-Za-z0-9]", "_", node)


def _edge_label(rules: Sequence[RuleRow]) -> str:
    """'TCP 80, 443<br/>UDP 3478': ports per protocol, once each, in numeric order."""
    ports: dict[str, set[str]] = defaultdict(set)
    for rule in rules:
        protocol = rule.permission.protocol
        if protocol == "icmp" and rule.permission.family == "IPv6":
            protocol = "icmpv6"
        ports[protocol].add(rule.permission.ports().removeprefix("type "))
    parts = []
    for protocol in sorted(ports, key=_PROTOCOL_ORDER.index):
        if protocol == "all":
            parts.append("all traffic")
            continue
        name = {"icmp": "ICMP type", "icmpv6": "ICMPv6 type"}.get(protocol, protocol.upper())
        parts.append(f"{name} {', '.join(sorted(ports[protocol], key=_first_number))}")
    return "<br/>".join(parts)


def _first_number(ports: str) -> int:
    return int(ports.split("-")[0])
