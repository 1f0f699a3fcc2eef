"""The component as a Pulumi package (`clearwater_sg.package`): the schema Pulumi infers
from it, by the SDK's own analyzer, has exactly the options model's settings (names,
descriptions, nested types, enums) and the documented outputs, so that no option differs
between languages; and what arrives from another language is validated by the options
model, with its messages, before anything is registered."""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Any

import pytest
from pulumi.provider.experimental.analyzer import Analyzer
from pydantic import BaseModel

from clearwater_sg import ClearwaterSecurityGroups as PythonComponent
from clearwater_sg import ConfigurationError
from clearwater_sg.matrix import Profile
from clearwater_sg.options import Deployment, DeploymentOptions, ExtraRule, Limits
from clearwater_sg.package import PACKAGE, ClearwaterSecurityGroups
from clearwater_sg.package_args import ClearwaterSecurityGroupsArgs
from clearwater_sg.roles import Role
from clearwater_sg.types import Cloud, IpVersion
from offline.runner import Recording, run_program

OUTPUTS = {"securityGroupIds", "nodeSecurityGroupIds", "interfaceSecurityGroupIds"}


@pytest.fixture(scope="module")
def schema() -> Any:
    return Analyzer(PACKAGE).analyze([ClearwaterSecurityGroups])


def _settings(model: type[BaseModel]) -> dict[str, str]:
    """A model's settings as stack config (and the schema) names them, with descriptions."""
    return {
        field.alias or name: str(field.description) for name, field in model.model_fields.items()
    }


def test_the_schemas_inputs_are_the_options_settings(schema: Any) -> None:
    (component,) = schema["component_definitions"].values()
    assert component.name == "ClearwaterSecurityGroups"
    described = {name: prop.description for name, prop in component.inputs.items()}
    assert described == _settings(DeploymentOptions)
    required = {name for name, prop in component.inputs.items() if not prop.optional}
    assert required == {f.alias for f in DeploymentOptions.model_fields.values() if f.is_required()}


@pytest.mark.parametrize("model", [ExtraRule, Limits], ids=lambda m: m.__name__)
def test_nested_settings_are_typed_inputs_with_the_same_names(
    schema: Any, model: type[BaseModel]
) -> None:
    nested = schema["type_definitions"][model.__name__]
    assert {name: prop.description for name, prop in nested.properties.items()} == _settings(model)


@pytest.mark.parametrize("enum", [Cloud, Deployment, IpVersion, Role, Profile])
def test_enums_are_enums_with_the_options_values(schema: Any, enum: type[Enum]) -> None:
    values = {value.value for value in schema["type_definitions"][enum.__name__].enum}
    assert values == {member.value for member in enum}


def test_the_outputs_are_the_documented_ones(schema: Any) -> None:
    (component,) = schema["component_definitions"].values()
    assert set(component.outputs) == OUTPUTS


def test_an_input_from_another_language_is_validated_by_the_options_model() -> None:
    recording = Recording()

    def program() -> None:
        ClearwaterSecurityGroups("cw", {"cloud": Cloud.AWS, "ip_version": IpVersion.DUAL})

    with pytest.raises(ConfigurationError, match="vpcId"):
        run_program(program, project="p", stack="s", config={}, recording=recording)
    assert recording.resources == [], "resources were registered before the refusal"


def test_valid_inputs_register_what_the_python_api_registers() -> None:
    def through(make: Callable[[], object]) -> list[tuple[str, str, dict[str, Any]]]:
        def program() -> None:
            make()

        recording = run_program(program, project="p", stack="s", config={})
        return sorted((r.type, r.name, r.inputs) for r in recording.resources)

    settings: ClearwaterSecurityGroupsArgs = {
        "cloud": Cloud.OPENSTACK,
        "hss": True,
        "roles": [Role.ELLIS, Role.SPROUT, Role.DIME],
    }
    package = through(lambda: ClearwaterSecurityGroups("cw", settings))
    options = DeploymentOptions.model_validate(settings)
    assert package == through(lambda: PythonComponent("cw", options))
