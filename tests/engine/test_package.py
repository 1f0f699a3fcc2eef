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

from harness import PROJECT_DIR
from harness.engine import ENGINE_ROOT, PACKAGE_PLUGIN, EngineStack, documented, settings
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


def test_a_bad_input_from_yaml_is_refused_by_name_before_anything_is_created(
    engine_stack: StackFactory, os_project: Project
) -> None:
    stack = engine_stack(STACK, {}, source=EXAMPLES / "openstack-yaml")
    described: dict[str, Any] = {
        **_project_file(stack),
        "resources": {
            "clearwater": {
                "type": "clearwater-sg:ClearwaterSecurityGroups",
                "properties": {"cloud": "openstack", "vpcId": "vpc-0123456789abcdef0"},
            }
        },
    }
    stack.write_project(described)
    before = os_project.snapshot()
    with pytest.raises(auto_errors.CommandError) as refused:
        stack.up()
    assert "vpcId: vpcId applies to AWS only" in str(refused.value)
    assert "Traceback" not in str(refused.value)
    # The engine registers the package's default provider before it asks it to construct
    # the component: engine bookkeeping, no cloud resource. Nothing else is in the state.
    assert [urn for urn in stack.state_urns() if "::pulumi:providers:" not in urn] == []
    assert os_project.snapshot() == before


def _project_file(stack: EngineStack) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((stack.dir / "Pulumi.yaml").read_text())
    return loaded


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
