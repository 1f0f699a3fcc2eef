"""`ClearwaterSecurityGroups` as a Pulumi package, for programs in every language.

Pulumi infers the package schema from this class: its inputs from `args`
(`clearwater_sg.package_args`, generated from `DeploymentOptions`), its outputs from the
three the component annotates, the same names in every language. What arrives is validated
as it arrived, by `DeploymentOptions`, so a bad input from any language gets the message a
stack's configuration gets, naming the input, before anything is registered; the SDK's own
mapping of inputs is not used (it drops what the schema does not name and reads a list of
roles as a list of objects).

Two rules are the package's own (docs/configuration-inputs.md):

* Values that decide which groups and rules exist, and how they are named, must be known
  when the program runs; only an id may be an Output (`vpcId`, and the values of
  `sshSourceGroups`, `snmpSourceGroups` and `existingGroups`), value by value.
* A generated SDK drops an input the schema does not name (TypeScript's and JavaScript's
  send only the schema's properties) and YAML drops a null: from the package, absence
  cannot be told from a typo. So the settings whose absence opens more than an explicit
  value could (`WRITTEN_OUT`) must be written out.

`package/PulumiPlugin.yaml` serves it (`main`), with the SDK's component provider and its
schema, but this package's reading of the inputs (`PackageProvider`).
"""

# No `from __future__ import annotations`: the schema analyzer reads the annotations as
# types, not as strings.
import re
from collections.abc import Mapping
from importlib.metadata import version
from typing import Any

import pulumi
from pulumi.errors import InputPropertiesError, InputPropertyErrorDetails
from pulumi.provider.experimental.analyzer import ComponentDefinition
from pulumi.provider.experimental.component import ComponentProvider
from pulumi.provider.provider import ConstructResult
from pulumi.provider.server import ComponentInitError

from clearwater_sg import component
from clearwater_sg.errors import ConfigurationError
from clearwater_sg.options import Deployment, DeploymentOptions
from clearwater_sg.package_args import ClearwaterSecurityGroupsArgs
from clearwater_sg.roles import CORE_ROLES_TEXT
from clearwater_sg.types import found_in

PACKAGE = "clearwater-sg"  # the package's name, the first part of the component's type
HEADING = "invalid inputs of ClearwaterSecurityGroups"

# The settings a package caller must write out: each with the default its absence would
# take, and what to write instead.
WRITTEN_OUT: dict[str, tuple[str, str]] = {
    "worldCidrs": (
        "the whole address space of each family in use (0.0.0.0/0, ::/0)",
        '["0.0.0.0/0"] for the document\'s "the world", or your own ranges',
    ),
    "sshSources": (
        "worldCidrs, SSH from the world (unless sshSourceGroups is given)",
        "[] for nobody, your bastion's CIDR, or a label in sshSourceGroups",
    ),
    "roles": (
        f"{CORE_ROLES_TEXT}, each with its ports open to the world and to the others",
        "the roles that have nodes (or deployment: all-in-one)",
    ),
    "egress": ("all: every node may send anything anywhere", "all, or restricted"),
}


def _absent_and_widening(inputs: Mapping[str, Any]) -> list[str]:
    """The settings of `WRITTEN_OUT` these inputs leave to their defaults."""
    unless = {
        "sshSources": bool(inputs.get("sshSourceGroups")),
        "roles": inputs.get("deployment") == Deployment.ALL_IN_ONE.value,
    }
    return [key for key in WRITTEN_OUT if key not in inputs and not unless.get(key, False)]


def options_from_inputs(inputs: Mapping[str, Any]) -> DeploymentOptions:
    """The options of the package's inputs as they arrive from any language (schema
    names, numbers as floats, ids as Outputs), or a ConfigurationError naming each."""
    problems = [
        (
            key,
            "must be written out from the package, where an SDK may drop a misspelt input "
            f"before it arrives: absent, it takes its default, {default}; write {what}",
        )
        for key in _absent_and_widening(inputs)
        for default, what in [WRITTEN_OUT[key]]
    ]
    try:
        options = DeploymentOptions(**{key: _whole(value) for key, value in inputs.items()})
    except ConfigurationError as exc:
        raise ConfigurationError([*exc.problems, *problems], HEADING) from exc
    if problems:
        raise ConfigurationError(problems, HEADING)
    return options


def _whole(value: Any) -> Any:
    """Numbers cross the wire as floats: a whole one is the integer written."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _whole(each) for key, each in value.items()}
    if isinstance(value, list):
        return [_whole(each) for each in value]
    return value


class ClearwaterSecurityGroups(component.ClearwaterSecurityGroups):
    # The outputs are the base class's annotations, which the analyzer reads too.
    __doc__ = component.ClearwaterSecurityGroups.__doc__

    def __init__(
        self,
        name: str,
        args: ClearwaterSecurityGroupsArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(name, options_from_inputs(args), opts)


class PackageProvider(ComponentProvider):
    """The package's provider: the component's inputs as they arrived, and its refusals
    as input errors (the engine prints each input's path and reason, no traceback)."""

    def map_inputs(self, inputs: pulumi.Inputs, component_def: ComponentDefinition) -> Any:
        return inputs

    def construct(
        self,
        name: str,
        resource_type: str,
        inputs: pulumi.Inputs,
        options: pulumi.ResourceOptions | None = None,
    ) -> ConstructResult:
        try:
            return super().construct(name, resource_type, inputs, options)
        except ComponentInitError as failed:
            if isinstance(failed.inner, ConfigurationError):
                raise _input_errors(failed.inner.problems, inputs) from None
            if isinstance(failed.inner, pulumi.RunError):  # the plan or the quota pre-flight
                raise InputPropertiesError(str(failed.inner)) from None
            raise


def _input_errors(problems: list[tuple[str, str]], inputs: pulumi.Inputs) -> InputPropertiesError:
    """Each problem as an input error, which the engine prints with the input's value;
    but where that value holds an Output, which the CLI cannot print (v3.274.1 panics in
    propertyprint), as a line of the message, worded the same."""
    errors, lines = [], []
    for key, reason in problems:
        if any(found_in(_at(inputs, key), lambda v: isinstance(v, pulumi.Output))):
            lines.append(f"\n\t\t- property {key} has a problem: {reason}")
        else:
            errors.append(InputPropertyErrorDetails(property_path=key, reason=reason))
    return InputPropertiesError(HEADING + "".join(lines), errors)


def _at(value: Any, key: str) -> Any:
    """What an input path (`sshSourceGroups.bastion`, `roles[0]`) names, or None."""
    for name, index in re.findall(r"([^.\[\]]+)|\[(\d+)\]", key):
        if isinstance(value, Mapping) and name:
            value = value.get(name)
        elif isinstance(value, list) and index and int(index) < len(value):
            value = value[int(index)]
        else:
            return None
    return value


def main() -> None:
    """Serve the component to the Pulumi engine, as the package's plugin."""
    import sys

    from pulumi.provider import main as serve

    # The schema's version is the installed package's, the one CHANGELOG.md describes.
    provider = PackageProvider([ClearwaterSecurityGroups], PACKAGE, version=version(PACKAGE))
    serve(provider, sys.argv[1:])
