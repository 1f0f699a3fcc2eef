"""The repository's locks (requirements/*.txt, `uv pip compile --generate-hashes`), read
as pip reads them, and what an environment actually holds: the lock test compares the
two, and `make upgrade` says what moved.

    python -m harness.locks changes BEFORE_DIR AFTER_DIR [package-lock.json]
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from packaging.markers import Marker
from packaging.utils import canonicalize_name

REQUIREMENTS = Path(__file__).resolve().parent.parent / "requirements"
# `name==version ; marker \`: the first line of each pinned entry, hashes on the next lines.
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)\s*(?:;\s*([^\\]+?))?\s*\\?$")


@dataclass(frozen=True)
class Pin:
    name: str  # canonical (PEP 503)
    version: str
    marker: str | None  # the environments it applies to; None: every one

    def applies(self, environment: dict[str, str] | None = None) -> bool:
        return self.marker is None or Marker(self.marker).evaluate(environment)


def read_lock(path: Path) -> dict[str, Pin]:
    """Every pin of a lock, by canonical name; a lock naming a package twice (for two
    environments) keeps the entry that applies here."""
    pins: dict[str, Pin] = {}
    for line in path.read_text().splitlines():
        found = _PIN.match(line)
        if found:
            pin = Pin(canonicalize_name(found[1]), found[2], found[3])
            if pin.name not in pins or pin.applies():
                pins[pin.name] = pin
    return pins


def installed(python: Path | str = sys.executable) -> dict[str, str]:
    """Every distribution the interpreter's environment holds, canonical name -> version."""
    script = (
        "import json, importlib.metadata as m; "
        "print(json.dumps({d.metadata['Name']: d.version for d in m.distributions()}))"
    )
    # -I: not the working directory's metadata (a build's *.egg-info) but the environment's.
    listed = subprocess.run(
        [str(python), "-I", "-c", script], capture_output=True, text=True, check=True
    )
    return {canonicalize_name(name): v for name, v in json.loads(listed.stdout).items()}


def differences(lock: dict[str, Pin], held: dict[str, str], own: set[str]) -> list[str]:
    """Where an environment differs from its lock: a pin missing or at another version,
    or a distribution the lock does not name (`own`: the project's own, installed from
    the checkout)."""
    found = [
        f"{pin.name}: the lock has {pin.version}, installed " + held.get(pin.name, "nothing")
        for pin in lock.values()
        if pin.applies() and held.get(pin.name) != pin.version
    ]
    return found + [
        f"{name} {version}: installed, not in the lock"
        for name, version in sorted(held.items())
        if name not in lock and name not in own
    ]


def npm_versions(package_lock: Path) -> dict[str, str]:
    """node_modules path -> version, of an npm lock (package-lock.json, or the
    node_modules/.package-lock.json npm writes of what it installed)."""
    packages = json.loads(package_lock.read_text()).get("packages", {})
    return {
        path: entry["version"] for path, entry in packages.items() if "version" in entry and path
    }


def changes(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """`name old -> new`, added and removed, sorted by name."""
    return [
        f"{name} {before.get(name, '(new)')} -> {after.get(name, '(removed)')}"
        for name in sorted(before.keys() | after.keys())
        if before.get(name) != after.get(name)
    ]


def _main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[0] != "changes":
        print(__doc__, file=sys.stderr)
        return 2
    before, after = Path(argv[1]), Path(argv[2])
    moved = False
    for lock in sorted(after.glob("*.txt")):
        old = {n: p.version for n, p in read_lock(before / lock.name).items()}
        new = {n: p.version for n, p in read_lock(lock).items()}
        for line in changes(old, new):
            print(f"{lock.name}: {line}")
            moved = True
    for package_lock in map(Path, argv[3:]):
        old_npm = npm_versions(before / package_lock.name)
        for line in changes(old_npm, npm_versions(package_lock)):
            print(f"{package_lock}: {line}")
            moved = True
    if not moved:
        print("nothing moved")
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
