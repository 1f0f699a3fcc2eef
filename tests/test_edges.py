"""The edges a hostile user finds: no input opens more than asked, two inputs that mean the
same permission never reach a cloud twice, what a cloud refuses is refused before anything
is registered, and every mistake is reported at once, at its key.

Each test here failed against the code before the fix it guards (issue 8).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pulumi
import pytest

from clearwater_sg import ClearwaterSecurityGroups, DeploymentOptions
from offline.runner import Recording, run_program
from tests.helpers import (
    PROJECT_DIR,
    SG_A,
    SG_B,
    UUID_A,
    UUID_B,
    VPC,
    aws,
    groups_by_role,
    ingress,
    openstack,
    port,
    refused,
    run_main,
    source,
)

# --- 1. An explicit empty list means none ------------------------------------------------


@pytest.mark.parametrize("cloud", [aws, openstack])
def test_empty_ssh_sources_close_ssh(cloud: Any) -> None:
    rules = ingress(run_main(cloud(sshSources=[])))
    assert [r for r in rules if port(r) == 22] == []


@pytest.mark.parametrize("cloud", [aws, openstack])
def test_empty_world_cidrs_open_nothing_to_the_world_and_close_default_ssh(cloud: Any) -> None:
    rules = ingress(run_main(cloud(worldCidrs=[])))
    assert rules, "internal flows stay"
    assert all(
        "cidrIpv4" not in r and "cidrIpv6" not in r and not r.get("remoteIpPrefix") for r in rules
    ), "a CIDR rule was created although worldCidrs is empty and sshSources follows it"


def test_absent_sources_take_the_documents_defaults() -> None:
    rules = ingress(run_main(aws()))
    assert {source(r) for r in rules if port(r) == 22} == {"0.0.0.0/0"}
    assert not [r for r in rules if port(r) == 161]


def test_an_absent_ssh_sources_follows_a_narrowed_world() -> None:
    rules = ingress(run_main(aws(worldCidrs=["198.51.100.0/24"])))
    assert {source(r) for r in rules if port(r) == 22} == {"198.51.100.0/24"}


# --- 2. Labels and group ids never share a namespace ----------------------------------


def test_a_label_shaped_like_a_neutron_group_id_is_refused() -> None:
    message = refused(openstack(sshSources=[UUID_A], snmpSourceGroups={UUID_A: UUID_B}))
    assert f"clearwater-sg:snmpSourceGroups.{UUID_A}" in message
    assert "not shaped like a group id" in message


@pytest.mark.parametrize("label", ["sg-bastion", "sg-0123abcd", "ellis", "Bastion", "-x"])
def test_labels_that_could_be_read_as_something_else_are_refused(label: str) -> None:
    assert "clearwater-sg:sshSourceGroups" in refused(aws(sshSourceGroups={label: SG_A}))


# --- 4. The same permission twice is refused before anything exists -------------------


def test_a_group_given_as_an_id_and_under_a_label_is_refused() -> None:
    message = refused(aws(sshSources=[SG_A], sshSourceGroups={"bastion": SG_A}))
    assert "clearwater-sg:sshSources[0]" in message
    assert "sshSourceGroups.bastion" in message


def test_one_group_under_two_labels_is_refused() -> None:
    message = refused(aws(snmpSourceGroups={"cacti": SG_A, "nagios": SG_A}))
    assert "clearwater-sg:snmpSourceGroups.nagios" in message and "'cacti'" in message


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


@pytest.mark.parametrize(
    ("config", "key", "words"),
    [
        (aws(namePrefix="sg-prod"), "namePrefix", "start with sg-"),
        (aws(namePrefix="SG-prod"), "namePrefix", "start with sg-"),
        (aws(tags={f"k{i}": "v" for i in range(49)}), "tags", "keep at most 48"),
        (openstack(tags={f"k{i}": "v" for i in range(49)}), "tags", "keep at most 48"),
        (aws(tags={"k" * 129: "v"}), "tags", "1-128 characters"),
        (aws(tags={"owner": "v" * 257}), "tags.owner", "256"),
        (aws(tags={"AWS:cost": "x"}), "tags", "reserved"),
        (openstack(tags={"owner": "v" * 250}), "tags.owner", "255"),
        (openstack(tags={"a=b": "c"}), "tags", "contains '='"),
    ],
)
def test_what_a_cloud_refuses_is_refused_first(
    config: dict[str, object], key: str, words: str
) -> None:
    message = refused(config)
    assert f"clearwater-sg:{key}" in message and words in message, message


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


def test_one_label_for_ssh_and_snmp_is_accepted() -> None:
    recording = run_main(
        aws(sshSourceGroups={"ops": SG_A}, snmpSourceGroups={"ops": SG_A}, sshSources=[])
    )
    rules = ingress(recording)
    assert {source(r) for r in rules if port(r) in (22, 161)} == {SG_A}


def test_one_label_naming_two_groups_is_refused() -> None:
    message = refused(aws(sshSourceGroups={"ops": SG_A}, snmpSourceGroups={"ops": SG_B}))
    assert "clearwater-sg:snmpSourceGroups.ops" in message and "different group" in message


# --- 8. Whole-string matches --------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "key"),
    [
        (openstack(namePrefix="prod\n"), "namePrefix"),
        ({"cloud": "aws", "vpcId": VPC + "\n"}, "vpcId"),
        (aws(sshSources=[SG_A + "\n"]), "sshSources[0]"),
        (aws(sshSourceGroups={"bastion": SG_A + "\n"}), "sshSourceGroups.bastion"),
        (aws(sshSourceGroups={"bastion\n": SG_A}), "sshSourceGroups"),
        (openstack(sshSources=[UUID_A + "\n"]), "sshSources[0]"),
        (openstack(sshSources=["10.0.0.1"]), "sshSources[0]"),  # no prefix length
    ],
)
def test_a_value_with_anything_after_it_is_refused(config: dict[str, object], key: str) -> None:
    assert f"clearwater-sg:{key}" in refused(config)


# --- 9. Every mistake at once -------------------------------------------------------------


def test_the_readmes_example_reports_all_three_mistakes() -> None:
    message = refused({"cloud": "aws", "roles": ["sprot"], "hss": "maybe"})
    for key in ("clearwater-sg:vpcId", "clearwater-sg:roles[0]", "clearwater-sg:hss"):
        assert key in message


def test_shape_errors_are_reported_with_the_rest() -> None:
    message = refused(
        {"cloud": "openstack", "roles": "sprout", "tags": ["a"], "memento": "yes", "x": 1}
    )
    assert "clearwater-sg:roles: must be a YAML list" in message
    assert "clearwater-sg:tags: must be a YAML map" in message
    assert "clearwater-sg:memento: must be true or false" in message
    assert "clearwater-sg:x: is not a setting" in message


def test_only_cloud_is_declared_for_the_cli_which_stops_at_its_first_type_error() -> None:
    import yaml

    declared = yaml.safe_load((PROJECT_DIR / "Pulumi.yaml").read_text())["config"]
    assert declared == {
        "cloud": {"type": "string", "description": "Target cloud, aws or openstack."}
    }


# --- 10. The offline tools on malformed stack files ------------------------------------


def _render(tmp_path: Path, stack_text: str, *extra: str) -> subprocess.CompletedProcess[str]:
    stacks = tmp_path / "stacks"
    stacks.mkdir(exist_ok=True)
    (tmp_path / "Pulumi.yaml").write_text((PROJECT_DIR / "Pulumi.yaml").read_text())
    (tmp_path / "__main__.py").write_text((PROJECT_DIR / "__main__.py").read_text())
    stack = stacks / "Pulumi.edge.yaml"
    stack.write_text(stack_text)
    python = [sys.executable, "-X", "dev", "-W", "ignore::DeprecationWarning"]
    return subprocess.run(
        [*python, "-m", "offline", str(stack), *extra],
        capture_output=True,
        text=True,
        cwd=PROJECT_DIR,
        check=False,
    )


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
    result = _render(tmp_path, stack_text)
    assert result.returncode == 1
    assert words in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_render_leaves_no_event_loop_to_the_interpreters_exit(tmp_path: Path) -> None:
    text = "config:\n  clearwater-sg:cloud: openstack\n  clearwater-sg:ipVersion: dual\n"
    result = _render(tmp_path, text)
    assert result.returncode == 0, result.stderr
    assert "unclosed event loop" not in result.stderr
    assert "Exception ignored" not in result.stderr


def test_render_says_which_document_lines_the_cloud_cannot_express(tmp_path: Path) -> None:
    result = _render(tmp_path, "config:\n  clearwater-sg:cloud: openstack\n")
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
