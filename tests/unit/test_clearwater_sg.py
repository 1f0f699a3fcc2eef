"""The package as installed (`clearwater_sg/__init__.py` and its package data): typed, for
the type checkers of the programs that import it."""

from __future__ import annotations

from harness import PROJECT_DIR


def test_the_package_is_typed() -> None:
    assert (PROJECT_DIR / "clearwater_sg" / "py.typed").is_file()
    assert 'clearwater_sg = ["py.typed"]' in (PROJECT_DIR / "pyproject.toml").read_text()
