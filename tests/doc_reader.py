"""An independent reading of Clearwater's port document, for checking the program.

It knows nothing of clearwater_sg's matrix: it walks the .rst text, takes each port line
with the section, paragraph and bullet it stands under, and reads who may connect from
the paragraph's wording ("open to all the Sprout nodes and the Ellis node").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROLE_WORDS = ("ellis", "bono", "sprout", "dime", "homer", "vellum")
SECTION_GROUP = {
    "All nodes": "all-nodes",
    "All-in-one": "all-in-one",
    "Standalone Application Servers": "app-server",
}
ICMP_MESSAGES = ("Echo Request", "Echo Reply", "Destination Unreachable")
# ICMP type numbers from RFC 792 (IPv4) and RFC 4443 (IPv6). IPv6 moves IPv4's
# "fragmentation needed" into Packet Too Big (type 2), which the issue asks for too.
ICMP_TYPES: dict[str, dict[int, tuple[int, ...]]] = {
    "Echo Request": {4: (8,), 6: (128,)},
    "Echo Reply": {4: (0,), 6: (129,)},
    "Destination Unreachable": {4: (3,), 6: (1, 2)},
}
PORT_LINE = re.compile(r"^(TCP|UDP)/(\d+)(?:-(\d+))?$")
# How a port line may stand in a literal block: "TCP/5058", or "TCP/22 for SSH access".
DOC_PORT_LINE = re.compile(r"^((?:TCP|UDP)/\d+(?:-\d+)?)(?: for (.+))?$")


@dataclass(frozen=True)
class DocPort:
    section: str
    group: str
    service: str  # the bullet the line stands under ("Internal SIP signaling")
    line: str  # "TCP/5058" or "Echo Request"
    source: str  # "world", "ssh", "snmp", or a group: "all-nodes", "sprout", ...
    condition: str | None  # "memento", "hss", "snmp"

    @property
    def protocol(self) -> str:
        match = PORT_LINE.match(self.line)
        return match.group(1).lower() if match else "icmp"

    @property
    def ports(self) -> tuple[int, int]:
        match = PORT_LINE.match(self.line)
        assert match, self.line
        return int(match.group(2)), int(match.group(3) or match.group(2))


def _sections(text: str) -> list[tuple[str, list[str]]]:
    lines = text.splitlines()
    sections: list[tuple[str, list[str]]] = []
    for index, line in enumerate(lines[:-1]):
        underline = lines[index + 1]
        if line.strip() and re.fullmatch(r"-{3,}", underline) and len(underline) >= len(line):
            sections.append((line.strip(), []))
        elif sections and not re.fullmatch(r"-{3,}", line):
            sections[-1][1].append(line)
    return sections


def _audience(paragraph: str, section: str) -> list[tuple[str, str | None]]:
    """Who the paragraph opens the ports to, with any condition it attaches."""
    text = " ".join(paragraph.split())
    if "ICMP" in text:
        return [("world", None)]  # the document's ICMP list is for traffic from anywhere
    if "SNMP" in text:
        return [("snmp", "snmp")]  # polled by "your SNMP monitoring software"
    match = re.search(r"opene?d? to (.*)", text)
    assert match, f"cannot read who the ports are open to in: {text!r}"
    clause = match.group(1)
    condition = "memento" if "Memento" in clause else None
    main, _, aside = clause.partition("(and")
    if "world" in main:
        return [("world", condition)]
    if "all other nodes" in main:
        return [("all-nodes", None)]
    found: list[tuple[str, str | None]] = [
        (role, None) for role in ROLE_WORDS if role in main.lower()
    ]
    found += [(role, "memento") for role in ROLE_WORDS if role in aside.lower()]
    assert found, f"no audience in {clause!r}"
    return found


def read_document(path: Path) -> list[DocPort]:
    ports: list[DocPort] = []
    for section, body in _sections(path.read_text()):
        group = SECTION_GROUP.get(section, section.lower())
        paragraph, current, bullet = "", "", ""
        for line in [*body, ""]:
            stripped = line.strip()
            if line and not line.startswith(" ") and not stripped.startswith(("-  ", "::")):
                paragraph += " " + stripped
                continue
            if paragraph:
                current, paragraph, bullet = paragraph, "", ""
            if stripped.startswith("-  "):
                bullet = stripped[3:].rstrip(":")
            elif DOC_PORT_LINE.match(stripped) or stripped in ICMP_MESSAGES:
                port_line = DOC_PORT_LINE.match(stripped)
                inline_service = port_line.group(2) if port_line else None
                stripped = port_line.group(1) if port_line else stripped
                service = inline_service or bullet or "ICMP"
                bullet_condition = (
                    "hss" if "HSS" in service else ("memento" if "Memento" in service else None)
                )
                for source, condition in _audience(current, section):
                    if stripped == "TCP/22":
                        source = "ssh"  # "open to the world" for SSH: the sshSources default
                    ports.append(
                        DocPort(
                            section=section,
                            group=group,
                            service=re.sub(r"\s*\(if .*\)", "", service),
                            line=stripped,
                            source=source,
                            condition=bullet_condition or condition,
                        )
                    )
    return ports
