"""The reachability matrix of a data-plane proof: for each target (a role, or an outside
host) and each probed port, what each kind of source got through, as a terminal table,
as Markdown for a pull request, and as an SVG heat map.

A cell sums up every probe from the nodes of one kind to the nodes of another on one
port: `yes` when every probe passed (each family, each interface), `-` when none did,
otherwise what passed (`v4`, `v6`; with split networks `mgmt`, `sig`). A cell holding a
mismatch with the document is marked `!` and outlined in the picture.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from html import escape

from harness import ALL_ROLES
from harness.proof import Proof
from harness.reachability import passed

Service = tuple[str, int | None]  # ("tcp", 7253), ("icmp", None)
NETWORK_LABEL = {"management": "mgmt", "signaling": "sig"}
LEGEND = (
    "yes: passed from every node of that kind, each address family (and interface); "
    "-: dropped; v4/v6, mgmt/sig: only those passed; !: differs from the port document"
)


@dataclass
class Cell:
    probed: set[tuple[str, int]] = field(default_factory=set)  # (network, family)
    passed: set[tuple[str, int]] = field(default_factory=set)
    mismatched: bool = False

    @property
    def text(self) -> str:
        mark = "!" if self.mismatched else ""
        if not self.passed:
            return f"-{mark}"
        if self.passed == self.probed:
            return f"yes{mark}"
        networks = {n for n, _ in self.passed}
        families = {f for _, f in self.passed}
        parts = []
        if networks != {n for n, _ in self.probed}:
            parts += [NETWORK_LABEL.get(n, n) for n in sorted(networks)]
        if families != {f for _, f in self.probed}:
            parts += [f"v{f}" for f in sorted(families)]
        return " ".join(parts or ["part"]) + mark


@dataclass
class Matrix:
    title: str
    sources: list[str]
    rows: dict[tuple[str, Service], dict[str, Cell]]  # (target, service) -> source -> cell
    summary: str

    def open_rows(self) -> list[tuple[str, Service]]:
        """Rows where something passed or something differs from the document."""
        return [
            key
            for key, cells in self.rows.items()
            if any(c.passed or c.mismatched for c in cells.values())
        ]

    def closed_services(self) -> dict[str, list[Service]]:
        """Per target, the probed services that nothing reached."""
        closed: dict[str, list[Service]] = {}
        for (target, service), cells in self.rows.items():
            if not any(c.passed or c.mismatched for c in cells.values()):
                closed.setdefault(target, []).append(service)
        return closed


def _kind(proof: Proof, host: str) -> str:
    planned = proof.plan.hosts[host]
    return planned.role or planned.name


def _order(kind: str) -> tuple[int, str]:
    return (ALL_ROLES.index(kind), "") if kind in ALL_ROLES else (len(ALL_ROLES), kind)


def service_name(service: Service) -> str:
    protocol, port = service
    if service == EVERY_PORT:
        return protocol
    return "icmp echo" if port is None else f"{protocol}/{port}"


EVERY_PORT: Service = ("every probed port", None)


def _collapse(rows: dict[tuple[str, Service], dict[str, Cell]]) -> None:
    """A target whose every probed port and ICMP got the same from each source (an outside
    host nothing filters, with `egress: all`) becomes one row."""
    targets = dict.fromkeys(target for target, _ in rows)
    for target in targets:
        keys = [key for key in rows if key[0] == target]
        texts = {tuple(sorted((s, c.text) for s, c in rows[key].items())) for key in keys}
        if len(keys) > 1 and len(texts) == 1:
            first = rows[keys[0]]
            for key in keys:
                del rows[key]
            rows[(target, EVERY_PORT)] = first


def matrix(proof: Proof) -> Matrix:
    mismatched = {m.probe.flow for m in proof.mismatches}
    rows: dict[tuple[str, Service], dict[str, Cell]] = {}
    sources: set[str] = set()
    for probe, verdict in proof.observed.items():
        source, target = _kind(proof, probe.source), _kind(proof, probe.target)
        sources.add(source)
        cell = rows.setdefault((target, (probe.protocol, probe.port)), {}).setdefault(
            source, Cell()
        )
        where = (probe.network, probe.family)
        cell.probed.add(where)
        if passed(verdict):
            cell.passed.add(where)
        if probe.flow in mismatched:
            cell.mismatched = True

    def order(key: tuple[str, Service]) -> tuple[tuple[int, str], bool, str, int]:
        target, (protocol, port) = key
        return (_order(target), protocol != "icmp", protocol, port or 0)

    _collapse(rows)
    ordered = {key: rows[key] for key in sorted(rows, key=order)}
    return Matrix(proof.name, sorted(sources, key=_order), ordered, proof.summary())


def _table(matrix: Matrix) -> list[list[str]]:
    header = ["to", "port", *[f"from {s}" for s in matrix.sources]]
    body = []
    for target, service in matrix.open_rows():
        cells = matrix.rows[(target, service)]
        texts = [cells[s].text if s in cells else "" for s in matrix.sources]
        body.append([target, service_name(service), *texts])
    return [header, *body]


def _closed_lines(matrix: Matrix) -> list[str]:
    return [
        f"{target}: dropped from every source on {', '.join(service_name(s) for s in services)}"
        for target, services in matrix.closed_services().items()
    ]


def text(matrix: Matrix) -> str:
    table = _table(matrix)
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    lines = [matrix.summary, ""]
    for index, row in enumerate(table):
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        lines.append("  ".join(cells).rstrip())
        if index == 0:
            lines.append("  ".join("-" * width for width in widths))
    return "\n".join([*lines, "", *_closed_lines(matrix), "", LEGEND]) + "\n"


def markdown(matrix: Matrix) -> str:
    table = _table(matrix)
    lines = [
        f"### Reachability on the data plane: {matrix.title}",
        "",
        matrix.summary,
        "",
        "| " + " | ".join(table[0]) + " |",
        "|" + "---|" * len(table[0]),
        *(f"| {row[0]} | `{row[1]}` | " + " | ".join(row[2:]) + " |" for row in table[1:]),
        "",
        *(f"- {line}" for line in _closed_lines(matrix)),
        "",
        f"_{LEGEND}_",
    ]
    return "\n".join(lines) + "\n"


# -- the picture ----------------------------------------------------------------------

CELL_W, CELL_H, LABEL_W, HEADER_H = 46, 18, 190, 120
COLOURS = {"yes": "#2e7d32", "part": "#f9a825", "no": "#eceff1", "none": "#ffffff"}


def _colour(cell: Cell | None) -> str:
    if cell is None or not cell.probed:
        return COLOURS["none"]
    if not cell.passed:
        return COLOURS["no"]
    return COLOURS["yes"] if cell.passed == cell.probed else COLOURS["part"]


def svg(matrix: Matrix, rows: Iterable[tuple[str, Service]] | None = None) -> str:
    """A heat map: a row per target and port where something passed, a column per kind
    of source; green passed, amber passed in part (hover for which), grey dropped."""
    chosen = list(matrix.open_rows() if rows is None else rows)
    footer = f"{matrix.summary}; every other probed port was dropped from every source"
    width = max(LABEL_W + CELL_W * len(matrix.sources) + 20, 6 * len(footer) + 16)
    height = HEADER_H + CELL_H * len(chosen) + 70
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'font-family="sans-serif" font-size="11">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="8" y="18" font-size="14" font-weight="bold">{escape(matrix.title)}: '
        "what passes on the data plane</text>",
    ]
    for column, source in enumerate(matrix.sources):
        x = LABEL_W + column * CELL_W + CELL_W // 2
        out.append(
            f'<text transform="translate({x},{HEADER_H - 6}) rotate(-60)">'
            f"from {escape(source)}</text>"
        )
    previous = None
    for index, (target, service) in enumerate(chosen):
        y = HEADER_H + index * CELL_H
        if target != previous:
            out.append(f'<line x1="4" x2="{width - 10}" y1="{y}" y2="{y}" stroke="#90a4ae"/>')
            previous = target
        label = f"{target}  {service_name(service)}"
        out.append(f'<text x="8" y="{y + CELL_H - 5}">{escape(label)}</text>')
        for column, source in enumerate(matrix.sources):
            cell = matrix.rows[(target, service)].get(source)
            x = LABEL_W + column * CELL_W
            mismatched = cell is not None and cell.mismatched
            stroke = ' stroke="#c62828" stroke-width="3"' if mismatched else ' stroke="white"'
            seen = cell.text if cell else "not probed"
            tip = f"{source} -> {target} {service_name(service)}: {seen}"
            out.append(
                f'<rect x="{x}" y="{y}" width="{CELL_W}" height="{CELL_H}" '
                f'fill="{_colour(cell)}"{stroke}><title>{escape(tip)}</title></rect>'
            )
            if cell and cell.passed and cell.passed != cell.probed:
                out.append(
                    f'<text x="{x + 3}" y="{y + CELL_H - 5}" font-size="9">'
                    f"{escape(cell.text)}</text>"
                )
    y = HEADER_H + len(chosen) * CELL_H + 20
    keys = (("passed", "yes"), ("passed in part", "part"), ("dropped", "no"))
    for index, (name, colour) in enumerate(keys):
        x = 8 + index * 130
        out.append(
            f'<rect x="{x}" y="{y}" width="14" height="14" fill="{COLOURS[colour]}" '
            'stroke="#90a4ae"/>'
        )
        out.append(f'<text x="{x + 20}" y="{y + 11}">{name}</text>')
    out.append(f'<text x="8" y="{y + 34}">{escape(footer)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"
