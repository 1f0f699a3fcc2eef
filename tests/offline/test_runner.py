"""The offline runner (`offline.runner`), which runs a program under the SDK's mock
engine: a render in a process of its own leaves no event loop to the interpreter's exit
(the SDK never closes the loops it makes; the runner closes them)."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import run_offline_cli


def test_render_leaves_no_event_loop_to_the_interpreters_exit(tmp_path: Path) -> None:
    text = "config:\n  clearwater-sg:cloud: openstack\n  clearwater-sg:ipVersion: dual\n"
    result = run_offline_cli(tmp_path, text)
    assert result.returncode == 0, result.stderr
    assert "unclosed event loop" not in result.stderr
    assert "Exception ignored" not in result.stderr
