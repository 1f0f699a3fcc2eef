"""The component as a Pulumi package, from other languages, with the real engine: the
YAML and TypeScript examples (examples/openstack-yaml, examples/openstack-typescript)
deployed to a live Neutron through the package's plugin (`.engine/plugins/clearwater-sg`,
which serves package/__main__.py; README, "From other languages", says why not yet
through `pulumi package add`).

Neutron must then hold exactly what the Python program's deployment of the same settings
holds (every group's name, description and tags; every rule's permission and
description, read from Neutron alone), which must be the document reader's expectation; a
second preview must plan nothing, and `destroy` must leave the project as it was. A bad
input from YAML is refused with the options' message, naming the input, before anything
is created.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Mapping
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
import yaml
from pulumi.automation import errors as auto_errors

from harness import PROJECT_DIR, run_main
from harness.engine import (
    ENGINE_ROOT,
    PACKAGE_PLUGIN,
    EngineStack,
    Steps,
    documented,
    settings,
)
from harness.local_openstack import Project
from harness.locks import npm_versions
from tests.conformance.stored import project_permissions
from tests.engine.conftest import StackFactory

EXAMPLES = PROJECT_DIR / "examples"
STACK = "dev"  # the same stack name in every language: the same group names
# The examples' settings, as the Python program's stack configuration.
CONFIG = settings(cloud="openstack")

Held = tuple[frozenset[tuple[str, str, tuple[str, ...]]], Counter[tuple[object, ...]]]


def _held(project: Project) -> Held:
    """Every group (name, description, tags) but Neutron's `default`, and every rule in
    them (group name, direction, ethertype, protocol, ports, remote group's name or
    prefix, description): Neutron's JSON, read with nothing of the program."""
    groups, rules = project.listing()
    names = {g["id"]: g["name"] for g in groups if g["name"] != "default"}
    found_groups = frozenset(
        (g["name"], g["description"], tuple(sorted(g.get("tags") or ())))
        for g in groups
        if g["id"] in names
    )
    found_rules: Counter[tuple[object, ...]] = Counter(
        (
            names[r["security_group_id"]],
            r["direction"],
            r["ethertype"],
            r.get("protocol"),
            r.get("port_range_min"),
            r.get("port_range_max"),
            names.get(r.get("remote_group_id") or "", r.get("remote_ip_prefix")),
            r.get("description"),
        )
        for r in rules
        if r["security_group_id"] in names
    )
    return found_groups, found_rules


@pytest.fixture
def python_deployment(engine_stack: StackFactory, os_project: Project) -> Held:
    """What the Python program's deployment of CONFIG holds, deployed then destroyed."""
    stack = engine_stack(STACK, CONFIG)
    stack.up()
    held = _held(os_project)
    assert project_permissions(os_project) == documented(CONFIG)
    stack.destroy()
    return held


def _deploy_like_python(stack: EngineStack, project: Project, python: Held) -> None:
    before = project.snapshot()
    created = stack.up().changes()
    assert created, "up created nothing"
    assert _held(project) == python
    assert project_permissions(project) == documented(CONFIG)
    assert stack.preview(expect_no_changes=True).changes() == []
    ids = stack.stack.outputs()["securityGroupIds"].value
    assert sorted(ids) == ["all-nodes", "bono", "dime", "ellis", "homer", "sprout", "vellum"]
    stack.destroy()
    assert stack.state_urns() == []
    assert project.snapshot() == before


def test_a_yaml_program_deploys_what_the_python_program_deploys(
    engine_stack: StackFactory, os_project: Project, python_deployment: Held
) -> None:
    stack = engine_stack(STACK, {}, source=EXAMPLES / "openstack-yaml")
    _deploy_like_python(stack, os_project, python_deployment)


def test_a_typescript_program_deploys_what_the_python_program_deploys(
    engine_stack: StackFactory, os_project: Project, python_deployment: Held
) -> None:
    stack = engine_stack(STACK, {}, source=EXAMPLES / "openstack-typescript")
    # The package's SDK, generated from the plugin's schema, then npm's install of exactly
    # the example's lock, which links and compiles it: `npm run gen-sdk && npm ci` by hand.
    _npm(stack.env, stack.dir, "run", "gen-sdk")
    _npm(stack.env, stack.dir, "ci", "--no-audit", "--no-fund")
    locked = npm_versions(stack.dir / "package-lock.json")
    assert locked, "the example has no package-lock.json"
    assert npm_versions(stack.dir / "node_modules" / ".package-lock.json") == locked
    _deploy_like_python(stack, os_project, python_deployment)


def _npm(env: Mapping[str, str], where: Path, *args: str) -> None:
    npm = shutil.which("npm")
    assert npm, "npm is needed by the TypeScript example (Node.js and npm)"
    ran = subprocess.run(
        [npm, *args], cwd=where, env={**os.environ, **env}, capture_output=True, text=True
    )
    assert ran.returncode == 0, f"npm {' '.join(args)}:\n{ran.stdout}\n{ran.stderr}"


def _project_file(stack: EngineStack) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((stack.dir / "Pulumi.yaml").read_text())
    return loaded


def _yaml_program(stack: EngineStack, resources: Mapping[str, Any]) -> None:
    """The YAML example's project with these resources instead of its own."""
    stack.write_project({**_project_file(stack), "resources": dict(resources)})


def _component(**properties: Any) -> dict[str, Any]:
    return {"type": "clearwater-sg:ClearwaterSecurityGroups", "properties": properties}


# The settings a package caller writes out (docs/configuration-inputs.md), as the
# examples do; the tests below change one thing each.
WRITTEN_OUT = {
    "cloud": "openstack",
    "roles": ["sprout", "dime"],
    "worldCidrs": ["0.0.0.0/0"],
    "sshSources": ["10.9.0.0/16"],
    "egress": "all",
}


def _refused(stack: EngineStack, project: Project, *, preview: bool = False) -> str:
    """What `pulumi up` (or preview) says when it refuses, having created nothing in the
    cloud and nothing in the state but the package's provider (engine bookkeeping)."""
    before = project.snapshot()
    with pytest.raises(auto_errors.CommandError) as refused:
        stack.preview() if preview else stack.up()
    assert [urn for urn in stack.state_urns() if "::pulumi:providers:" not in urn] == []
    assert project.snapshot() == before
    said = str(refused.value)
    for python in ("Traceback", 'File "', "<pulumi.", "object at 0x", "Unexpected <class"):
        assert python not in said, said
    return said


def _says(said: str, path: str, reason: str) -> bool:
    """Whether the engine printed an input error at `path` whose reason starts `reason`
    (it shows the value too where it has one: `property vpcId with value "vpc-…" has…`)."""
    pattern = rf"- property {re.escape(path)}( with value .*)? has a problem: {re.escape(reason)}"
    return re.search(pattern, said) is not None


def test_a_bad_input_from_yaml_is_refused_by_name_before_anything_is_created(
    engine_stack: StackFactory, os_project: Project
) -> None:
    stack = engine_stack(STACK, {}, source=EXAMPLES / "openstack-yaml")
    _yaml_program(stack, {"clearwater": _component(**WRITTEN_OUT, vpcId="vpc-0123456789abcdef0")})
    said = _refused(stack, os_project)
    assert _says(said, "vpcId", "vpcId applies to AWS only"), said


def test_a_null_from_yaml_is_refused_not_read_as_absent(
    engine_stack: StackFactory, os_project: Project
) -> None:
    """YAML drops a null before the package sees it (issue 24: `sshSources: null` opened
    SSH to the world): absent, a setting that would open more is refused."""
    stack = engine_stack(STACK, {}, source=EXAMPLES / "openstack-yaml")
    _yaml_program(stack, {"clearwater": _component(**{**WRITTEN_OUT, "sshSources": None})})
    said = _refused(stack, os_project)
    assert _says(said, "sshSources", "must be written out from the package"), said


def test_a_misspelt_input_from_yaml_is_refused_by_yaml(
    engine_stack: StackFactory, os_project: Project
) -> None:
    stack = engine_stack(STACK, {}, source=EXAMPLES / "openstack-yaml")
    inputs = {k: v for k, v in WRITTEN_OUT.items() if k != "sshSources"}
    _yaml_program(stack, {"clearwater": _component(**inputs, sshsources=["10.9.0.0/16"])})
    assert "Property sshsources does not exist" in _refused(stack, os_project)


# Issue 24: roles, profiles and limits were refused from YAML whatever their value.
EVERY_SETTING = {
    **WRITTEN_OUT,
    "roles": ["bono", "sprout", "dime", "vellum"],
    "profiles": ["restund", "sprout-peering"],
    "limits": {"securityGroups": 12, "securityGroupRules": 150},
    "hss": True,
    "ipVersion": "dual",
    "worldCidrs": ["0.0.0.0/0", "::/0"],
    "peerSites": {"site-b": ["10.70.0.0/16"]},
    "replicateTimersAcrossSites": True,
    "extraRules": {
        "sprout": [
            {
                "protocol": "tcp",
                "ports": "5053",
                "sources": ["10.40.0.0/16"],
                "description": "BGCF from the SBC",
                "reason": "IMS-7: SBC trunk",
            }
        ]
    },
}


def _planned(steps: Steps) -> set[tuple[str, str]]:
    return {(s.type, s.name) for s in steps.steps if not s.type.startswith("pulumi:")}


def test_every_setting_from_yaml_plans_what_the_python_program_plans(
    engine_stack: StackFactory,
) -> None:
    stack = engine_stack(STACK, {}, source=EXAMPLES / "openstack-yaml")
    _yaml_program(stack, {"clearwater": _component(**EVERY_SETTING)})
    planned = _planned(stack.preview())

    def python(config: Mapping[str, Any]) -> set[tuple[str, str]]:
        return {(r.type, r.name) for r in run_main(config, stack=STACK).resources}

    assert planned == python(EVERY_SETTING)
    # Each setting counted: without it, the plan is another.
    for key in ("roles", "profiles", "hss", "extraRules"):
        assert planned != python({k: v for k, v in EVERY_SETTING.items() if k != key}), key


def test_an_id_made_in_the_same_yaml_program_is_an_input_of_its_own(
    engine_stack: StackFactory, os_project: Project
) -> None:
    """A group made in the same YAML program (another deployment's all-nodes group, as a
    bastion's would be: the OpenStack provider built here serves no schema to YAML), as
    one value of sshSourceGroups (issue 24: the types took an Output only for a whole
    map, which then failed): SSH is open from that group, and from nothing else."""
    stack = engine_stack(STACK, {}, source=EXAMPLES / "openstack-yaml")
    inputs = {k: v for k, v in WRITTEN_OUT.items() if k != "sshSources"}
    bastion = _component(**{**inputs, "roles": ["sprout"], "sshSources": []})
    labelled = {"bastion": '${bastion.securityGroupIds["all-nodes"]}'}
    component = _component(**inputs, sshSourceGroups=labelled)
    _yaml_program(stack, {"bastion": bastion, "clearwater": component})
    stack.up()
    groups, rules = os_project.listing()
    names = {g["id"]: g["name"] for g in groups}
    (bastion_id,) = [id_ for id_, name in names.items() if name == f"bastion-{STACK}-all-nodes"]
    ssh = [r for r in rules if r.get("port_range_min") == 22]
    assert {(names[r["security_group_id"]], r.get("remote_group_id")) for r in ssh} == {
        (f"clearwater-{STACK}-all-nodes", bastion_id)
    }
    stack.destroy()


def _typescript(stack: EngineStack, program: str) -> None:
    (stack.dir / "index.ts").write_text(
        'import * as pulumi from "@pulumi/pulumi";\n'
        'import * as clearwater from "@pulumi/clearwater-sg";\n' + program
    )


# WRITTEN_OUT but roles and sshSources, as the start of a TypeScript inputs object.
TS_INPUTS = '{ cloud: "openstack", worldCidrs: ["0.0.0.0/0"], egress: "all", '


def test_typescript_inputs_reach_the_component_as_written(
    engine_stack: StackFactory, os_project: Project
) -> None:
    """From TypeScript (one stack, its SDK generated and installed once): a misspelt input,
    which the generated SDK drops before it is sent (issue 24: SSH then opened to the
    world), is refused as the setting it leaves absent; a whole map of ids as one Output
    (which the types no longer allow) is refused by name; and an id made in the same
    program, as one value of a map of ids, with roles, profiles and limits, deploys."""
    stack = engine_stack(STACK, {}, source=EXAMPLES / "openstack-typescript")
    _npm(stack.env, stack.dir, "run", "gen-sdk")
    _npm(stack.env, stack.dir, "ci", "--no-audit", "--no-fund")

    _typescript(
        stack,
        f'const args: any = {TS_INPUTS} roles: ["sprout"], sshsources: ["10.9.0.0/16"] }};\n'
        'new clearwater.ClearwaterSecurityGroups("clearwater", args);\n',
    )
    said = _refused(stack, os_project)
    assert _says(said, "sshSources", "must be written out from the package"), said

    _typescript(
        stack,
        f'const first = new clearwater.ClearwaterSecurityGroups("first", {TS_INPUTS} '
        'roles: ["sprout"], sshSources: [] });\n'
        'const bastion = first.securityGroupIds.apply(ids => ids["all-nodes"]);\n'
        "const whole: any = bastion.apply(id => ({ bastion: id }));\n"
        f'new clearwater.ClearwaterSecurityGroups("clearwater", {TS_INPUTS} '
        'roles: ["sprout"], sshSourceGroups: whole });\n',
    )
    said = _refused(stack, os_project, preview=True)
    assert _says(said, "sshSourceGroups", "is an Output"), said

    _typescript(
        stack,
        f'const first = new clearwater.ClearwaterSecurityGroups("first", {TS_INPUTS} '
        'roles: ["sprout"], sshSources: [] });\n'
        'const bastion = first.securityGroupIds.apply(ids => ids["all-nodes"]);\n'
        f'new clearwater.ClearwaterSecurityGroups("clearwater", {TS_INPUTS} '
        'roles: ["bono", "sprout", "dime"], profiles: [clearwater.Profile.RESTUND], '
        "limits: { securityGroups: 12, securityGroupRules: 150 }, "
        "sshSourceGroups: { bastion } });\n"
        "export const bastionId = bastion;\n",
    )
    stack.up()
    bastion_id = stack.stack.outputs()["bastionId"].value
    groups, rules = os_project.listing()
    names = {g["id"]: g["name"] for g in groups}
    ssh = [r for r in rules if r.get("port_range_min") == 22]
    assert {(names[r["security_group_id"]], r.get("remote_group_id")) for r in ssh} == {
        (f"clearwater-{STACK}-all-nodes", bastion_id)
    }
    assert f"clearwater-{STACK}-bono" in names.values()
    stack.destroy()


def test_the_plugin_reports_the_packages_version_in_its_schema(tmp_path: Path) -> None:
    """`pulumi package get-schema`: the version the schema carries is the installed
    package's, which CHANGELOG.md describes."""
    env = {
        **os.environ,
        "PATH": f"{ENGINE_ROOT / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "PULUMI_HOME": str(tmp_path),
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "CLEARWATER_SG_PYTHON": sys.executable,
    }
    plugin = PACKAGE_PLUGIN / "pulumi-resource-clearwater-sg"
    result = subprocess.run(
        ["pulumi", "package", "get-schema", str(plugin)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    schema = json.loads(result.stdout)
    assert (schema["name"], schema["version"]) == ("clearwater-sg", version("clearwater-sg"))
