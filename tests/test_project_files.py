"""Pulumi.yaml, the stack files and the offline render, as the CLI and users meet them."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from clearwater_sg.options import DeploymentOptions
from offline.__main__ import main as offline_main
from offline.stackfile import load_stack
from tests.helpers import PROJECT_DIR

PROJECT_FILE = yaml.safe_load((PROJECT_DIR / "Pulumi.yaml").read_text())
STACK_FILES = sorted((PROJECT_DIR / "stacks").glob("Pulumi.*.yaml"))


def test_declared_keys_are_settings_with_the_programs_defaults() -> None:
    fields = {field.alias: field for field in DeploymentOptions.model_fields.values()}
    for key, declaration in PROJECT_FILE["config"].items():
        assert key in fields, f"Pulumi.yaml declares {key!r}, which the program does not read"
        if "default" in declaration:
            default = fields[key].default
            assert (
                str(declaration["default"]).lower()
                == str(getattr(default, "value", default)).lower()
            )
    assert "default" not in PROJECT_FILE["config"]["cloud"], "cloud must be required"


def test_the_python_runtime_installs_the_project_into_its_virtualenv() -> None:
    runtime = PROJECT_FILE["runtime"]
    assert runtime["name"] == "python"
    assert runtime["options"]["virtualenv"] and runtime["options"]["toolchain"] == "pip"
    requirements = (PROJECT_DIR / "requirements.txt").read_text().split()
    assert "-e" in requirements and ".[aws,openstack]" in requirements
    assert PROJECT_FILE["stackConfigDir"] == "stacks"


def test_the_bundled_stacks_cover_the_issues_environments() -> None:
    configs = {path.name: load_stack(path).config for path in STACK_FILES}
    assert any(
        c["clearwater-sg:cloud"] == "aws"
        and c.get("clearwater-sg:memento") == "true"
        and c.get("clearwater-sg:hss") == "true"
        for c in configs.values()
    )
    assert any(c["clearwater-sg:cloud"] == "openstack" for c in configs.values())
    assert any(c.get("clearwater-sg:deployment") == "all-in-one" for c in configs.values())


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
