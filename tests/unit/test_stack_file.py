"""Reading a stack's configuration the way the Pulumi CLI does, without it
(`clearwater_sg.stack_file`, becoming `clearwater_sg.stack_file`): the project's declared keys
(required, typed) checked as the CLI checks them, and a malformed stack file refused
cleanly, naming what is wrong, with no traceback (through `python -m offline`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from clearwater_sg.stack_file import StackFileError, load_stack
from harness import PROJECT_DIR
from tests.helpers import run_offline_cli


@pytest.mark.parametrize(
    ("stack_text", "words"),
    [
        ("config:\n  - clearwater-sg:cloud\n", "config: must be a map"),
        ("config:\n  clearwater-sg:cloud: aws\n  1: x\n", "the key 1 is not a config key"),
        ("config:\n  clearwater-sg:cloud: aws\n  ~: x\n", "the key None is not a config key"),
        (
            "config:\n  clearwater-sg:cloud: openstack\n  clearwater-sg:namePrefix: ~\n",
            "clearwater-sg:namePrefix: has no value",
        ),
        (
            "config:\n  clearwater-sg:cloud: openstack\n  clearwater-sg:cloud: aws\n",
            "'clearwater-sg:cloud' is written twice",
        ),
        (
            "config:\n  clearwater-sg:cloud: openstack\n  clearwater-sg:tags:\n"
            "    secure: AAABAMcG\n",
            "clearwater-sg:tags: is encrypted",
        ),
    ],
)
def test_render_refuses_a_malformed_stack_file_cleanly(
    tmp_path: Path, stack_text: str, words: str
) -> None:
    result = run_offline_cli(tmp_path, stack_text)
    assert result.returncode == 1
    assert words in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_a_stack_without_the_required_cloud_is_refused_like_the_cli_does(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text((PROJECT_DIR / "Pulumi.yaml").read_text())
    empty = tmp_path / "Pulumi.empty.yaml"
    empty.write_text("config:\n  aws:region: eu-west-1\n")
    with pytest.raises(StackFileError, match=r"missing configuration value.*'cloud'"):
        load_stack(empty)


def test_a_declared_type_is_checked_as_the_cli_checks_it(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text((PROJECT_DIR / "Pulumi.yaml").read_text())
    stack = tmp_path / "Pulumi.x.yaml"
    stack.write_text("config:\n  clearwater-sg:cloud: [aws]\n")
    with pytest.raises(StackFileError, match="'cloud' must be of type 'string'"):
        load_stack(stack)
