"""The command line of adopt and drift (`clearwater_sg.live.cli`): group ids read from a
file as PowerShell writes it (UTF-16, UTF-8 with a byte order mark); a file that is not
text one line and exit status 2; and a crash exit status 2, never 1, so that a scheduled
drift job never mistakes a failure for drift found; and `pip install
'clearwater-sg[live-aws]'` alone is enough to run it on a stack file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from clearwater_sg.live.cli import EXIT_DRIFT, EXIT_ERROR, EXIT_OK
from clearwater_sg.resources import AWS_GROUP
from harness import PROJECT_DIR
from harness.local_aws import AwsTarget
from harness.locks import REQUIREMENTS
from harness.servers import MotoServer
from tests.live.helpers import LIVE_MARKS, aws_stack_file, cli
from tests.live.scenario import MISSING, handmade_on_ec2, key_of, recording

pytestmark = LIVE_MARKS


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8-sig"])
def test_group_ids_written_by_powershell_are_read(
    moto_ec2: MotoServer,
    vpc_id: str,
    tmp_path: Path,
    aws_env: None,
    capsys: pytest.CaptureFixture[str],
    encoding: str,
) -> None:
    """Groups under names of their owner's, so that only the ids file can find them."""
    target = AwsTarget(moto_ec2.url, vpc_id)
    keys = [key_of(group.name) for group in recording("aws").of_type(AWS_GROUP)]
    given = {key: target.create_group(f"ims-{key}") for key in keys}
    stack_file = aws_stack_file(tmp_path / "project", moto_ec2, vpc_id)
    ids = tmp_path / "ids.json"
    ids.write_bytes(json.dumps(given).encode(encoding))
    adopt = ["adopt", "--stack-file", str(stack_file), "--format", "json"]
    code, report, err = cli(capsys, *adopt, "--out", str(tmp_path / "a.json"))
    assert (code, err) == (EXIT_OK, "")
    assert {g["action"] for g in json.loads(report)["groups"]} == {"create"}
    code, report, err = cli(
        capsys, *adopt, "--group-ids", str(ids), "--out", str(tmp_path / "b.json")
    )
    assert (code, err) == (EXIT_OK, ""), report
    assert {g["key"]: (g["action"], g["id"]) for g in json.loads(report)["groups"]} == {
        key: ("keep", group_id) for key, group_id in given.items()
    }


def test_group_ids_that_are_not_text_are_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = tmp_path / "ids.json"
    ids.write_bytes(b'{"ellis": "sg-\xff\xfe\x00"}')
    code, report, err = cli(
        capsys, "drift", "--config", "cloud=openstack", "--stack", "s", "--group-ids", str(ids)
    )
    assert (code, report) == (EXIT_ERROR, "")
    assert err.count("\n") == 1 and "not UTF-8 or UTF-16 text" in err


def test_a_crash_exits_2_never_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A scheduled drift job must tell "drift found" (1) from "drift could not run"."""

    def broken(*args: object) -> None:
        raise TypeError("'<' not supported between instances of 'NoneType' and 'int'")

    monkeypatch.setattr("clearwater_sg.live.cli.read_live", broken)
    monkeypatch.setattr("clearwater_sg.live.cli.make_reader", lambda *args: None)
    code, _, err = cli(capsys, "drift", "--config", "cloud=openstack", "--stack", "s")
    assert code == EXIT_ERROR
    assert "a bug in clearwater-sg" in err


def test_the_live_aws_extra_alone_runs_drift_with_a_stack_file(
    moto_ec2: MotoServer, vpc_id: str, tmp_path: Path, aws_env: None
) -> None:
    """`pip install 'clearwater-sg[live-aws]'` is all `drift --stack-file` needs: the
    package from this checkout, built and installed into a fresh virtualenv that holds
    that one extra's lock (requirements/live-aws.txt, compiled from the extra alone), its
    `clearwater-sg-live` command run from outside the repository, with no offline tools
    and no tests."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    pip = [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps"]
    lock = str(REQUIREMENTS / "live-aws.txt")
    subprocess.run([*pip, "--require-hashes", "-r", lock], check=True, timeout=900)
    subprocess.run([*pip, "--no-build-isolation", str(PROJECT_DIR)], check=True, timeout=900)
    for repository_only in ("offline", "harness", "tests"):
        found = subprocess.run([python, "-c", f"import {repository_only}"], cwd=tmp_path)
        assert found.returncode != 0, f"{repository_only} is importable from the install"
    handmade_on_ec2(AwsTarget(moto_ec2.url, vpc_id))
    stack_file = aws_stack_file(tmp_path / "project", moto_ec2, vpc_id)
    # The installed command, as pip puts it on the virtualenv's PATH.
    drift = [str(venv / "bin" / "clearwater-sg-live"), "drift", "--stack-file", str(stack_file)]
    result = subprocess.run(drift, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert (result.returncode, result.stderr) == (EXIT_DRIFT, ""), result.stdout
    assert result.stdout.startswith("Drift in stack")
    assert f"  missing    {MISSING}  [ellis ingress IPv4 tcp/443 from 0.0.0.0/0]" in result.stdout
