"""The offline CLI (`python -m offline`, `offline/__main__.py`): one file per stack and
format, the terminal table by default, every bundled stack rendered, several stacks' JSON
refused on stdout, and a bad stack file or configuration reported on stderr without a
traceback, with exit status 1."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from harness import PROJECT_DIR
from offline.__main__ import main
from offline.formats import to_json, to_markdown, to_table
from offline.synth import synthesize
from tests.helpers import PROD, STACK_FILES, copy_project


def test_cli_writes_one_file_per_stack_and_format(tmp_path: Path) -> None:
    args = [str(path) for path in STACK_FILES]
    assert main([*args, "--format", "json", "--out", str(tmp_path)]) == 0
    assert main([str(PROD), "--format", "mermaid", "--out", str(tmp_path)]) == 0
    written = sorted(path.name for path in tmp_path.iterdir())
    stacks = [path.name.removeprefix("Pulumi.").removesuffix(".yaml") for path in STACK_FILES]
    assert written == sorted([f"{stack}.json" for stack in stacks] + ["aws-prod.mmd"])
    assert (tmp_path / "aws-prod.json").read_text() == to_json(synthesize(PROD))


def test_cli_prints_the_terminal_table_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(PROD)]) == 0
    assert capsys.readouterr().out == to_table(synthesize(PROD))
    assert main([str(PROD), "--format", "markdown"]) == 0
    assert capsys.readouterr().out == to_markdown(synthesize(PROD))


@pytest.mark.parametrize("stack_file", STACK_FILES, ids=lambda p: p.name)
def test_every_bundled_stack_renders(stack_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(stack_file)]) == 0
    output = capsys.readouterr().out
    assert "security groups" in output and "FROM/TO" in output


def test_cli_refuses_several_stacks_of_json_on_stdout() -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([*(str(path) for path in STACK_FILES), "--format", "json"])
    assert exit_info.value.code == 2


def test_cli_reports_a_bad_stack_file_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([str(PROJECT_DIR / "stacks" / "Pulumi.missing.yaml")]) == 1
    assert "Pulumi.missing.yaml" in capsys.readouterr().err
    typo = copy_project(tmp_path) / "stacks" / "Pulumi.typo.yaml"
    typo.write_text("config:\n  clearwater-sg:cloud: azure\n")
    assert main([str(typo)]) == 1
    assert "clearwater-sg:cloud" in capsys.readouterr().err


def test_render_reports_a_bad_stack_cleanly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stacks = tmp_path / "stacks"
    stacks.mkdir()
    (tmp_path / "Pulumi.yaml").write_text((PROJECT_DIR / "Pulumi.yaml").read_text())
    (tmp_path / "__main__.py").write_text((PROJECT_DIR / "__main__.py").read_text())
    bad = stacks / "Pulumi.typo.yaml"
    bad.write_text("config:\n  clearwater-sg:cloud: openstack\n  clearwater-sg:roles: [sprot]\n")
    assert main([str(bad)]) == 1
    captured = capsys.readouterr()
    assert "clearwater-sg:roles[0]: 'sprot' is not a Clearwater role" in captured.err
    assert "Traceback" not in captured.err and captured.out == ""


def test_a_program_of_your_own_renders_its_components(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The README's review of one's own program: the example, which also creates a VPC,
    a subnet and instances, rendered from a stack file beside its Pulumi.yaml."""
    project = tmp_path / "ims"
    shutil.copytree(PROJECT_DIR / "examples" / "aws-deployment", project)
    name = yaml.safe_load((project / "Pulumi.yaml").read_text())["name"]
    stack = project / "Pulumi.review.yaml"
    stack.write_text(
        yaml.safe_dump(
            {"config": {"aws:region": "eu-west-1", f"{name}:ami": "ami-0123456789abcdef0"}}
        )
    )
    assert main([str(stack)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Stack review: 8 security groups, ")
    assert re.search(r"^sprout +clearwater-review-sprout ", out, re.MULTILINE)
    assert "aws:ec2/instance" not in out and "sprout-1" not in out
