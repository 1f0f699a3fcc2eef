"""The package as installed (`clearwater_sg/__init__.py` and its package data): typed, for
the type checkers of the programs that import it; its version, with its changelog."""

from __future__ import annotations

import importlib.metadata
import re
import tomllib

from harness import PROJECT_DIR


def test_the_package_is_typed() -> None:
    assert (PROJECT_DIR / "clearwater_sg" / "py.typed").is_file()
    assert 'clearwater_sg = ["py.typed"]' in (PROJECT_DIR / "pyproject.toml").read_text()


def test_the_changelog_has_the_version_the_package_reports() -> None:
    """The installed version is pyproject's, and the changelog has its section, below
    the unreleased changes (if any), newest first."""
    pyproject = tomllib.loads((PROJECT_DIR / "pyproject.toml").read_text())
    version = pyproject["project"]["version"]
    assert importlib.metadata.version("clearwater-sg") == version
    headings = re.findall(r"^## (.+)$", (PROJECT_DIR / "CHANGELOG.md").read_text(), re.M)
    released = [heading for heading in headings if heading != "Unreleased"]
    assert headings[: len(headings) - len(released)] in ([], ["Unreleased"]), headings
    assert released and released[0] == version, (released, version)
