"""Every environment the repository installs holds exactly what its lock says: the
project's .venv (requirements/dev.txt), the OpenStack services' .venv-neutron
(requirements/openstack-services.txt) and every binary `make engine` builds from a Go
wrapper module (its go.mod, whose versions go.sum pins). A dependency that moved under
the project fails here, by name, before it fails a test that only depends on it. The
TypeScript example's npm install is compared with its package-lock.json where the engine
test installs it (tests/engine/test_package.py)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from harness import PROJECT_DIR
from harness.locks import REQUIREMENTS, Pin, differences, installed, read_lock
from harness.servers import neutron_python

ENGINE_BIN = PROJECT_DIR / ".engine" / "bin"


def test_the_project_virtualenv_holds_exactly_the_dev_lock() -> None:
    lock = read_lock(REQUIREMENTS / "dev.txt")
    assert differences(lock, installed(sys.executable), own={"clearwater-sg"}) == []


def test_the_openstack_services_hold_exactly_their_lock() -> None:
    lock = read_lock(REQUIREMENTS / "openstack-services.txt")
    assert differences(lock, installed(neutron_python()), own=set()) == []


@pytest.mark.parametrize("extra", ["offline", "live-aws", "dev"])
def test_each_lock_satisfies_what_pyproject_asks(extra: str) -> None:
    """The lock of an extra has every requirement of that extra (and of the component)
    at a version its range allows: a range narrowed without `make locks` fails here."""
    project = tomllib.loads((PROJECT_DIR / "pyproject.toml").read_text())["project"]
    lock_file = {"offline": "render.txt", "live-aws": "live-aws.txt", "dev": "dev.txt"}[extra]
    lock = read_lock(REQUIREMENTS / lock_file)
    wanted = _requirements(project, extra)
    assert wanted, f"{extra}: no requirements read from pyproject.toml"
    unmet = [
        f"{requirement}: the lock has {lock[name].version if name in lock else 'nothing'}"
        for requirement in wanted
        if (name := canonicalize_name(requirement.name)) not in lock
        or not requirement.specifier.contains(lock[name].version, prereleases=True)
    ]
    assert unmet == []


def _requirements(project: dict[str, object], extra: str) -> list[Requirement]:
    """The requirements an extra brings (the component's own, and those of the extras it
    names of the component itself), as pip resolves `clearwater-sg[extra]`."""
    extras: dict[str, list[str]] = project["optional-dependencies"]  # type: ignore[assignment]
    found = [Requirement(text) for text in project["dependencies"]]  # type: ignore[attr-defined]
    pending, seen = [extra], set()
    while pending:
        name = pending.pop()
        seen.add(name)
        for text in extras[name]:
            requirement = Requirement(text)
            if canonicalize_name(requirement.name) == "clearwater-sg":
                pending += [e for e in requirement.extras if e not in seen]
            else:
                found.append(requirement)
    return found


def test_the_render_lock_is_the_dev_lock_where_they_meet() -> None:
    """`make render` and `make test` run the component with the same versions."""
    render, dev = read_lock(REQUIREMENTS / "render.txt"), read_lock(REQUIREMENTS / "dev.txt")
    assert {n: p.version for n, p in render.items() if dev.get(n, p).version != p.version} == {}


def test_a_lock_line_is_read_with_its_marker() -> None:
    lock = REQUIREMENTS / "dev.txt"
    pins = read_lock(lock)
    pinned_lines = [line for line in lock.read_text().splitlines() if "==" in line.split(" ")[0]]
    assert len(pins) == len({line.split("==")[0].lower() for line in pinned_lines})
    assert Pin("x", "1", 'python_version < "3"').applies() is False
    assert Pin("x", "1", None).applies() is True


def _wrappers() -> dict[str, Path]:
    """Each binary scripts/engine.sh builds, with the wrapper module it builds it from
    (its `go_build OUTPUT WRAPPER_DIR` lines)."""
    script = (PROJECT_DIR / "scripts" / "engine.sh").read_text()
    found = re.findall(r"^\s*go_build (\S+) (engine/\S+)", script, re.MULTILINE)
    return {binary: PROJECT_DIR / wrapper for binary, wrapper in found}


def _go_mod(path: Path) -> dict[str, str]:
    """module path -> version, of a go.mod's requirements (a line may end in a comment),
    replacements applied."""
    text = path.read_text()
    comment = r"(?:\s*//.*)?$"
    required = dict(re.findall(r"^\s*(?:require\s+)?(\S+) (v\S+)" + comment, text, re.M))
    replaced = r"^\s*(?:replace\s+)?(\S+) => (\S+) (v\S+)" + comment
    for old, new, version in re.findall(replaced, text, re.M):
        required[old] = f"{new}@{version}"
    return required


def _built_with(binary: Path) -> dict[str, str]:
    """module path -> version (or replacement@version) the binary was built with."""
    go = shutil.which("go")
    assert go, "go is needed to read what the engine's binaries were built with"
    info = subprocess.run([go, "version", "-m", str(binary)], capture_output=True, text=True)
    assert info.returncode == 0, info.stderr
    modules: dict[str, str] = {}
    last = ""
    for fields in (line.split("\t") for line in info.stdout.splitlines()):
        if len(fields) >= 4 and fields[1] == "dep":
            last = fields[2]
            modules[last] = fields[3]
        elif len(fields) >= 4 and fields[1] == "=>":
            modules[last] = f"{fields[2]}@{fields[3]}"
    return modules


@pytest.mark.parametrize("binary", sorted(_wrappers()))
def test_each_engine_binary_is_built_from_its_locked_modules(binary: str) -> None:
    path = ENGINE_BIN / binary
    assert path.is_file(), f"{path} is missing: run make engine"
    wrapper = _wrappers()[binary]
    locked = _go_mod(wrapper / "go.mod")
    built = _built_with(path)
    assert built, f"{path}: no module information (not built by scripts/engine.sh?)"
    differ = {
        module: (version, locked.get(module))
        for module, version in built.items()
        if locked.get(module) != version
    }
    assert differ == {}, f"{binary}: built with (version, go.mod's) {differ}"
