"""Read a stack's configuration the way the Pulumi CLI does, without the CLI.

`Pulumi.yaml` declares the project's scalar keys (types, defaults, which are required);
`stacks/Pulumi.<stack>.yaml` holds each environment's values. The CLI merges the two and
hands the program strings (structured values as JSON); so does this module, so that the
offline render and the tests feed the program exactly what `pulumi up` would.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


class StackFileError(ValueError):
    pass


@dataclass(frozen=True)
class StackConfig:
    project: str
    stack: str
    project_dir: Path
    config: dict[str, str]  # "namespace:key" -> value as the program receives it


def find_project_dir(start: Path) -> Path:
    for directory in (start, *start.parents):
        if (directory / "Pulumi.yaml").is_file():
            return directory
    raise StackFileError(f"no Pulumi.yaml in {start} or any parent directory")


def stack_file_path(project_dir: Path, stack: str) -> Path:
    project = _load_yaml(project_dir / "Pulumi.yaml")
    config_dir = project_dir / str(project.get("stackConfigDir", "."))
    return config_dir / f"Pulumi.{stack}.yaml"


def load_stack(stack_file: Path) -> StackConfig:
    """The config a stack file gives its program, after the project's declarations."""
    stack_file = stack_file.resolve()
    name = stack_file.name
    if not (name.startswith("Pulumi.") and name.endswith((".yaml", ".yml"))):
        raise StackFileError(f"{stack_file}: a stack file is named Pulumi.<stack>.yaml")
    stack = name.removeprefix("Pulumi.").rsplit(".", 1)[0]
    project_dir = find_project_dir(stack_file.parent)
    project_doc = _load_yaml(project_dir / "Pulumi.yaml")
    project = str(project_doc["name"])
    stack_doc = _load_yaml(stack_file)
    values, problems = _stack_values(stack_file, project, stack_doc.get("config"))
    if problems:
        raise StackFileError(f"{stack_file}:\n  " + "\n  ".join(problems))
    missing = []
    for key, declaration in (project_doc.get("config") or {}).items():
        full_key = _full_key(project, key)
        if full_key in values:
            _check_type(stack, key, declaration, values[full_key])
        elif isinstance(declaration, dict) and "default" in declaration:
            values[full_key] = declaration["default"]
        elif isinstance(declaration, dict) and "value" in declaration:
            values[full_key] = declaration["value"]
        elif isinstance(declaration, dict):
            missing.append(key)
        else:
            values[full_key] = declaration  # a plain value set for every stack
    if missing:
        raise StackFileError(
            f"Stack '{stack}' is missing configuration value(s) {', '.join(map(repr, missing))}"
        )
    return StackConfig(
        project=project,
        stack=stack,
        project_dir=project_dir,
        config={key: config_string(value) for key, value in values.items()},
    )


def _stack_values(path: Path, project: str, config: Any) -> tuple[dict[str, Any], list[str]]:
    """The `config:` map of a stack file by full key, and every problem found in it."""
    if config is None:
        return {}, []
    if not isinstance(config, dict):
        return {}, [f"config: must be a map of key: value, got {type(config).__name__}"]
    values: dict[str, Any] = {}
    problems = []
    for key, value in config.items():
        if not isinstance(key, str) or not key:
            problems.append(f"config: the key {key!r} is not a config key; write namespace:key")
        elif value is None:
            problems.append(
                f"{_full_key(project, key)}: has no value (YAML null); give it a value or "
                "remove the key to take the default"
            )
        elif isinstance(value, dict) and set(value) == {"secure"}:
            problems.append(
                f"{_full_key(project, key)}: is encrypted (secure), which cannot be read "
                "offline; render with a plain value, or preview with the Pulumi CLI"
            )
        else:
            values[_full_key(project, key)] = value
    return values, problems


def _full_key(project: str, key: str) -> str:
    return key if ":" in key else f"{project}:{key}"


def _check_type(stack: str, key: str, declaration: Any, value: Any) -> None:
    """The CLI's type check of a declared key (string, integer, boolean, array)."""
    if not isinstance(declaration, dict) or "type" not in declaration:
        return
    checks = {
        "string": lambda v: isinstance(v, (str, int, float)) and not isinstance(v, bool),
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "boolean": lambda v: isinstance(v, bool) or v in ("true", "false"),
        "array": lambda v: isinstance(v, list),
    }
    check = checks.get(declaration["type"])
    if check is not None and not check(value):
        raise StackFileError(
            f"Stack '{stack}' with configuration key '{key}' must be of type "
            f"'{declaration['type']}'"
        )


def config_string(value: Any) -> str:
    """A stack file value as the program receives it: scalars as text, the rest as JSON."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    return str(value)


class _StrictLoader(yaml.SafeLoader):
    """YAML as the Pulumi CLI reads it: a key written twice in one map is an error, not
    a silent last-one-wins."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, str) and key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"the key {key!r} is written twice", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _load_yaml(path: Path) -> dict[str, Any]:
    try:
        document = yaml.load(path.read_text(), Loader=_StrictLoader)  # a SafeLoader
    except (OSError, yaml.YAMLError) as exc:
        raise StackFileError(f"cannot read {path}: {exc}") from None
    if not isinstance(document, dict):
        raise StackFileError(f"{path}: expected a YAML map")
    return document
