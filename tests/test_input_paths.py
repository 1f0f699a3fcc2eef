"""One configuration, one reading, whatever the path (issue 24): a differential property
test over generated configurations, valid and hostile (tests/strategies.py), each given

* as a stack file, rendered by the offline runner (`offline.runner.run_stack`), which
  runs the bundled program as the CLI does, the program reading its own stack file;
* as Python arguments: `DeploymentOptions(**kwargs)` by the Python names, then the
  component;
* as the package's inputs, through the package's provider as another language's inputs
  arrive (numbers as floats), with the settings a package caller must write out written
  out as the README gives their defaults (`with_defaults_written_out`); and as given,
  where absence can only be refused. YAML the CLI rewrites (`!!binary`, a float, a date)
  is a stack file's only: there the stack file and Python are compared.

The three must register the same resources (type, name, inputs), or all refuse, naming
the same settings with the same words (a key written twice, a near-miss namespace and a
null each path words its own way: there only the setting is compared). No path may ever
register what the Python options model would not: the package given its settings as
they are either registers what Python registers or refuses.

tests/engine/test_input_paths.py runs a sample of the same through the real engine from
a YAML program.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pulumi
import yaml
from hypothesis import event, given
from pulumi.errors import InputPropertiesError

from clearwater_sg import ClearwaterSecurityGroups, ConfigurationError, DeploymentOptions
from clearwater_sg.package import WRITTEN_OUT
from clearwater_sg.stack_file import StackFileError
from harness import PROJECT, PROJECT_DIR
from offline.runner import run_program, run_stack
from tests.package_inputs import COMPONENT, STACK, Registrations, construct, reasons
from tests.strategies import (
    NAMESPACE,
    Config,
    Hostile,
    derandomized,
    hostile_configs,
    snake_case,
    valid_configs,
    with_defaults_written_out,
)

# Each example runs the program three or four times (about 0.3 s in all).
VALID_EXAMPLES = 60
HOSTILE_EXAMPLES = 150

# What a path did with a configuration: the resources it registered, or its refusal, by
# setting (`sshSources[0]`, `clearwater_sg:sshSources`) or, for a plan that cannot be
# made (the quota pre-flight), its message under "".
Outcome = Registrations | dict[str, str]
_PROBLEM = re.compile(r"^  (?P<key>\S+?): (?P<message>.*)$")
# Pulumi.yaml declares `cloud`, so the CLI refuses a stack without it before the program
# runs (and the offline reader with it): that refusal names only `cloud`.
_DECLARED_MISSING = re.compile(r"is missing configuration value\(s\) '(?P<key>[^']+)'")
CLI_REFUSED = "refused by the CLI before the program runs"


def _problems(message: str) -> dict[str, str]:
    """The problems of a refusal printed as `heading:` then `  key: what is wrong` lines,
    keys without the project's namespace."""
    lines = message.splitlines()
    found = {m["key"]: m["message"] for line in lines[1:] if (m := _PROBLEM.match(line))}
    if not found:
        return {"": message}
    return {key.removeprefix(f"{NAMESPACE}:"): text for key, text in found.items()}


def by_stack_file(config: Hostile) -> Outcome:
    """The configuration as a stack file (`key` spellings for `twice`), rendered."""
    written: dict[str, Any] = {
        key if ":" in key else f"{NAMESPACE}:{key}": value for key, value in config.settings.items()
    }
    written |= config.twice  # the same setting without its namespace
    with tempfile.TemporaryDirectory() as directory:
        project = Path(directory)
        (project / "stacks").mkdir()
        (project / "Pulumi.yaml").write_text((PROJECT_DIR / "Pulumi.yaml").read_text())
        (project / "__main__.py").symlink_to(PROJECT_DIR / "__main__.py")
        stack_file = project / "stacks" / f"Pulumi.{STACK}.yaml"
        stack_file.write_text(yaml.safe_dump({"config": written}, sort_keys=False))
        try:
            _, recording = run_stack(stack_file)
        except (pulumi.RunError, StackFileError) as refused:
            if missing := _DECLARED_MISSING.search(str(refused)):
                return {missing["key"]: CLI_REFUSED}
            return _problems(str(refused))
    return sorted((r.type, r.name, r.inputs) for r in recording.resources)


def by_python(config: Hostile) -> Outcome:
    """The configuration as keyword arguments: Python names, and for `twice` the stack
    file's name too."""
    kwargs = {snake_case(key) if ":" not in key else key: v for key, v in config.settings.items()}
    kwargs |= config.twice
    try:
        options = DeploymentOptions(**kwargs)
    except ConfigurationError as refused:
        return dict(refused.problems)

    def program() -> None:
        ClearwaterSecurityGroups(COMPONENT, options)

    try:
        recording = run_program(program, project=PROJECT, stack=STACK, config={})
    except pulumi.RunError as refused:
        return {"": str(refused)}
    return sorted((r.type, r.name, r.inputs) for r in recording.resources)


def by_package(settings: Config, twice: Config) -> Outcome:
    """The configuration as the package's inputs (schema names; for `twice` the Python
    name too, as a caller that sends inputs itself could)."""
    inputs = {**settings, **{snake_case(key): value for key, value in twice.items()}}
    try:
        recording = construct(inputs)
    except InputPropertiesError as refused:
        return reasons(refused)
    return sorted((r.type, r.name, r.inputs) for r in recording.resources)


def _setting(key: str) -> str:
    """The setting a problem is about, by its Python name (`ssh_sources` for
    `sshSources[0]`): Python names a mistyped setting as it was typed, in snake case."""
    return snake_case(re.split(r"[.\[]", key, maxsplit=1)[0])


def _by_setting(problems: dict[str, str]) -> dict[str, str]:
    """Problems keyed by the setting's Python name and the place in it (`ssh_sources[0]`)."""
    return {
        _setting(key) + key[len(re.split(r"[.\[]", key, maxsplit=1)[0]) :]: message
        for key, message in problems.items()
    }


def assert_same_refusal(
    expected: dict[str, str], found: dict[str, str], worded_per_path: frozenset[str]
) -> None:
    expected, found = _by_setting(expected), _by_setting(found)
    worded = {_setting(key) for key in worded_per_path}
    if CLI_REFUSED in found.values():
        assert set(found) <= set(expected), f"the CLI refused what Python does not: {found}"
        return
    assert set(found) == set(expected), f"settings refused differ:\n{expected}\n{found}"
    for key, message in expected.items():
        if _setting(key) not in worded:
            assert found[key] == message, key


def assert_same_outcome(expected: Outcome, found: Outcome, worded: frozenset[str]) -> None:
    if isinstance(expected, dict) or isinstance(found, dict):
        assert isinstance(expected, dict), f"refused what Python accepts: {found}"
        assert isinstance(found, dict), f"accepted what Python refuses: {expected}"
        assert_same_refusal(expected, found, worded)
    else:
        assert found == expected, "a different plan from Python's"


def _check(config: Hostile) -> None:
    python = by_python(config)
    event("refused" if isinstance(python, dict) else "planned")
    assert_same_outcome(python, by_stack_file(config), config.worded_per_path)
    if config.stack_file_only:
        return

    # The package, its settings written out: what Python does, or more refusals only where
    # the writing out put a value (a default copied from a setting that is itself wrong).
    written = with_defaults_written_out(config.settings)
    package = by_package(written, config.twice)
    if isinstance(python, dict) and isinstance(package, dict):
        filled = {_setting(key) for key in written if key not in config.settings}
        python_keys = set(_by_setting(python))
        extra = {k: v for k, v in _by_setting(package).items() if k not in python_keys}
        assert {_setting(k) for k in extra} <= filled, package
        assert_same_refusal(
            python,
            {k: v for k, v in _by_setting(package).items() if k in python_keys},
            config.worded_per_path,
        )
    else:
        assert_same_outcome(python, package, config.worded_per_path)

    # The package, its settings as they are: never a plan Python would not make.
    as_given = by_package(config.settings, config.twice)
    if isinstance(as_given, dict) and not isinstance(python, dict):
        assert set(as_given) <= set(WRITTEN_OUT), as_given  # only absence, refused
    elif not isinstance(as_given, dict):
        assert as_given == python, "the package planned what Python does not"


@derandomized(VALID_EXAMPLES)
@given(config=valid_configs())
def test_a_valid_configuration_registers_the_same_by_every_path(config: Config) -> None:
    _check(Hostile(config))


@derandomized(HOSTILE_EXAMPLES)
@given(config=hostile_configs())
def test_a_hostile_configuration_is_refused_alike_by_every_path(config: Hostile) -> None:
    for shape in config.shapes:
        event(f"shape: {shape}")
    assert isinstance(by_python(config), dict), "every shape is refused, by Python first"
    _check(config)


def test_the_comparison_tells_paths_apart() -> None:
    """The outcomes compared above are what was registered: a plan differs from another
    plan, and from a refusal."""
    one = Hostile({"cloud": "openstack", "roles": ["sprout"]})
    other = Hostile({"cloud": "openstack", "roles": ["sprout", "dime"]})
    assert by_python(one) != by_python(other)
    assert isinstance(by_stack_file(Hostile({"cloud": "openstack", "roles": []})), Mapping)
