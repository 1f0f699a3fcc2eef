"""A sample of the differential test of input paths (tests/test_input_paths.py) through
the real engine, from a YAML program: generated OpenStack configurations, their settings a
package caller must write out written out, as the properties of the package's component.
`pulumi preview` must plan exactly the resources the bundled Python program registers for
the same configuration as a stack's (the same names, and so the same groups and rules,
each rule named by what it permits); a configuration with a misspelt setting, a near-miss
namespace or a setting under both spellings must be refused, nothing created.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from pulumi.automation import errors as auto_errors

from harness import run_main
from harness.engine import EngineStack
from harness.local_openstack import LocalOpenStack
from tests.engine.test_package import EXAMPLES, STACK
from tests.strategies import Config, Hostile, hostile_configs, snake_case, valid_configs
from tests.strategies import with_defaults_written_out as written_out

SAMPLE = 4
HOSTILE_SAMPLE = 2
OPENSTACK = valid_configs(clouds=("openstack",), max_entries=2, raised_limits=True, max_roles=3)


def _sampled(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )


def _yaml_stack(where: Path, project: Any, properties: dict[str, Any]) -> EngineStack:
    """The YAML example with one component whose properties are these."""
    stack = EngineStack(where, STACK, {}, project, source=EXAMPLES / "openstack-yaml")
    described = yaml.safe_load((stack.dir / "Pulumi.yaml").read_text())
    component = {"type": "clearwater-sg:ClearwaterSecurityGroups", "properties": properties}
    stack.write_project({**described, "resources": {"clearwater": component}, "outputs": {}})
    return stack


@_sampled(SAMPLE)
@given(config=OPENSTACK)
def test_a_yaml_program_plans_what_the_python_program_registers(
    local_openstack: LocalOpenStack, tmp_path_factory: pytest.TempPathFactory, config: Config
) -> None:
    project = local_openstack.new_project()
    stack = _yaml_stack(tmp_path_factory.mktemp("yaml"), project, written_out(config))
    planned = {(s.type, s.name) for s in stack.preview().steps if not s.type.startswith("pulumi:")}
    assert planned == {(r.type, r.name) for r in run_main(config, stack=STACK).resources}


@_sampled(HOSTILE_SAMPLE)
@given(config=hostile_configs(base=OPENSTACK, shapes=("typo", "near-miss", "twice")))
def test_a_yaml_program_refuses_what_every_path_refuses(
    local_openstack: LocalOpenStack, tmp_path_factory: pytest.TempPathFactory, config: Hostile
) -> None:
    """An input the schema does not name (a misspelt one, one under a namespace, a
    setting's second spelling, its Python name) is refused, by YAML or by the component."""
    project = local_openstack.new_project()
    before = project.snapshot()
    properties = written_out(config.settings)
    properties |= {snake_case(key): value for key, value in config.twice.items()}
    stack = _yaml_stack(tmp_path_factory.mktemp("yaml"), project, properties)
    with pytest.raises(auto_errors.CommandError) as refused:
        stack.up()
    # YAML's own type check (an unknown property, a required one misspelt), or, where
    # YAML lets it through (as beside `ipVersion: 4`, a number), the component's.
    said = str(refused.value)
    assert re.search(r"Property \S+ does not exist|is not assignable|is not a setting", said)
    assert [urn for urn in stack.state_urns() if "::pulumi:providers:" not in urn] == []
    assert project.snapshot() == before
