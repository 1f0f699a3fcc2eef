"""The one module that reads stack configuration.

Pulumi hands every config value to the program as a string (structured values as JSON).
This module decodes the project's keys, validates them all at once, and turns a mistake
into a single `pulumi.RunError` that names the key and what is allowed: Pulumi prints
that without a traceback, and nothing has been registered yet.

What the CLI hides before the program sees its configuration (a key written under two
spellings, of which it keeps one at random; a null, which it hands on as text) is read
from the stack file itself, with the offline tools' own check
(`clearwater_sg.stack_file.config_values`); keys under a namespace that only looks like
the project's are refused too.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

import pulumi
import pulumi.runtime.config as runtime_config
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from clearwater_sg.errors import ConfigurationError
from clearwater_sg.options import DeploymentOptions, Limits
from clearwater_sg.stack_file import (
    ConfigProblem,
    near_miss_namespaces,
    program_stack_problems,
    within,
)
from clearwater_sg.types import key_path


def _wire_shape(annotation: object) -> str:
    """How Pulumi passes a setting of this type: lists and maps as JSON text."""
    members = [arg for arg in get_args(annotation) if arg is not type(None)]
    if get_origin(annotation) in (Union, UnionType) and len(members) == 1:
        annotation = members[0]  # an optional setting is passed like the setting
    if get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    origin = get_origin(annotation) or annotation
    if origin is tuple:
        return "list"
    if origin is dict or (isinstance(origin, type) and issubclass(origin, BaseModel)):
        return "map"
    return "boolean" if annotation is bool else "text"


# Derived from the model, so a new setting is decoded the way its type asks.
_SHAPES = {
    field.alias or name: _wire_shape(field.annotation)
    for name, field in DeploymentOptions.model_fields.items()
}
KNOWN_KEYS = tuple(field.alias or name for name, field in DeploymentOptions.model_fields.items())
LIMIT_KEYS = tuple(field.alias or name for name, field in Limits.model_fields.items())


def _mentions_output(annotation: object) -> bool:
    return get_origin(annotation) is pulumi.Output or any(
        _mentions_output(arg) for arg in get_args(annotation)
    )


# The settings that may be Outputs (ids a program makes), derived from the model.
_OUTPUT_SETTINGS = [
    f"each value of {field.alias}" if _SHAPES[str(field.alias)] == "map" else str(field.alias)
    for field in DeploymentOptions.model_fields.values()
    if _mentions_output(field.annotation)
]
OUTPUT_REFUSED = (
    "is an Output, a value known only once the program runs; it decides which groups and "
    "rules exist and how they are named, so it must be written out. Only ids may be "
    f"Outputs: {', '.join(_OUTPUT_SETTINGS)} (a map of Outputs, not an Output of a map)"
)


def load_options() -> DeploymentOptions:
    """The validated options of the running stack, or a RunError naming every bad key."""
    namespace = pulumi.get_project()
    config = pulumi.Config(namespace)
    keys = _config_keys()
    found = _own_stack_file_problems(namespace) + near_miss_namespaces(sorted(keys), namespace)
    problems = list(dict.fromkeys(found))  # a near miss in the stack file is in both
    raw = {
        key: value
        for full_key in sorted(keys)
        for prefix, _, key in [full_key.partition(":")]
        if prefix == namespace and (value := config.get(key)) is not None
    }
    return options_from_config(raw, namespace, problems)


def _own_stack_file_problems(namespace: str) -> list[ConfigProblem]:
    """The problems of the stack file the CLI read for this run, in the project directory:
    the one the language host names, or, from a host too old to name it (None), the
    working directory, where Pulumi runs a program. An empty name (the offline runner
    without a stack file) means there is none to read."""
    root = pulumi.get_root_directory()
    directory = Path.cwd() if root is None else Path(root) if root else None
    if directory is None or not directory.is_dir():
        return []
    return program_stack_problems(directory, namespace, pulumi.get_stack())


def options_from_config(
    raw: Mapping[str, str], namespace: str, problems: Sequence[ConfigProblem] = ()
) -> DeploymentOptions:
    """Options from config values as Pulumi passes them (key without namespace -> text),
    refused with `problems` (full key, what is wrong) found before, if any.

    A setting refused whole before is validated as a null, which is refused, as Python's
    None is: the rest is judged as it would be with that setting given and wrong (a
    refused `ipVersion` does not make an IPv6 `worldCidrs` wrong). What the model says
    where a problem was found before is left to that problem."""
    values = {key: _decode(key, text) for key, text in raw.items()}
    values |= {
        key.removeprefix(f"{namespace}:"): None
        for key, _ in problems
        if key.startswith(f"{namespace}:") and not re.search(r"[.\[]", key)
    }
    try:
        options = DeploymentOptions.model_validate(values)
    except ValidationError as exc:
        found = [
            (where, message)
            for key, message in map(describe_error, exc.errors())
            for where in [f"{namespace}:{key}"]
            if not any(within(where, said) for said, _ in problems)
        ]
        raise pulumi.RunError(str(ConfigurationError([*problems, *found], HEADING))) from None
    if problems:
        raise pulumi.RunError(str(ConfigurationError(list(problems), HEADING)))
    return options


def _config_keys() -> set[str]:
    # The language host passes config in PULUMI_CONFIG; the mock engine sets it directly.
    return set(runtime_config.get_config_env()) | set(runtime_config.CONFIG.get())


def _decode(key: str, raw: str) -> Any:
    """The value Pulumi passed as text, decoded as the setting's type wants it.

    Text that does not decode is passed on as it is: the model then reports it with every
    other mistake, at its key, instead of stopping at the first.
    """
    shape = _SHAPES.get(key, "text")  # an unknown key is reported by the model
    if shape == "boolean":
        return {"true": True, "false": False}.get(raw.strip().lower(), raw)
    if shape == "text":
        return raw
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw


HEADING = "invalid stack configuration"


def describe_error(error: ErrorDetails) -> tuple[str, str]:
    """The config key a validation error is about (as a stack file writes it), and what
    is wrong, in words that say what is allowed."""
    # "[key]" marks an error in a map's key rather than its value; the key names it anyway.
    location = [part for part in error["loc"] if part != "[key]"]
    if location and location[0] in DeploymentOptions.model_fields:
        # Defaults validated in place are reported by field name; config uses aliases.
        location[0] = DeploymentOptions.model_fields[str(location[0])].alias or location[0]
    key = key_path(tuple(location))
    message = error["msg"].removeprefix("Value error, ")
    if isinstance(error["input"], pulumi.Output):
        message = OUTPUT_REFUSED
    elif error["type"] in ("tuple_type", "list_type"):
        message = f"must be a YAML list, got {error['input']!r}"
    elif error["type"] in ("dict_type", "model_type", "model_attributes_type"):
        message = f"must be a YAML map of key: value, got {error['input']!r}"
    elif error["type"] == "string_type":
        message = f"must be text, got {error['input']!r}"
    elif error["type"] == "extra_forbidden":
        known = KNOWN_KEYS if len(location) == 1 else LIMIT_KEYS
        close = difflib.get_close_matches(str(location[-1]), known, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        message = f"is not a setting of clearwater-sg; {hint}known keys: {', '.join(known)}"
    elif error["type"] == "missing":
        message = "is required" + (" (aws or openstack)" if key == "cloud" else "")
    elif error["type"] == "too_short":
        message = "is empty; give at least one entry, or remove it"
    elif error["type"] in ("int_type", "int_parsing", "int_from_float"):
        message = f"must be a whole number, got {error['input']!r}"
    elif error["type"] in ("bool_type", "bool_parsing"):
        message = f"must be true or false, got {error['input']!r}"
    elif error["type"] == "enum":
        message = f"{message}, got {error['input']!r}"
    return key, message
