"""Running `python -m clearwater_sg.live adopt|drift` as a user would, in this process,
against real APIs: moto's EC2 server and a live Neutron (the fixtures of
tests/conformance/fixtures.py), through boto3 and openstacksdk (no mocks); and reading
what it reports. On OpenStack, adopt and drift beside `pulumi import` and `pulumi
refresh` are the engine tests' (tests/engine/test_live.py)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from clearwater_sg.live.cli import run
from clearwater_sg.resources import COMPONENT_TYPE
from harness.servers import MOTO_REGION, MotoServer
from offline.runner import Recording, Registered
from tests.live.scenario import COMPONENT, STACK, config, write_stack_file

# Every test of `python -m clearwater_sg.live` against the servers is a conformance test.
LIVE_MARKS = [
    pytest.mark.conformance,
    # openstacksdk's own deprecations, raised inside it whatever its caller does.
    pytest.mark.filterwarnings("ignore::DeprecationWarning:openstack.*"),
    pytest.mark.filterwarnings("ignore::PendingDeprecationWarning:openstack.*"),
]


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run the command in this process: (exit status, stdout, stderr)."""
    out = io.StringIO()
    code = run(list(argv), out=out)
    return code, out.getvalue(), capsys.readouterr().err


def config_arguments(values: dict[str, object]) -> list[str]:
    """A stack's settings as `--config=KEY=VALUE` arguments (lists and maps as JSON)."""
    return [f"--config={k}={v if isinstance(v, str) else json.dumps(v)}" for k, v in values.items()]


def sections(report: str) -> dict[str, list[str]]:
    """The first word after the action of each line, by section of the adopt report:
    group keys under "Groups", rule ids or resource names under the rule sections."""
    found: dict[str, list[str]] = {}
    current = ""
    headings = {
        "Groups:": "groups",
        "Rules to keep": "keep",
        "Rules to create": "create",
        "Rules to delete": "delete",
        "Changes the first": "changes",
    }
    for line in report.splitlines():
        heading = next((name for text, name in headings.items() if line.startswith(text)), None)
        if heading is not None:
            current = heading
            found[current] = []
        elif not line.startswith("  "):
            current = ""
        elif current and line.split()[0] in ("keep", "create", "delete"):
            found[current].append(f"{line.split()[0]} {line.split()[1]}")
        elif current == "changes" and not line.startswith("    "):
            found[current].append(line.split()[0])
    return found


def aws_stack_file(directory: Path, moto: MotoServer, vpc_id: str) -> Path:
    """The scenario as a stack file, with the provider settings pointing at moto."""
    values: dict[str, object] = {
        f"clearwater-sg:{key}": value for key, value in config("aws", vpc_id).items()
    }
    values["aws:region"] = MOTO_REGION
    values["aws:endpoints"] = [{"ec2": moto.url}]
    return write_stack_file(directory, values)


def openstack_config_args() -> list[str]:
    args = ["--stack", STACK]
    for key, value in config("openstack").items():
        args += ["--config", f"{key}={json.dumps(value) if not isinstance(value, str) else value}"]
    return args


def check_against_registrations(
    document: dict[str, Any], registered: Recording, missing: str
) -> dict[str, Registered]:
    """The document imports every registered resource but `missing` and the component,
    with the program's own type, name and parent; the registrations by name."""
    (component,) = [r for r in registered.resources if r.type == COMPONENT_TYPE]
    assert component.name == COMPONENT
    entries = document["resources"]
    assert entries[0] == {"type": COMPONENT_TYPE, "name": COMPONENT, "component": True}
    assert "nameTable" not in document
    by_name = {r.name: r for r in registered.resources if r.type != COMPONENT_TYPE}
    for entry in entries[1:]:
        assert set(entry) == {"type", "name", "id", "parent"}, entry
        resource = by_name[entry["name"]]
        assert entry["type"] == resource.type
        assert entry["parent"] == COMPONENT
        assert resource.parent == component.urn, "the program parents it to the component"
    imported = sorted(entry["name"] for entry in entries[1:])
    assert imported == sorted(set(by_name) - {missing})
    assert len(imported) == len(set(imported))
    return by_name
