"""The generated files a pull request carries: one JSON snapshot per stack, the package's
args type (`clearwater_sg/package_args.py`), and the README's matrix table and diagram.
Each is computed, compared and written here, so the refresh command and the tests that
guard it agree on exactly what "current" means."""

from __future__ import annotations

import difflib
import json
import types
import typing
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from pulumi import Output
from pydantic import BaseModel

from clearwater_sg.options import DeploymentOptions
from clearwater_sg.resources import AWS_GROUP_FIELDS, OPENSTACK_GROUP_FIELDS
from clearwater_sg.stack_file import stack_file_path
from offline.formats import to_json, to_markdown, to_mermaid
from offline.synth import synthesize

SNAPSHOTS_DIR = "snapshots"
README = "README.md"
# The README documents the full distributed deployment: every role, Memento, HSS, SNMP.
README_STACK = "aws-prod"
REFRESH_COMMAND = "make snapshots"


class MarkerError(ValueError):
    """The README lacks a marker pair the generated content goes between."""


@dataclass(frozen=True)
class Generated:
    """A file as it should be; `content` None means the file should not exist."""

    path: Path
    content: str | None
    label: str  # how a diff names the file: "snapshots/aws-prod.json"

    def current(self) -> str | None:
        return self.path.read_text() if self.path.is_file() else None

    def is_current(self) -> bool:
        return self.current() == self.content

    def diff(self) -> str:
        """A unified diff from the file as it is to the file as it should be."""
        return "".join(
            difflib.unified_diff(
                (self.current() or "").splitlines(keepends=True),
                (self.content or "").splitlines(keepends=True),
                fromfile=f"{self.label} (committed)",
                tofile=f"{self.label} (synthesized now)",
            )
        )

    def write(self) -> None:
        if self.content is None:
            self.path.unlink(missing_ok=True)
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text(self.content)


# The group fields of a snapshot a change of which makes the cloud's provider replace the
# group (AWS: name and description; its VPC is not in a snapshot; Neutron: none).
REPLACING_FIELDS = {
    cloud: tuple(spec.name for spec in fields if spec.replaces and spec.name != "namePrefix")
    for cloud, fields in (("aws", AWS_GROUP_FIELDS), ("openstack", OPENSTACK_GROUP_FIELDS))
}


def replaced_groups(generated: Generated) -> list[str]:
    """The groups a snapshot's change would make the cloud replace, each with why.

    A replaced group is deleted and created again: with fixed names AWS deletes it first,
    and running nodes lose it (see groupNames in the README)."""
    before, after = generated.current(), generated.content
    if before is None or after is None or generated.path.suffix != ".json":
        return []  # a new or removed snapshot, or the README: no group is replaced
    old, new = json.loads(before), json.loads(after)
    fields = REPLACING_FIELDS.get(str(new.get("cloud")), ())
    old_groups = {group["key"]: group for group in old.get("groups", [])}
    return [
        f"{generated.label}: replaces group {group['key']} ({field}: "
        f"{old_groups[group['key']][field]!r} -> {group[field]!r})"
        for group in new.get("groups", [])
        if group["key"] in old_groups
        for field in fields
        if old_groups[group["key"]].get(field) != group.get(field)
    ]


def stack_files(project_dir: Path) -> list[Path]:
    """Every stack file of the project, in its stackConfigDir."""
    config_dir = stack_file_path(project_dir, README_STACK).parent  # any stack's directory
    return sorted(config_dir.glob("Pulumi.*.yaml"))


def stack_name(stack_file: Path) -> str:
    return stack_file.name.removeprefix("Pulumi.").rsplit(".", 1)[0]


def snapshot(project_dir: Path, stack_file: Path) -> Generated:
    """snapshots/<stack>.json: the stack's synthesized JSON."""
    name = f"{SNAPSHOTS_DIR}/{stack_name(stack_file)}.json"
    return Generated(project_dir / name, to_json(synthesize(stack_file)), name)


def snapshots(project_dir: Path) -> list[Generated]:
    """One JSON snapshot per stack, the removal of snapshots whose stack is gone, and the
    package's args type."""
    wanted = [snapshot(project_dir, stack_file) for stack_file in stack_files(project_dir)]
    kept = {generated.path for generated in wanted}
    stale = sorted(set((project_dir / SNAPSHOTS_DIR).glob("*.json")) - kept)
    removed = [Generated(path, None, f"{SNAPSHOTS_DIR}/{path.name}") for path in stale]
    return [*wanted, *removed, package_args(project_dir)]


# --- The component's args type, from which Pulumi infers the package schema -----------

PACKAGE_ARGS = "clearwater_sg/package_args.py"
_ARGS_HEADER = '''"""The inputs of the `ClearwaterSecurityGroups` package, as every language gives
them: generated from `DeploymentOptions` by `{command}`; edits here are overwritten.

Pulumi infers the package schema from these types and docstrings
(`clearwater_sg.package`); what arrives is validated by `DeploymentOptions`, the one
options model, so every language gets the same checks and messages. Every input is plain,
known when the program runs, but the ids the options take as Outputs: those are Inputs,
value by value.
"""

from typing import NotRequired, TypedDict

import pulumi

{imports}
'''


def package_args(project_dir: Path) -> Generated:
    """clearwater_sg/package_args.py: one TypedDict per options model, each field an input
    with its type as the schema knows it and its description as its docstring."""
    models: dict[str, type[BaseModel]] = {}
    pending: dict[str, type[BaseModel]] = {"ClearwaterSecurityGroupsArgs": DeploymentOptions}
    enums: set[type[Enum]] = set()
    while pending:
        name, model = pending.popitem()
        models.setdefault(name, model)
        for field in model.model_fields.values():
            _args_type(field.annotation, pending, enums)
    by_module: dict[str, list[str]] = {}
    for enum in enums:
        by_module.setdefault(enum.__module__, []).append(enum.__name__)
    imports = [
        f"from {m} import {', '.join(sorted(names))}" for m, names in sorted(by_module.items())
    ]
    classes = [_args_class(name, model, enums) for name, model in reversed(models.items())]
    text = _ARGS_HEADER.format(command=REFRESH_COMMAND, imports="\n".join(imports))
    return Generated(project_dir / PACKAGE_ARGS, text + "".join(classes), PACKAGE_ARGS)


def _args_class(name: str, model: type[BaseModel], enums: set[type[Enum]]) -> str:
    summary = " ".join((model.__doc__ or name).split("\n\n")[0].split())
    lines = [f"\n\nclass {name}(TypedDict):", *_docstring(summary), ""]
    for field_name, field in model.model_fields.items():
        shown = _args_type(field.annotation, {}, enums)
        lines.append(
            f"    {field_name}: {shown if field.is_required() else f'NotRequired[{shown}]'}"
        )
        lines += _docstring(str(field.description))
    return "\n".join(lines) + "\n"


def _docstring(text: str) -> list[str]:
    """`text` as an indented docstring on one line: Pulumi copies it, as it is, into the
    schema's description."""
    return [f'    """{text}"""']


def _args_type(
    annotation: object, nested: dict[str, type[BaseModel]], enums: set[type[Enum]]
) -> str:
    """A field's type as a schema input: lists for tuples, maps of strings, enums by name,
    a nested model as its own args type (added to `nested`), no validators. Plain (known
    when the program runs), but where the options take an Output: there, an Input, value
    by value (`dict[str, pulumi.Input[str]]`)."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Annotated:
        return _args_type(args[0], nested, enums)
    if origin in (typing.Union, types.UnionType):
        kept = [a for a in args if a is not type(None) and typing.get_origin(a) is not Output]
        shown = _args_type(kept[0], nested, enums)
        outputs = any(typing.get_origin(a) is Output for a in args)
        return f"pulumi.Input[{shown}]" if outputs else shown
    if origin is typing.Literal:
        return "str"
    if origin is tuple:
        return f"list[{_args_type(args[0], nested, enums)}]"
    if origin is dict:
        return f"dict[str, {_args_type(args[1], nested, enums)}]"
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        enums.add(annotation)
        return annotation.__name__
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        nested[annotation.__name__] = annotation
        return annotation.__name__
    assert annotation in (str, int, bool), annotation
    return typing.cast(type, annotation).__name__


def readme(project_dir: Path, readme_path: Path | None = None) -> Generated:
    """The README with its matrix and diagram blocks regenerated from the README stack."""
    path = readme_path or project_dir / README
    synth = synthesize(stack_file_path(project_dir, README_STACK))
    note = (
        f"<!-- Generated from stacks/Pulumi.{README_STACK}.yaml by `{REFRESH_COMMAND}`; "
        "edits here are overwritten. -->"
    )
    text = path.read_text()
    text = replace_block(text, "matrix", f"{note}\n\n{to_markdown(synth)}")
    text = replace_block(text, "diagram", f"{note}\n\n```mermaid\n{to_mermaid(synth)}```\n")
    return Generated(path, text, path.name)


def replace_block(text: str, name: str, content: str) -> str:
    """Replace what lies between `<!-- synth:NAME:begin -->` and its end marker."""
    begin, end = f"<!-- synth:{name}:begin -->", f"<!-- synth:{name}:end -->"
    start = text.find(begin)
    stop = text.find(end, start + len(begin)) if start >= 0 else -1
    if start < 0 or stop < 0:
        raise MarkerError(f"the README needs the markers {begin} and {end}, in that order")
    body = content.rstrip("\n")
    # The blank line ends a Markdown table before the end marker.
    return f"{text[: start + len(begin)]}\n{body}\n\n{text[stop:]}"
