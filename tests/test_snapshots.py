"""The committed snapshots/<stack>.json are what the program synthesizes now, so every
flow a change opens or closes shows up as a diff in the pull request."""

from __future__ import annotations

from pathlib import Path

import pytest

from offline.generated import REFRESH_COMMAND, snapshot, stack_files, stack_name
from tests.helpers import PROJECT_DIR

STACK_FILES = stack_files(PROJECT_DIR)


@pytest.mark.parametrize("stack_file", STACK_FILES, ids=stack_name)
def test_snapshot_is_what_the_program_synthesizes_now(stack_file: Path) -> None:
    generated = snapshot(PROJECT_DIR, stack_file)
    assert generated.is_current(), (
        f"snapshots/{generated.path.name} differs from what stack {stack_name(stack_file)} "
        f"synthesizes now. If the change is intended, run `{REFRESH_COMMAND}` and commit "
        f"the result.\n\n{generated.diff()}"
    )


def test_there_is_one_snapshot_per_stack_and_no_other() -> None:
    committed = {path.stem for path in (PROJECT_DIR / "snapshots").glob("*.json")}
    stacks = {stack_name(stack_file) for stack_file in STACK_FILES}
    assert committed == stacks, f"run `{REFRESH_COMMAND}` to add or remove snapshots"
