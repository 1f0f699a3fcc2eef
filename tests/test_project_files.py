"""Pulumi.yaml, the stack files and the offline render, as the CLI and users meet them."""

from __future__ import annotations

from pathlib import Path

import pytest

from offline.__main__ import main as offline_main
from tests.helpers import PROJECT_DIR, STACK_FILES


@pytest.mark.parametrize("stack_file", STACK_FILES, ids=lambda p: p.name)
def test_every_bundled_stack_renders(stack_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert offline_main([str(stack_file)]) == 0
    output = capsys.readouterr().out
    assert "security groups" in output and "FROM/TO" in output


def test_render_reports_a_bad_stack_cleanly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stacks = tmp_path / "stacks"
    stacks.mkdir()
    (tmp_path / "Pulumi.yaml").write_text((PROJECT_DIR / "Pulumi.yaml").read_text())
    (tmp_path / "__main__.py").write_text((PROJECT_DIR / "__main__.py").read_text())
    bad = stacks / "Pulumi.typo.yaml"
    bad.write_text("config:\n  clearwater-sg:cloud: openstack\n  clearwater-sg:roles: [sprot]\n")
    assert offline_main([str(bad)]) == 1
    captured = capsys.readouterr()
    assert "clearwater-sg:roles[0]: 'sprot' is not a Clearwater role" in captured.err
    assert "Traceback" not in captured.err and captured.out == ""
