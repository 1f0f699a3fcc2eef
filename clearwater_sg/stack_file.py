"""Read a stack's configuration the way the Pulumi CLI does, without the CLI.

`Pulumi.yaml` declares the project's scalar keys (types, defaults, which are required);
`stacks/Pulumi.<stack>.yaml` holds each environment's values. The CLI merges the two and
hands the program strings (structured values as JSON); so does this module, so that the
offline render and the tests feed the program exactly what `pulumi up` would.
"""

from __future__ import annotations

import json
import re
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
    if stack_doc.get("environment"):
        raise StackFileError(
            f"{stack_file}: imports the Pulumi ESC environment(s) "
            f"{json.dumps(stack_doc['environment'])}, whose values only the Pulumi Cloud "
            "backend knows, so the offline tools cannot render this stack as `pulumi up` "
            "sees it; preview it with the Pulumi CLI, or render a copy without `environment:`"
        )
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
        elif encrypted := _encrypted(_full_key(project, key), value):
            problems += [
                f"{where}: is encrypted (secure), which cannot be read offline; render with "
                "a plain value, or preview with the Pulumi CLI"
                for where in encrypted
            ]
        else:
            values[_full_key(project, key)] = value
    return values, problems


def _encrypted(where: str, value: Any) -> list[str]:
    """Where in a value a `secure:` value stands (the key, `key.a` or `key[0]`)."""
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            return [where]
        return [found for k, v in value.items() for found in _encrypted(f"{where}.{k}", v)]
    if isinstance(value, list):
        return [found for i, v in enumerate(value) for found in _encrypted(f"{where}[{i}]", v)]
    return []


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
    """YAML as the Pulumi CLI reads it (YAML 1.2's core schema, as Go's yaml.v3): `yes`,
    `on` and `no` are text, not booleans, and a date is text; a key written twice in one
    map is an error, not a silent last-one-wins."""

    yaml_implicit_resolvers = {}  # noqa: RUF012  (PyYAML's own class attribute, emptied)

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


# The core schema's implicit types; everything else is text.
for _tag, _pattern, _first in (
    ("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("null", r"^(?:~|null|Null|NULL|)$", "~nN"),
    ("int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789"),
    # yaml.v3 resolves dates too; the CLI then hands the program Go's text of the time.
    ("timestamp", r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt ].*)?$", "0123456789"),
    (
        "float",
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        "-+.0123456789",
    ),
):
    _first_chars = [*_first, ""] if _tag == "null" else list(_first)
    _StrictLoader.add_implicit_resolver(
        f"tag:yaml.org,2002:{_tag}", re.compile(_pattern), _first_chars
    )


def _construct_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    """An integer as yaml.v3 reads it: 0x hex, 0o octal, and a leading 0 octal too."""
    text = str(loader.construct_scalar(node))
    sign, digits = (-1, text[1:]) if text.startswith("-") else (1, text.lstrip("+"))
    if digits.startswith(("0x", "0o")):
        return sign * int(digits[2:], 16 if digits[1] == "x" else 8)
    return sign * int(digits, 8 if len(digits) > 1 and digits.startswith("0") else 10)


def _refuse_timestamp(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    text = loader.construct_scalar(node)
    raise yaml.constructor.ConstructorError(
        None,
        None,
        f"{text!r} is a date to YAML, which the Pulumi CLI hands the program in Go's "
        "format ('2026-12-02 00:00:00 +0000 UTC'); quote it to keep it as written",
        node.start_mark,
    )


_StrictLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", _refuse_timestamp)


def _load_yaml(path: Path) -> dict[str, Any]:
    try:
        document = yaml.load(path.read_text(), Loader=_StrictLoader)  # a SafeLoader
    except (OSError, yaml.YAMLError) as exc:
        raise StackFileError(f"cannot read {path}: {exc}") from None
    if not isinstance(document, dict):
        raise StackFileError(f"{path}: expected a YAML map")
    return document
