"""The component's package inputs as another language's program delivers them, run through
the package's own provider (`clearwater_sg.package.PackageProvider.construct`) under the
mock engine; and the same settings through the Python API, to compare what each
registers."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
from google.protobuf import struct_pb2  # type: ignore[import-untyped]
from pulumi.errors import InputPropertiesError
from pulumi.runtime import rpc

from clearwater_sg import ClearwaterSecurityGroups, DeploymentOptions
from clearwater_sg.package import PACKAGE, PackageProvider
from clearwater_sg.package import ClearwaterSecurityGroups as PackageComponent
from harness import PROJECT
from offline.runner import Recording, run_program
from tests.strategies import snake_case, with_defaults_written_out

# As the bundled program names its component and the tests their stack: the same group
# and rule names as a stack file's render.
COMPONENT = "clearwater"
STACK = "dev"
PROVIDER = PackageProvider([PackageComponent], PACKAGE, version="0.0.0")
TYPE = f"{PACKAGE}:index:ClearwaterSecurityGroups"

# (type, name, inputs) of each resource registered, sorted.
Registrations = list[tuple[str, str, dict[str, Any]]]

explicit = with_defaults_written_out


@dataclass(frozen=True)
class Made:
    """An id the program makes (a bastion's group): an Output of `value`, made once the
    program runs, as another resource's id would be."""

    value: str


def as_delivered(value: Any) -> Any:
    """A value as the engine hands it to the provider: through a protobuf Struct (numbers
    become floats, tuples lists), an id made by the program as an Output."""
    if isinstance(value, Made):
        return pulumi.Output.from_input(value.value)
    if isinstance(value, Mapping):
        return {str(key): as_delivered(each) for key, each in value.items()}
    if isinstance(value, (list, tuple)):
        return [as_delivered(each) for each in value]
    if value is None:
        return None
    wire = struct_pb2.Struct()
    wire.update({"value": value})
    return rpc.deserialize_properties(wire, keep_unknowns=True)["value"]


_LINE = re.compile(r"\n\t\t- property (?P<key>\S+) has a problem: (?P<reason>[^\n]*)")


def reasons(refused: InputPropertiesError) -> dict[str, str]:
    """Each input the package refused, and why: its input errors, and the lines of its
    message (where the input's value holds an Output, which the engine cannot print);
    a plan that cannot be made (no input named) as its message under ""."""
    found = {e["property_path"]: e["reason"] for e in refused.errors or []}
    found |= {m["key"]: m["reason"] for m in _LINE.finditer(refused.message)}
    return found or {"": refused.message}


def package(inputs: Mapping[str, Any]) -> None:
    """In a program: construct the component from `inputs` (schema names) through the
    package's provider, as its plugin does for a Construct request."""
    PROVIDER.construct(COMPONENT, TYPE, as_delivered(inputs), None)


def construct(inputs: Mapping[str, Any], recording: Recording | None = None) -> Recording:
    """`package(inputs)` as a program of its own."""
    return run_program(
        lambda: package(inputs), project=PROJECT, stack=STACK, config={}, recording=recording
    )


def registrations(make: Callable[[], object]) -> Registrations:
    """What a program that calls `make` registers."""

    def program() -> None:
        make()

    recording = run_program(program, project=PROJECT, stack=STACK, config={})
    return sorted((r.type, r.name, r.inputs) for r in recording.resources)


def _made(value: Any) -> Any:
    if isinstance(value, Made):
        return pulumi.Output.from_input(value.value)
    if isinstance(value, Mapping):
        return {key: _made(each) for key, each in value.items()}
    return value


def through_python(config: Mapping[str, Any]) -> Registrations:
    """What the Python API registers for a configuration, its settings given as keyword
    arguments by their Python names."""

    def make() -> None:
        options = DeploymentOptions(**{snake_case(k): _made(v) for k, v in config.items()})
        ClearwaterSecurityGroups(COMPONENT, options)

    return registrations(make)
