"""Replacing a group without downtime: generated names on AWS, and every change that
would replace a group flagged before it reaches a cloud."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from offline.__main__ import main
from offline.generated import Generated, replaced_groups
from tests.helpers import PROJECT_DIR


def _snapshot(tmp_path: Path, cloud: str, description: str, rules: int = 0) -> Generated:
    def text(desc: str, count: int) -> str:
        group = {"role": "sprout", "name": "cw-sprout", "description": desc}
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
