"""How the repository's parts may depend on each other, read from their imports.

The installed package (`clearwater_sg`) needs nothing of the repository: a user's
`pip install` has no `offline`, `bench`, `harness`, `policy` or `tests`. The repository
tools need no tests. And no module reaches into another's private names: what a second
module needs is made public where it is kept, so that there is one place for it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from harness import PROJECT_DIR

TOOLS = ("offline", "bench", "harness", "policy")


def _files(*directories: str) -> list[Path]:
    return sorted(path for d in directories for path in (PROJECT_DIR / d).rglob("*.py"))


def _imports(path: Path) -> Iterator[tuple[int, str, list[str]]]:
    """(line, module, imported names) of every absolute import in a file."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name, []) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module, [alias.name for alias in node.names]


def _importing(paths: list[Path], packages: tuple[str, ...]) -> list[str]:
    return [
        f"{path.relative_to(PROJECT_DIR)}:{line} imports {module}"
        for path in paths
        for line, module, _ in _imports(path)
        if module.split(".")[0] in packages
    ]


def test_the_installed_package_imports_nothing_of_the_repository() -> None:
    assert _importing(_files("clearwater_sg"), (*TOOLS, "tests")) == []


def test_the_repository_tools_import_no_tests() -> None:
    assert _importing(_files(*TOOLS), ("tests",)) == []


def test_no_module_imports_another_modules_private_names() -> None:
    ours = ("clearwater_sg", *TOOLS, "tests")
    found = [
        f"{path.relative_to(PROJECT_DIR)}:{line} imports {name} from {module}"
        for path in _files(*ours)
        for line, module, names in _imports(path)
        if module.split(".")[0] in ours
        for name in names
        if name.startswith("_") and not name.startswith("__")
    ]
    assert found == []


def test_the_checks_find_what_they_look_for(tmp_path: Path) -> None:
    """The readers above see both import forms, so an empty answer means something."""
    sample = tmp_path / "sample.py"
    sample.write_text("import offline.runner\nfrom tests.helpers import _private\n")
    assert [(line, module) for line, module, _ in _imports(sample)] == [
        (1, "offline.runner"),
        (2, "tests.helpers"),
    ]


def _unmapped(map_text: str) -> list[str]:
    """The modules of the package and the repository tools that the module map of
    docs/architecture.md does not name. A row's first cell names modules by path
    (`clearwater_sg/plan.py`), by file name after a path in the same directory
    (`clearwater_sg/types.py`, `options.py`), or all of a directory (`harness/`)."""
    cells = [line.split("|")[1] for line in map_text.splitlines() if line.startswith("| `")]
    missing = []
    for path in _files("clearwater_sg", *TOOLS):
        if path.name in ("__init__.py", "__main__.py"):
            continue
        relative = path.relative_to(PROJECT_DIR)
        directory = f"`{relative.parent}/"
        if not any(
            f"`{relative.parent}/`" in cell
            or (cell.strip().startswith(directory) and f"`{path.name}`" in cell)
            or f"`{relative}`" in cell
            for cell in cells
        ):
            missing.append(str(relative))
    return missing


def test_the_maintainers_map_names_every_module() -> None:
    assert _unmapped((PROJECT_DIR / "docs" / "architecture.md").read_text()) == []
