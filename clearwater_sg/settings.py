"""The one module that reads stack configuration.

Pulumi hands every config value to the program as a string (structured values as JSON).
This module decodes the project's keys, validates them all at once, and turns a mistake
into a single `pulumi.RunError` that names the key and what is allowed: Pulumi prints
that without a traceback, and nothing has been registered yet.
"""

from __future__ import annotations

import difflib
import json
from typing import Any

import pulumi
import pulumi.runtime.config as runtime_config
from pydantic import ValidationError

from clearwater_sg.options import DeploymentOptions

# Keys whose values are structured (YAML lists/maps in the stack file, JSON on the wire).
_STRUCTURED = {
    "roles": "list",
    "worldCidrs": "list",
    "sshSources": "list",
    "snmpSources": "list",
    "tags": "map",
}
_BOOLEAN = {"memento", "hss", "protect"}
KNOWN_KEYS = tuple(field.alias or name for name, field in DeploymentOptions.model_fields.items())


def load_options() -> DeploymentOptions:
    """The validated options of the running stack, or a RunError naming every bad key."""
    namespace = pulumi.get_project()
    raw = project_config(namespace)
    try:
        return DeploymentOptions.model_validate(raw)
    except ValidationError as exc:
        raise pulumi.RunError(describe_errors(exc, namespace)) from None


def project_config(namespace: str) -> dict[str, Any]:
    """Every config value set in the project's namespace, decoded."""
    values: dict[str, Any] = {}
    for full_key in sorted(_config_keys()):
        prefix, _, key = full_key.partition(":")
        if prefix != namespace:
            continue
        raw = pulumi.Config(namespace).get(key)
        if raw is not None:
            values[key] = _decode(namespace, key, raw)
    return values


def _config_keys() -> set[str]:
    # The language host passes config in PULUMI_CONFIG; the mock engine sets it directly.
    return set(runtime_config.get_config_env()) | set(runtime_config.CONFIG.get())


def _decode(namespace: str, key: str, raw: str) -> Any:
    if key in _BOOLEAN:
        return {"true": True, "false": False}.get(raw.strip().lower(), raw)
    shape = _STRUCTURED.get(key)
    if shape is None:
        return raw
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = raw
    expected = list if shape == "list" else dict
    if not isinstance(value, expected):
        example = "a YAML list" if shape == "list" else "a YAML map of key: value"
        raise pulumi.RunError(f"{namespace}:{key}: must be {example}, got {raw!r}")
    return value


def describe_errors(exc: ValidationError, namespace: str) -> str:
    """One line per problem, each starting with the config key it is about."""
    lines = []
    for error in exc.errors():
        location = [str(part) for part in error["loc"]]
        if location and location[0] in DeploymentOptions.model_fields:
            # Defaults validated in place are reported by field name; config uses aliases.
            location[0] = DeploymentOptions.model_fields[location[0]].alias or location[0]
        key = location[0] if location else ""
        message = error["msg"].removeprefix("Value error, ")
        if message.startswith("[") and "] " in message:
            index, message = message[1:].split("] ", 1)
            key = f"{key}[{index}]"
        elif len(location) > 1:
            key += "".join(f"[{part}]" for part in location[1:])
        if error["type"] == "extra_forbidden":
            close = difflib.get_close_matches(location[0], KNOWN_KEYS, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            message = f"is not a setting of this program; {hint}known keys: {', '.join(KNOWN_KEYS)}"
        elif error["type"] == "missing":
            message = "is required" + (" (aws or openstack)" if key == "cloud" else "")
        elif error["type"] in ("bool_type", "bool_parsing"):
            message = f"must be true or false, got {error['input']!r}"
        elif error["type"] == "enum":
            message = f"{message}, got {error['input']!r}"
        lines.append(f"{namespace}:{key}: {message}")
    return "invalid stack configuration:\n  " + "\n  ".join(lines)
