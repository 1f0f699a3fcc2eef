"""The component as a Pulumi package (`clearwater_sg.package`): the schema Pulumi infers
from it, by the SDK's own analyzer, has exactly the options model's settings (names,
descriptions, nested types, enums) and the documented outputs, so that no option differs
between languages; every input is plain but the ids, which may be Outputs value by value.
What arrives from another language (through the package's provider, as the wire delivers
it) is validated by the options model, with its messages, before anything is registered:
every setting usable (roles, profiles, limits, prefix lists), an id made in the same
program accepted per value, and a refusal that names each input and what is allowed,
never a Python object or a traceback. tests/engine/test_package.py runs the same from
YAML and TypeScript with the real engine."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import Enum
from typing import Any

import pytest
from pulumi.errors import InputPropertiesError
from pulumi.provider.experimental.analyzer import Analyzer
from pydantic import BaseModel

from clearwater_sg import ClearwaterSecurityGroups as PythonComponent
from clearwater_sg.matrix import Profile
from clearwater_sg.options import Deployment, DeploymentOptions, ExtraRule, Limits
from clearwater_sg.package import PACKAGE, ClearwaterSecurityGroups
from clearwater_sg.roles import Role
from clearwater_sg.types import Cloud, IpVersion
from harness import VPC
from offline.runner import Recording
from tests.helpers import PL, SG_A, SG_B, UUID_A
from tests.package_inputs import (
    COMPONENT,
    Made,
    Registrations,
    construct,
    explicit,
    package,
    reasons,
    registrations,
    through_python,
)

OUTPUTS = {"securityGroupIds", "nodeSecurityGroupIds", "interfaceSecurityGroupIds"}
# The settings whose values may be ids a program makes: Outputs, value by value.
ID_SETTINGS = {"vpcId", "sshSourceGroups", "snmpSourceGroups", "existingGroups"}


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


def test_only_ids_may_be_outputs_and_each_id_on_its_own(schema: Any) -> None:
    """A plain input is one the SDKs type without Input (TypeScript: `roles?: Role[]`); an
    Input one takes an Output. The maps of ids are plain maps of Inputs, so that an id made
    in the same program can be one value (issue 24: the maps' values were plain, and only
    a whole map could be an Output, which then failed)."""
    (component,) = schema["component_definitions"].values()
    takes_outputs = {
        name
        for name, prop in component.inputs.items()
        if not prop.plain
        or (prop.additional_properties is not None and not prop.additional_properties.plain)
    }
    assert takes_outputs == ID_SETTINGS
    for name in ID_SETTINGS - {"vpcId"}:
        prop = component.inputs[name]
        assert (prop.plain, prop.additional_properties.plain) == (True, None), name
    for model in ("ExtraRule", "Limits"):
        nested = schema["type_definitions"][model].properties
        assert all(prop.plain for prop in nested.values()), model


# --- Through the provider, as another language's inputs arrive -----------------------------


def test_a_bad_input_is_refused_by_name_before_anything_is_registered() -> None:
    recording = Recording()
    with pytest.raises(InputPropertiesError) as refused:
        construct(explicit({"cloud": "openstack", "vpcId": VPC}), recording=recording)
    assert recording.resources == [], "resources were registered before the refusal"
    assert refused.value.errors == [
        {
            "property_path": "vpcId",
            "reason": "vpcId applies to AWS only; OpenStack security groups belong to the "
            "project (remove vpcId from this stack)",
        }
    ]


# Issue 24: from YAML and TypeScript each was refused whatever its value (`roles[0]: must
# be text, got {}`; the integers arrive as floats).
EVERY_SETTING: dict[str, dict[str, object]] = {
    "roles": {"cloud": "openstack", "roles": ["sprout", "dime", "vellum"]},
    "profiles": {
        "cloud": "openstack",
        "roles": ["bono", "sprout", "dime", "vellum"],
        "profiles": ["restund", "management-http"],
        "managementSources": ["10.30.0.0/24"],
    },
    "limits": {"cloud": "openstack", "roles": ["sprout"], "limits": {"securityGroupRules": 150}},
    "prefix-lists": {
        "cloud": "aws",
        "vpcId": VPC,
        "roles": ["sprout"],
        "sshSources": [PL],
        "prefixLists": {PL: 20},
    },
    "extra-rules": {
        "cloud": "aws",
        "vpcId": VPC,
        "roles": ["sprout"],
        "extraRules": {
            "sprout": [
                {
                    "protocol": "tcp",
                    "ports": "5053",
                    "sources": ["10.40.0.0/16"],
                    "description": "BGCF",
                    "reason": "IMS-7",
                }
            ]
        },
    },
    "ipVersion-and-deployment": {"cloud": "openstack", "deployment": "all-in-one", "ipVersion": 6},
}


@pytest.mark.parametrize("inputs", EVERY_SETTING.values(), ids=EVERY_SETTING)
def test_every_setting_registers_what_the_python_api_registers(
    inputs: dict[str, object],
) -> None:
    written_out = explicit(inputs)
    assert registrations(lambda: package(written_out)) == through_python(written_out)


def test_an_id_made_in_the_same_program_is_accepted_value_by_value() -> None:
    """A bastion's group made in the same program, as an Output, in a map of ids: its rule
    admits that id, exactly as from Python."""
    inputs = explicit(
        {
            "cloud": "aws",
            "vpcId": Made(VPC),
            "roles": ["sprout"],
            "sshSourceGroups": {"bastion": Made(SG_A)},
            "existingGroups": {"sprout": Made(SG_B)},
        }
    )
    registered = registrations(lambda: package(inputs))
    assert registered == through_python(inputs)
    ssh = [i for _, name, i in registered if "tcp-22-from-bastion" in name]
    assert [rule["referencedSecurityGroupId"] for rule in ssh] == [SG_A]


OUTPUT_REFUSED = [
    # An entry of a list: its text names the rule.
    ({"sshSources": ["OUTPUT"]}, "sshSources[0]"),
    ({"roles": ["sprout", "OUTPUT"]}, "roles[1]"),
    # A whole map of ids as one Output: its labels name the rules (issue 24: a traceback,
    # "must be a YAML map").
    ({"sshSourceGroups": "OUTPUT"}, "sshSourceGroups"),
    ({"existingGroups": "OUTPUT"}, "existingGroups"),
    ({"hss": "OUTPUT"}, "hss"),
]


@pytest.mark.parametrize(("inputs", "where"), OUTPUT_REFUSED, ids=[w for _, w in OUTPUT_REFUSED])
def test_an_output_where_the_value_decides_the_plan_is_refused_by_name(
    inputs: dict[str, object], where: str
) -> None:
    def swapped(value: object) -> object:
        if value == "OUTPUT":
            return Made(UUID_A)
        if isinstance(value, list):
            return [swapped(each) for each in value]
        return value

    given = explicit({"cloud": "openstack", "roles": ["sprout"], **inputs})
    with pytest.raises(InputPropertiesError) as refused:
        construct({key: swapped(value) for key, value in given.items()})
    reason = reasons(refused.value)[where]
    assert reason.startswith("is an Output, a value known only once the program runs")
    assert "sshSourceGroups" in reason, "the message says where an id may go"
    _no_python_in(refused.value)
    # Said in the message, not as an input error: the CLI panics printing an Output's value.
    assert where not in [e["property_path"] for e in refused.value.errors or []]


def test_a_problem_where_an_output_stands_is_said_without_its_value() -> None:
    """The engine prints an input error with the input's value, and the CLI (v3.274.1)
    panics on an Output's: a bad label whose group is an Output is said in the message."""
    inputs = explicit({"cloud": "openstack", "roles": ["sprout"]})
    with pytest.raises(InputPropertiesError) as refused:
        construct({**inputs, "sshSourceGroups": {"Bastion": Made(UUID_A)}})
    assert "must be 1-40 lowercase letters" in reasons(refused.value)["sshSourceGroups.Bastion"]
    assert [e["property_path"] for e in refused.value.errors or []] == []


# Issue 24: a misspelt input that the TypeScript SDK drops, or a YAML null, arrives as
# nothing; absent, each of these would take a default that opens more.
ABSENT = [
    ("worldCidrs", {}),
    ("sshSources", {}),
    ("sshSources", {"sshSourceGroups": {}}),
    ("roles", {}),
    ("roles", {"deployment": "distributed"}),
    ("egress", {}),
]


@pytest.mark.parametrize(("missing", "given"), ABSENT, ids=[f"{m}-{g}" for m, g in ABSENT])
def test_a_setting_whose_absence_opens_more_must_be_written_out(
    missing: str, given: dict[str, object]
) -> None:
    inputs = {**explicit({"cloud": "openstack", "roles": ["sprout"]}), **given}
    del inputs[missing]
    recording = Recording()
    with pytest.raises(InputPropertiesError) as refused:
        construct(inputs, recording=recording)
    assert recording.resources == []
    assert [e["property_path"] for e in refused.value.errors or []] == [missing]
    assert "must be written out from the package" in str(refused.value.errors)


@pytest.mark.parametrize(
    ("given", "absent"),
    [
        ({"sshSourceGroups": {"bastion": SG_A}}, "sshSources"),
        ({"deployment": "all-in-one"}, "roles"),
    ],
    ids=["ssh-from-labelled-groups", "all-in-one"],
)
def test_what_is_absent_but_opens_nothing_may_stay_absent(
    given: dict[str, object], absent: str
) -> None:
    """sshSources without sshSourceGroups would follow the world; with it, nobody. roles on
    all-in-one is refused anyway."""
    inputs = {**explicit({"cloud": "aws", "vpcId": VPC, "roles": ["sprout"]}), **given}
    del inputs[absent]
    assert registrations(lambda: package(inputs)) == through_python(inputs)


@pytest.mark.parametrize(
    ("inputs", "where", "words"),
    [
        ({"sshsources": ["10.9.0.0/16"]}, "sshsources", "did you mean 'sshSources'"),
        ({"sshSources": None}, "sshSources", "has no value (null)"),
        ({"limits": {"rulesPerGroup": 1.5}}, "limits.rulesPerGroup", "got 1.5"),
        ({"roles": ["sprot"]}, "roles[0]", "did you mean 'sprout'"),
        ({"ipVersion": 5}, "ipVersion", "'4', '6' or 'dual'"),
    ],
    ids=["typo", "null", "fraction", "role", "ip-version"],
)
def test_a_refusal_names_the_input_and_what_is_allowed_without_python(
    inputs: dict[str, object], where: str, words: str
) -> None:
    """What a caller that sends the inputs itself (YAML refuses an unknown input and drops
    a null before they arrive) is told."""
    with pytest.raises(InputPropertiesError) as refused:
        construct({**explicit({"cloud": "openstack", "roles": ["sprout"]}), **inputs})
    assert words in reasons(refused.value)[where]
    _no_python_in(refused.value)


def test_a_plan_that_cannot_be_made_is_refused_without_a_traceback() -> None:
    inputs = explicit({"cloud": "openstack", "roles": ["sprout"], "limits": {"securityGroups": 1}})
    with pytest.raises(InputPropertiesError) as refused:
        construct(inputs)
    assert "securityGroups" in refused.value.message
    _no_python_in(refused.value)


def _no_python_in(error: InputPropertiesError) -> None:
    text = f"{error.message} {error.errors}"
    for python in ("<pulumi.", "object at 0x", "Traceback", 'File "', "Output["):
        assert python not in text, text


def test_the_python_component_is_the_one_registered() -> None:
    """The package registers what `clearwater_sg.ClearwaterSecurityGroups` registers for
    the same options: the same type, names, inputs."""

    def python() -> None:
        PythonComponent(COMPONENT, DeploymentOptions(cloud=Cloud.OPENSTACK, hss=True))

    inputs = explicit({"cloud": "openstack", "hss": True})
    assert registrations(lambda: package(inputs)) == registrations(python)


def test_registrations_see_a_difference() -> None:
    """The comparison above reads the registrations: it tells two plans apart."""
    one: Callable[[], object] = lambda: package(explicit({"cloud": "openstack"}))  # noqa: E731
    other: Callable[[], object] = lambda: package(  # noqa: E731
        explicit({"cloud": "openstack", "hss": True})
    )
    first: Registrations = registrations(one)
    assert first != registrations(other)
    assert all(isinstance(inputs, Mapping) for _, _, inputs in first)
