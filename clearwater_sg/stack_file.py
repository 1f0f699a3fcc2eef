"""Read a stack's configuration the way the Pulumi CLI does, without the CLI.

`Pulumi.yaml` declares the project's scalar keys (types, defaults, which are required);
`stacks/Pulumi.<stack>.yaml` holds each environment's values. The CLI merges the two and
hands the program strings (structured values as JSON); so does this module, so that the
offline render and the tests feed the program exactly what `pulumi up` would.

What the CLI would not hand on as written (a key under two spellings, a null, YAML it
rewrites) is refused by key, by `config_values`: the one check, which the program also
runs on its own stack file (`clearwater_sg.stack_config`).
"""

from __future__ import annotations

import datetime
import difflib
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from clearwater_sg.types import NO_VALUE, found_in, key_path

# A config key as a stack file writes it ("clearwater-sg:sshSources", "...[0]"), and what
# is wrong with it.
ConfigProblem = tuple[str, str]


class StackFileError(ValueError):
    pass


@dataclass(frozen=True)
class Unread:
    """A YAML value the Pulumi CLI rewrites before a program sees it (a `!!binary`
    string decoded, a date in Go's format, a float or a huge integer reformatted): read
    as its text, and refused in the project's keys."""

    text: str
    problem: str

    def __str__(self) -> str:
        return self.text


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


def stack_file_path(project_dir: Path, stack: str, suffix: str = ".yaml") -> Path:
    """Where the Pulumi CLI keeps a stack's file: beside the project file, or in its
    `stackConfigDir`, with the project file's extension."""
    project = _load_yaml(project_dir / f"Pulumi{suffix}")
    config_dir = project_dir / str(project.get("stackConfigDir", "."))
    return config_dir / f"Pulumi.{stack.replace('/', '-')}{suffix}"


def load_stack(stack_file: Path) -> StackConfig:
    """The config a stack file gives its program, after the project's declarations; a
    StackFileError naming each problem of it."""
    stack, problems = read_stack(stack_file)
    if problems:
        raise StackFileError(stack_file_problems(stack_file, problems))
    return stack


def stack_file_problems(stack_file: Path, problems: list[ConfigProblem]) -> str:
    return f"{stack_file.resolve()}:\n  " + "\n  ".join(f"{k}: {m}" for k, m in problems)


def read_stack(stack_file: Path) -> tuple[StackConfig, list[ConfigProblem]]:
    """The config a stack file gives its program, without the keys `config_values`
    refuses, and those problems: the program, run where it finds its stack file, reports
    them itself with the rest. What cannot be read offline at all is a StackFileError."""
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
            f"{json.dumps(stack_doc['environment'], default=str)}, whose values only the "
            "Pulumi Cloud backend knows, so the offline tools cannot render this stack as "
            "`pulumi up` sees it; preview it with the Pulumi CLI, or render a copy without "
            "`environment:`"
        )
    values, problems = config_values(project, stack_doc.get("config"))
    encrypted = [
        (
            where,
            "is encrypted (secure), which cannot be read offline; render with a plain "
            "value, or preview with the Pulumi CLI",
        )
        for key, value in values.items()
        for where in _encrypted(key, value)
    ]
    if encrypted:
        raise StackFileError(stack_file_problems(stack_file, encrypted))
    refused = {key for key, _ in problems}
    missing = []
    for key, declaration in (project_doc.get("config") or {}).items():
        full_key = _full_key(project, key)
        if full_key in values:
            _check_type(stack, key, declaration, values[full_key])
        elif full_key in refused or "config" in refused:
            continue  # its problem, or the config map's, says why
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
    config = {key: config_string(value) for key, value in values.items()}
    return StackConfig(project, stack, project_dir, config), problems


def program_stack_problems(root: Path, project: str, stack: str) -> list[ConfigProblem]:
    """The stack file the Pulumi CLI read for this program's run, checked as
    `config_values` checks it: what the CLI hides from the program (one of two spellings
    of a key, kept at random; a null, handed on as text) is seen only here. Nothing when
    the project has no such file (its configuration came from elsewhere)."""
    suffix = next((s for s in (".yaml", ".yml") if (root / f"Pulumi{s}").is_file()), None)
    if suffix is None:
        return []
    try:
        path = stack_file_path(root, stack, suffix)
        document = _load_yaml(path) if path.is_file() else {}
    except StackFileError as exc:
        return [("stack file", str(exc))]
    return config_values(project, document.get("config"))[1]


def config_values(project: str, config: Any) -> tuple[dict[str, Any], list[ConfigProblem]]:
    """The `config:` map of a stack file by full key, and every problem that would make the
    program receive something other than what is written: the one check of a stack
    file, which the program runs on its own stack file and the offline tools on theirs.

    * a key of this project written twice (`sshSources` and `clearwater-sg:sshSources`):
      the CLI merges the two spellings in a random order, run by run;
    * a key under a namespace that only looks like the project's (`clearwater_sg:`),
      which the program would never read;
    * a null (a list whose entries are all commented out is one), which the CLI hands
      on as an empty string today and says it will hand on as null;
    * YAML that the CLI rewrites before the program sees it, in this project's keys: an
      explicit tag (`!!binary`), a date, a float, an integer beyond int64.
    """
    if config is None:
        return {}, []
    if not isinstance(config, dict):
        return {}, [("config", f"must be a map of key: value, got {type(config).__name__}")]
    values: dict[str, Any] = {}
    spelled: dict[str, str] = {}
    problems: list[ConfigProblem] = []
    for key, value in config.items():
        if not isinstance(key, str) or not key:
            problems.append(("config", f"the key {key!r} is not a config key; write namespace:key"))
            continue
        full_key = _full_key(project, key)
        if full_key in spelled:
            # Refused as written twice: what the other spelling's value holds is not read.
            problems = [(k, m) for k, m in problems if not within(k, full_key)]
            problems.append(
                (
                    full_key,
                    f"is written twice, as {spelled[full_key]!r} and {key!r}; the Pulumi CLI "
                    "keeps one of the two at random, run by run: keep one",
                )
            )
            values.pop(full_key, None)
            continue
        spelled[full_key] = key
        if not full_key.startswith(f"{project}:"):
            # Another namespace's, read by its owner: a null as the CLI hands it on today.
            values[full_key] = "" if value is None else value
        else:
            problems += _unread(full_key, value)
            if value is not None and not isinstance(value, Unread):
                values[full_key] = value  # as the CLI hands it on; its problems refuse it
    problems += near_miss_namespaces(values, project)
    return values, problems


def within(key: str, setting: str) -> bool:
    """Whether a config key is `setting` or inside it (`ns:tags.owner` in `ns:tags`)."""
    return key == setting or key.startswith((f"{setting}.", f"{setting}["))


# In YAML, a list whose entries are all commented out is null too.
_NULL = f"{NO_VALUE}; a YAML list whose entries are all commented out is null"


def near_miss_namespaces(keys: Iterable[str], project: str) -> list[ConfigProblem]:
    """Keys under a namespace that looks like the project's but is not: the program never
    reads them, so the setting meant would silently take its default."""
    problems: list[ConfigProblem] = []
    for key in keys:
        namespace, colon, setting = key.partition(":")
        if colon and namespace != project and _looks_like(namespace, project):
            problems.append(
                (
                    key,
                    f"the namespace {namespace!r} is not this project's ({project!r}): the "
                    f"program never reads this key, and {setting} would take its default; "
                    f"write {project}:{setting} (or {setting} alone)",
                )
            )
    return problems


def _looks_like(namespace: str, project: str) -> bool:
    def squashed(text: str) -> str:
        return "".join(c for c in text.lower() if c.isalnum())

    close = difflib.SequenceMatcher(None, namespace.lower(), project.lower()).ratio() >= 0.8
    return close or squashed(namespace) == squashed(project)


def _unread(where: str, value: Any) -> list[ConfigProblem]:
    """Where in a value of this project YAML says something the CLI rewrites, or null."""
    return [
        (where + key_path(("", *at)), found.problem if isinstance(found, Unread) else _NULL)
        for at, found in found_in(value, lambda v: v is None or isinstance(v, Unread))
    ]


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


def _encrypted(where: str, value: Any) -> list[str]:
    """Where in a value a `secure:` value stands (the key, `key.a` or `key[0]`)."""
    secure = found_in(value, lambda v: isinstance(v, dict) and set(v) == {"secure"})
    return [where + key_path(("", *at)) for at, _ in secure]


def config_string(value: Any) -> str:
    """A stack file value as the program receives it: scalars as text, the rest as JSON."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return json.dumps(value, default=str)  # an Unread value (another namespace's) as text
    return str(value)


_MERGE = "tag:yaml.org,2002:merge"
_EXPLICIT = "!explicit:"  # marks a node whose tag was written, not resolved


class _StrictLoader(yaml.SafeLoader):
    """YAML as the Pulumi CLI reads it (YAML 1.2's core schema, as Go's yaml.v3): `yes`,
    `on` and `no` are text, not booleans; `<<` merges a map in; a key written twice in one
    map is an error, not a silent last-one-wins. What yaml.v3 and the CLI would rewrite
    (an explicit tag, a date, a float, an integer beyond int64) is read as `Unread`."""

    yaml_implicit_resolvers = {}  # noqa: RUF012  (PyYAML's own class attribute, emptied)

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        written = getattr(event, "tag", None)
        node = super().compose_node(parent, index)
        if (
            node is not None
            and written not in (None, "!")
            and not isinstance(event, yaml.AliasEvent)
        ):
            node.tag = _EXPLICIT + node.tag
        return node

    def flatten_mapping(self, node: yaml.MappingNode) -> None:
        """`<<` as yaml.v3 merges it: the map's own keys first, then each merged map's
        keys not yet there, the first map of a list winning (YAML's merge key; PyYAML
        lets a later map win when the values are collections)."""
        own = [(key, value) for key, value in node.value if key.tag != _MERGE]
        seen = {self.construct_object(key) for key, _ in own}
        merged = []
        for key_node, value_node in node.value:
            if key_node.tag != _MERGE:
                continue
            maps = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
            for each in maps:
                if not isinstance(each, yaml.MappingNode):
                    raise yaml.constructor.ConstructorError(
                        None, None, "<< merges a map, or a list of maps", each.start_mark
                    )
                self.flatten_mapping(each)
                for key, value in each.value:
                    if (constructed := self.construct_object(key)) not in seen:
                        seen.add(constructed)
                        merged.append((key, value))
        node.value = own + merged

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen = set()
        for key_node, _ in node.value:
            key = "<<" if key_node.tag == _MERGE else self.construct_object(key_node, deep=deep)
            if isinstance(key, str) and key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"the key {key!r} is written twice", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


# The core schema's implicit types as yaml.v3 resolves them, and the merge key; a plain
# scalar that starts like a number is read by `_construct_number`; the rest is text.
_NUMBER = "tag:yaml.org,2002:number"  # this reader's own: a number, or text that is not one
for _tag, _pattern, _first in (
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", "~nN"),
    # yaml.v3 resolves dates too; the CLI then hands the program Go's text of the time.
    (
        "tag:yaml.org,2002:timestamp",
        r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt][0-9:.]+(?:Z|[-+][0-9:]+)|[ ][0-9:.]+)?$",
        "0123456789",
    ),
    ("tag:yaml.org,2002:float", r"^(?:[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$", "-+."),
    ("tag:yaml.org,2002:merge", r"^(?:<<)$", "<"),
    (_NUMBER, r"^[-+.0-9]", "-+.0123456789"),
):
    _first_chars = [*_first, ""] if _tag.endswith("null") else list(_first)
    _StrictLoader.add_implicit_resolver(_tag, re.compile(_pattern), _first_chars)

_YAML_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
_BASES = {"0b": 2, "0o": 8, "0x": 16}


def _go_int(text: str) -> int | None:
    """`text` as Go's strconv.ParseInt(text, 0, 64) reads it: a 0b, 0o or 0x prefix, or a
    leading 0 for octal. (yaml.v3 reads a larger unsigned one as a uint64, which the CLI
    then hands on as a float: beyond int64 is not a whole number here.)"""
    sign, body = (-1 if text[0] == "-" else 1, text[1:]) if text[:1] in "+-" else (1, text)
    base = _BASES.get(body[:2].lower(), 8 if len(body) > 1 and body[0] == "0" else 10)
    body = body[2:] if body[:2].lower() in _BASES else body
    try:
        number = sign * int(body, base) if body.isalnum() else None
    except ValueError:
        return None
    return number if number is not None and -(2**63) <= number < 2**63 else None


def _construct_number(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int | str | Unread:
    """A plain scalar that starts like a number, as yaml.v3 resolves it: an integer (its
    underscores dropped; 0b, 0o, 0x, or a leading 0 for octal), within int64; else a
    float (so `08`, `1.0`, `1e3`, a huge integer), which the CLI rewrites; else text."""
    text = str(loader.construct_scalar(node))
    plain = text.replace("_", "")
    if not text.startswith(".") and (number := _go_int(plain)) is not None:
        return number
    if (text.startswith(".") and "_" in text) or not _YAML_FLOAT.fullmatch(plain):
        return text
    digits = plain.lstrip("+-")
    if digits.isdigit() and not digits.startswith("0"):  # else octal that is not: a float
        return Unread(
            text,
            f"{text} is beyond the whole numbers the Pulumi CLI reads exactly (int64): it "
            f"hands the program a rounded float ({float(plain)!r}); write a smaller number",
        )
    return Unread(text, _FLOAT.format(text=text))


_FLOAT = (
    "{text} is a YAML float, which the Pulumi CLI rewrites (1.0 becomes 1, 1e3 becomes 1000, "
    "08 becomes 8) and no setting takes: write a whole number, or quote it to keep it as text"
)


def _unread_scalar(problem: str) -> Callable[[yaml.SafeLoader, yaml.Node], Unread]:
    """A constructor that reads a scalar as `Unread`, `problem` naming it as `{text}`."""

    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> Unread:
        text = str(loader.construct_scalar(node))  # type: ignore[arg-type]
        return Unread(text, problem.format(text=text))

    return construct


def _unread_tagged(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Unread:
    tag = suffix.replace("tag:yaml.org,2002:", "!!")
    text = node.value if isinstance(node, yaml.ScalarNode) else tag
    return Unread(
        str(text),
        f"is tagged {tag}, which the Pulumi CLI reads its own way (a !!binary string is "
        "decoded, a !!set becomes a map) before the program sees it: write the value "
        "itself, untagged",
    )


_StrictLoader.add_constructor(_NUMBER, _construct_number)
_StrictLoader.add_constructor("tag:yaml.org,2002:float", _unread_scalar(_FLOAT))
_date = _unread_scalar(
    "'{text}' is a date to YAML, which the Pulumi CLI hands the program in Go's format "
    "('2026-12-02 00:00:00 +0000 UTC'); quote it to keep it as written"
)


def _construct_timestamp(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> str | Unread:
    """A date yaml.v3 reads as a time; text shaped like one but no date (2026-13-45)."""
    text = str(loader.construct_scalar(node))
    try:
        datetime.date(*map(int, re.split(r"[-Tt ]", text)[:3]))
    except ValueError:
        return text
    return _date(loader, node)


_StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)
_StrictLoader.add_multi_constructor(_EXPLICIT, _unread_tagged)


def _load_yaml(path: Path) -> dict[str, Any]:
    try:
        document = yaml.load(path.read_text(), Loader=_StrictLoader)  # a SafeLoader
    except (OSError, yaml.YAMLError) as exc:
        raise StackFileError(f"cannot read {path}: {exc}") from None
    if not isinstance(document, dict):
        raise StackFileError(f"{path}: expected a YAML map")
    return document
