"""The generated files a pull request carries (`offline.generated`): the committed
snapshots/<stack>.json are what the program synthesizes now, so every flow a change opens
or closes shows up as a diff in the pull request, and a change that would replace a
group (a new name on either cloud, a new description on AWS) is flagged before it
reaches a cloud; the README's matrix and diagram blocks are current, and refreshed
without touching the text around them; the refresh's check shows the diff, and the
refresh fixes it."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from harness import PROJECT_DIR
from offline.__main__ import main
from offline.formats import to_markdown, to_mermaid
from offline.generated import (
    REFRESH_COMMAND,
    Generated,
    MarkerError,
    package_args,
    readme,
    replace_block,
    replaced_groups,
    snapshot,
    stack_files,
    stack_name,
)
from offline.synth import synthesize
from tests.helpers import PROD, copy_project

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


# --- The README's generated blocks --------------------------------------------------------


README_TEMPLATE = """# Title

Intro text that must survive.

<!-- synth:matrix:begin -->
stale table
<!-- synth:matrix:end -->

Between the blocks.

<!-- synth:diagram:begin -->
<!-- synth:diagram:end -->

Closing text.
"""


def test_readme_refresh_replaces_only_the_marked_blocks(tmp_path: Path) -> None:
    path = tmp_path / "README.md"
    path.write_text(README_TEMPLATE)
    generated = readme(PROJECT_DIR, path)
    assert not generated.is_current()
    generated.write()
    text = path.read_text()
    outside = re.sub(r"begin -->.*?<!-- synth:\w+:end", "", text, flags=re.DOTALL)
    template_outside = re.sub(r"begin -->.*?<!-- synth:\w+:end", "", README_TEMPLATE, flags=re.S)
    assert outside == template_outside
    assert "stale table" not in text
    prod = synthesize(PROD)
    assert to_markdown(prod) in text
    assert f"```mermaid\n{to_mermaid(prod)}```" in text
    assert readme(PROJECT_DIR, path).is_current()  # a second refresh changes nothing


def test_readme_refresh_names_a_missing_marker() -> None:
    with pytest.raises(MarkerError, match="synth:diagram:end"):
        replace_block("<!-- synth:diagram:begin -->\n", "diagram", "x")


def test_the_committed_readme_shows_the_current_matrix_and_diagram() -> None:
    generated = readme(PROJECT_DIR)
    assert generated.is_current(), (
        "README.md's synth blocks are stale; run `make snapshots`\n" + generated.diff()
    )


# --- Refreshing, and what the check says --------------------------------------------------


def test_refresh_check_shows_a_diff_then_refresh_fixes_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = copy_project(tmp_path)
    stack_file = project / "stacks" / "Pulumi.aws-prod.yaml"
    stack_file.write_text(stack_file.read_text().replace("hss: true", "hss: false"))
    (project / "snapshots" / "retired.json").write_text("{}\n")
    refresh = ["--update-snapshots", "--project-dir", str(project)]

    assert main([*refresh, "--check"]) == 1
    out = capsys.readouterr().out
    # The HSS's one rule disappears from the prod snapshot, and the diff says so.
    assert re.search(r'^-\s+"resource": "clearwater-sprout-in-tcp-9888-from-dime"', out, re.M)
    assert "retired.json" in out and "make snapshots" in out

    assert main(refresh) == 0
    assert not (project / "snapshots" / "retired.json").exists()
    assert main([*refresh, "--check"]) == 0


def _snapshot(tmp_path: Path, cloud: str, description: str, rules: int = 0) -> Generated:
    def text(desc: str, count: int) -> str:
        group = {"key": "sprout", "name": "cw-sprout", "description": desc}
        return json.dumps({"cloud": cloud, "groups": [group], "rules": [{}] * count})

    path = tmp_path / f"{cloud}.json"
    path.write_text(text("Project Clearwater - sprout nodes", 0))
    return Generated(path, text(description, rules), f"snapshots/{cloud}.json")


def test_a_description_change_replaces_an_aws_group_but_not_a_neutron_one(
    tmp_path: Path,
) -> None:
    changed = "Project Clearwater - sprout nodes (SIP)"
    assert replaced_groups(_snapshot(tmp_path, "aws", changed)) == [
        "snapshots/aws.json: replaces group sprout (description: "
        "'Project Clearwater - sprout nodes' -> 'Project Clearwater - sprout nodes (SIP)')"
    ]
    assert replaced_groups(_snapshot(tmp_path, "openstack", changed)) == []
    # A new rule changes the snapshot but replaces no group.
    same = "Project Clearwater - sprout nodes"
    assert replaced_groups(_snapshot(tmp_path, "aws", same, rules=3)) == []


def test_the_snapshot_check_warns_of_a_group_replacement(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(PROJECT_DIR / name, tmp_path / name)
    for name in ("stacks", "snapshots"):
        shutil.copytree(PROJECT_DIR / name, tmp_path / name)
    stack = tmp_path / "stacks" / "Pulumi.aio-lab.yaml"
    stack.write_text(stack.read_text() + "  clearwater-sg:namePrefix: lab\n")
    assert main(["--update-snapshots", "--check", "--project-dir", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "WARNING snapshots/aio-lab.json: replaces group all-in-one (name: " in out
    assert "'clearwater-aio-lab-all-in-one' -> 'lab-all-in-one'" in out


def test_a_stale_readme_beside_the_snapshots_is_no_group_replacement(tmp_path: Path) -> None:
    """The README is refreshed with the snapshots; its text is not a snapshot to read."""
    path = tmp_path / "README.md"
    path.write_text("# old matrix\n")
    assert replaced_groups(Generated(path, "# new matrix\n", "README.md")) == []


def test_the_package_args_type_is_what_the_options_model_generates_now() -> None:
    """clearwater_sg/package_args.py, from which Pulumi infers the package schema, follows
    DeploymentOptions: a setting added or described anew there is refreshed here."""
    generated = package_args(PROJECT_DIR)
    assert generated.is_current(), f"run `{REFRESH_COMMAND}`:\n{generated.diff()}"
