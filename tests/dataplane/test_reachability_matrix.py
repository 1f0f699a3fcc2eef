"""The reachability matrix (harness/reachability_matrix.py) of a small proof written out
here: one row per target role and port where something passed, one column per kind of
source, as text, Markdown and an SVG heat map."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree

from harness.doc_reader import Permission
from harness.proof import Proof
from harness.reachability import SINGLE, Judge, Probe, mismatches
from harness.reachability_matrix import markdown, matrix, svg, text
from harness.testbed import Host, Plan

CHRONOS = Permission("vellum", "ingress", "IPv4", "tcp", 7253, 7253, "group:sprout")
OUT = Permission("all-nodes", "egress", "IPv4", None, None, None, "0.0.0.0/0")


def _node(name: str, role: str, last: int) -> Host:
    at = {(SINGLE, 4): f"10.99.0.{last}", (SINGLE, 6): f"fd00:99::{last}"}
    return Host(name, "node", frozenset({"all-nodes", role}), at, role=role)


HOSTS = [
    _node("sprout-1", "sprout", 10),
    _node("vellum-1", "vellum", 11),
    _node("vellum-2", "vellum", 12),
    Host("world", "outside", frozenset(), {(SINGLE, 4): "203.0.113.10"}, stands_for=("world",)),
]
PLAN = Plan((SINGLE,), {}, {h.name: h for h in HOSTS}, (("tcp", 7253), ("tcp", 7254)))


def _proof(seen: dict[Probe, str]) -> Proof:
    judge = Judge([CHRONOS, OUT], PLAN.endpoints(), split=False)
    return Proof("small", PLAN, judge, seen, [], mismatches(judge, seen), 1.0)


def _seen(*, leak: bool = False) -> dict[Probe, str]:
    seen = {}
    for probe in PLAN.probes():
        into_vellum = probe.target.startswith("vellum") and probe.port == 7253
        opened = probe.source == "sprout-1" and into_vellum and probe.family == 4
        opened = opened or probe.target == "world"
        opened = opened or (leak and probe.source == "world" and into_vellum)
        seen[probe] = "open" if opened else "filtered"
    return seen


def test_the_table_has_a_row_per_target_and_port_that_something_reached() -> None:
    proof = _proof(_seen())
    assert proof.mismatches == []
    lines = text(matrix(proof)).splitlines()
    header = lines[2].split()
    assert header == ["to", "port", "from", "sprout", "from", "vellum", "from", "world"]
    rows = {tuple(line.split()[:3]) for line in lines[4:] if line}
    # Sprout reaches Vellum's TCP/7253 over IPv4 only (the rule is IPv4); Vellum reaches
    # the other Vellum node on nothing; the world nothing.
    assert ("vellum", "tcp/7253", "v4") in rows
    assert "vellum: dropped from every source on icmp echo, tcp/7254" in lines
    # An outside host that every node reaches on everything is one row.
    assert ("world", "every", "probed") in rows


def test_a_mismatch_is_marked_in_every_form() -> None:
    proof = _proof(_seen(leak=True))
    assert proof.mismatches
    result = matrix(proof)
    rows = [line.split() for line in text(result).splitlines()]
    assert ["vellum", "tcp/7253", "v4", "-", "yes!"] in rows
    assert "| vellum | `tcp/7253` | v4 | - | yes! |" in markdown(result)
    picture = ElementTree.fromstring(svg(result))
    outlined = [e for e in picture.iter() if e.get("stroke") == "#c62828"]
    assert len(outlined) == 1


def test_the_picture_has_a_cell_per_row_and_source() -> None:
    result = matrix(_proof(_seen()))
    picture = ElementTree.fromstring(svg(result))
    cells = [e for e in picture.iter("{http://www.w3.org/2000/svg}rect") if e.find("*") is not None]
    assert len(cells) == len(result.open_rows()) * len(result.sources)
    titles = {e.find("{http://www.w3.org/2000/svg}title").text for e in cells}  # type: ignore[union-attr]
    assert "sprout -> vellum tcp/7253: v4" in titles
