"""The edges a hostile user finds: no input opens more than asked, two inputs that mean the
same permission never reach a cloud twice, what a cloud refuses is refused before anything
is registered, and every mistake is reported at once, at its key.

Each test here failed against the code before the fix it guards (issue 8).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pulumi
import pytest

from clearwater_sg import ClearwaterSecurityGroups, DeploymentOptions
from offline.runner import Recording, run_program
from tests.helpers import (
    PROJECT_DIR,
    SG_A,
    VPC,
    aws,
    groups_by_role,
    run_main,
    run_offline_cli,
)

# --- 1. An explicit empty list means none ------------------------------------------------


# --- 2. Labels and group ids never share a namespace ----------------------------------


# --- 4. The same permission twice is refused before anything exists -------------------


def test_one_output_under_two_labels_is_refused_by_what_the_rules_permit() -> None:
    recording = Recording()

    def program() -> None:
        bastion = pulumi.Output.from_input(SG_A)
        options = DeploymentOptions(
            cloud="aws", vpc_id=VPC, ssh_source_groups={"one": bastion, "two": bastion}
        )
        ClearwaterSecurityGroups("ims", options)

    with pytest.raises(pulumi.RunError, match="same traffic"):
        run_program(program, project="p", stack="s", config={}, recording=recording)
    assert recording.resources == []


# --- 5. Limits each cloud enforces -----------------------------------------------------


def test_a_component_name_that_cannot_prefix_group_names_is_refused() -> None:
    def program() -> None:
        ClearwaterSecurityGroups("my ims", DeploymentOptions(cloud="openstack"))

    with pytest.raises(pulumi.RunError, match="Set name_prefix"):
        run_program(program, project="p", stack="s", config={})


# --- 6. Two components in one program -----------------------------------------------------


def test_two_components_get_distinct_group_names_by_default() -> None:
    def program() -> None:
        for site in ("site-a", "site-b"):
            ClearwaterSecurityGroups(site, DeploymentOptions(cloud="aws", vpc_id=VPC))

    recording = run_program(program, project="p", stack="prod", config={})
    names = [r.inputs["name"] for r in recording.resources if r.type.endswith("SecurityGroup")]
    assert len(names) == 14 and len(set(names)) == 14
    assert "site-a-prod-ellis" in names and "site-b-prod-ellis" in names


def test_the_bundled_program_keeps_its_group_names() -> None:
    names = {g.inputs["name"] for g in groups_by_role(run_main(aws(), stack="prod")).values()}
    assert "clearwater-prod-sprout" in names


def test_two_components_with_one_name_prefix_are_refused() -> None:
    recording = Recording()

    def program() -> None:
        for site in ("site-a", "site-b"):
            options = DeploymentOptions(cloud="aws", vpc_id=VPC, name_prefix="ims")
            ClearwaterSecurityGroups(site, options)

    with pytest.raises(pulumi.RunError, match=r"'ims-all-nodes' is also created by .*'site-a'"):
        run_program(program, project="p", stack="s", config={}, recording=recording)
    assert not any(r.name.startswith("site-b") for r in recording.resources)


# --- 7. One label for SSH and SNMP names one group, compared by value ---------------------


# --- 8. Whole-string matches --------------------------------------------------------------


# --- 9. Every mistake at once -------------------------------------------------------------


def test_only_cloud_is_declared_for_the_cli_which_stops_at_its_first_type_error() -> None:
    import yaml

    declared = yaml.safe_load((PROJECT_DIR / "Pulumi.yaml").read_text())["config"]
    assert declared == {
        "cloud": {"type": "string", "description": "Target cloud, aws or openstack."}
    }


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


def test_the_tests_collect_in_a_clone_with_nothing_beside_it(tmp_path: Path) -> None:
    clone = tmp_path / "alone" / "clearwater-sg"
    subprocess.run(
        ["git", "clone", "--quiet", str(PROJECT_DIR), str(clone)], check=True, timeout=60
    )
    assert not (clone.parent / "shared").exists()
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"],
        capture_output=True,
        text=True,
        cwd=clone,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "error" not in result.stdout.lower().splitlines()[-1]


# --- Mutants that survived the suite before -----------------------------------------------
