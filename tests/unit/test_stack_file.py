"""Reading a stack's configuration the way the Pulumi CLI does, without it
(`clearwater_sg.stack_file`): the project's declared keys (required, typed) checked as the
CLI checks them; a malformed stack file refused cleanly, naming what is wrong, with no
traceback (through `python -m offline`); and what the CLI would not hand the program as
written (a key under two spellings, a namespace that only looks like the project's, a
null, YAML the CLI rewrites) refused by key. tests/engine/test_stack_files.py holds the
same files against the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from clearwater_sg.stack_file import StackConfig, StackFileError, load_stack
from harness import PROJECT_DIR
from tests.helpers import run_offline_cli


@pytest.mark.parametrize(
    ("stack_text", "words"),
    [
        # The CLI merges the two spellings in a random order, run by run (issue 24).
        (
            "config:\n  clearwater-sg:cloud: openstack\n  sshSources: [10.9.0.0/16]\n"
            "  clearwater-sg:sshSources: [0.0.0.0/0]\n",
            "clearwater-sg:sshSources: is written twice, as 'sshSources' and "
            "'clearwater-sg:sshSources'; the Pulumi CLI keeps one of the two at random",
        ),
        # PyYAML reads !!binary as bytes, which crashed the render with a traceback.
        (
            "config:\n  clearwater-sg:cloud: openstack\n  clearwater-sg:sshSources:\n"
            "    - !!binary MTAuMC4wLjAvOA==\n",
            "clearwater-sg:sshSources[0]: is tagged !!binary",
        ),
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


def _read(tmp_path: Path, config: str) -> StackConfig:
    (tmp_path / "Pulumi.yaml").write_text((PROJECT_DIR / "Pulumi.yaml").read_text())
    stack = tmp_path / "Pulumi.edge.yaml"
    stack.write_text("config:\n  clearwater-sg:cloud: openstack\n" + config)
    return load_stack(stack)


@pytest.mark.parametrize(
    ("config", "problem"),
    [
        # Written in either order: the CLI keeps either at random.
        (
            "  clearwater-sg:hss: true\n  hss: false\n",
            "clearwater-sg:hss: is written twice, as 'clearwater-sg:hss' and 'hss'",
        ),
        # A namespace that only looks like the project's is never read: SSH would take
        # its default, the world.
        (
            "  clearwater_sg:sshSources: [10.9.0.0/16]\n",
            "clearwater_sg:sshSources: the namespace 'clearwater_sg' is not this project's "
            "('clearwater-sg'): the program never reads this key, and sshSources would take "
            "its default; write clearwater-sg:sshSources",
        ),
        ("  Clearwater-SG:hss: true\n", "Clearwater-SG:hss: the namespace 'Clearwater-SG'"),
        ("  clearwater-sq:hss: true\n", "clearwater-sq:hss: the namespace 'clearwater-sq'"),
        # A list whose entries are all commented out is null; so is an entry left empty.
        (
            "  clearwater-sg:sshSources:\n    # - 10.9.0.0/16\n",
            "clearwater-sg:sshSources: has no value (null)",
        ),
        (
            "  clearwater-sg:peerSites:\n    site-b:\n",
            "clearwater-sg:peerSites.site-b: has no value (null)",
        ),
        ("  clearwater-sg:roles: [sprout, ~]\n", "clearwater-sg:roles[1]: has no value"),
        # YAML the CLI rewrites before the program sees it.
        ("  clearwater-sg:namePrefix: !!str lab\n", "clearwater-sg:namePrefix: is tagged !!str"),
        ("  clearwater-sg:roles: !!set {sprout}\n", "clearwater-sg:roles: is tagged !!set"),
        ("  clearwater-sg:ipVersion: 4.0\n", "clearwater-sg:ipVersion: 4.0 is a YAML float"),
        (
            "  clearwater-sg:limits:\n    rulesPerGroup: 1e3\n",
            "clearwater-sg:limits.rulesPerGroup: 1e3 is a YAML float",
        ),
        (
            "  clearwater-sg:limits:\n    rulesPerGroup: 9223372036854775808\n",
            "clearwater-sg:limits.rulesPerGroup: 9223372036854775808 is beyond the whole "
            "numbers the Pulumi CLI reads exactly",
        ),
        ("  clearwater-sg:tags:\n    since: 2026-12-02\n", "'2026-12-02' is a date to YAML"),
        # yaml.v3 reads 08 as the float 8 (not octal); PyYAML's reading crashed the reader.
        ("  clearwater-sg:tags:\n    code: 08\n", "clearwater-sg:tags.code: 08 is a YAML float"),
    ],
)
def test_what_the_cli_would_not_hand_on_as_written_is_refused_by_key(
    tmp_path: Path, config: str, problem: str
) -> None:
    with pytest.raises(StackFileError) as refused:
        _read(tmp_path, config)
    assert problem in str(refused.value)


def test_other_namespaces_are_read_without_a_check_of_their_values(tmp_path: Path) -> None:
    """Their owners read them: a provider's float or tag is not this program's to refuse,
    and is handed on as its text rather than crashing the render."""
    read = _read(tmp_path, "  aws:ratio: 1.5\n  aws:blob: !!binary aGVsbG8=\n  ops:x: [!!str 7]\n")
    assert (read.config["aws:ratio"], read.config["aws:blob"]) == ("1.5", "aGVsbG8=")
    assert read.config["ops:x"] == '["7"]'


def test_a_merge_key_merges_as_the_cli_merges_it(tmp_path: Path) -> None:
    """`<<: *anchor` brings the anchored map's keys in, the map's own keys winning (YAML's
    merge key, as yaml.v3 implements it; tests/engine/test_stack_files.py asks the CLI).
    Integers as yaml.v3 reads them too: 3_00 is 300, 0x1e is 30."""
    read = _read(
        tmp_path,
        "  clearwater-sg:limits:\n    <<: {securityGroups: 20, securityGroupRules: 3_00}\n"
        "    securityGroups: 0x1e\n"
        "  clearwater-sg:peerSites:\n"
        "    <<: [{site-b: [10.70.0.0/16]}, {site-b: [10.71.0.0/16], site-c: [10.72.0.0/16]}]\n",
    )
    assert json.loads(read.config["clearwater-sg:limits"]) == {
        "securityGroups": 30,
        "securityGroupRules": 300,
    }
    # Of a list of maps, the first map's key wins (PyYAML itself lets the last win).
    assert json.loads(read.config["clearwater-sg:peerSites"]) == {
        "site-b": ["10.70.0.0/16"],
        "site-c": ["10.72.0.0/16"],
    }
