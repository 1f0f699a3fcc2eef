"""Run the real stack program (`__main__.py`) under the SDK's mock engine, and read what it
registers: the helpers and configurations the test files share."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pulumi
import pytest

from clearwater_sg.resources import GROUP_TYPES
from harness import PROJECT_DIR, aws, openstack, run_main
from offline.inventory import Inventory, inventory
from offline.runner import Recording, Registered

# The bundled stack files.
STACK_FILES = sorted((PROJECT_DIR / "stacks").glob("Pulumi.*.yaml"))
# The bundled stack with every role, Memento and an HSS: every peer flow of the document.
PROD = PROJECT_DIR / "stacks" / "Pulumi.aws-prod.yaml"
# Existing groups a configuration may name: two on AWS, two on OpenStack.
SG_A = "sg-0aaaaaaaaaaaaaaaa"
SG_B = "sg-0bbbbbbbbbbbbbbbb"
UUID_A = "abcdef01-2345-6789-abcd-ef0123456789"
UUID_B = "12345678-aaaa-bbbb-cccc-0123456789ab"

# A managed prefix list (AWS), as a source.
PL = "pl-0a1b2c3d4e5f60718"
# Extra rules, as a stack file writes them (the ports are added where they matter).
EXTRA = {"protocol": "tcp", "sources": ["10.40.0.0/16"], "description": "BGCF", "reason": "IMS-7"}
BGCF = {
    "protocol": "tcp",
    "ports": "5053",
    "sources": ["10.40.0.0/16", "sg-0dddddddddddddddd"],
    "description": "BGCF from SIP peers",
    "reason": "IMS-42: interconnect with the transit carrier",
}


def refused(config: Mapping[str, object]) -> str:
    """The message of a configuration the program refuses; nothing may be registered."""
    recording = Recording()
    with pytest.raises(pulumi.RunError) as raised:
        run_main(config, recording=recording)
    assert recording.resources == [], "resources were registered before the refusal"
    return str(raised.value)


def run_inventory(config: Mapping[str, object], stack: str = "dev") -> Inventory:
    return inventory(run_main(config, stack))


# Each cloud's config builder, by cloud name.
CLOUDS = {"aws": aws, "openstack": openstack}


def groups_by_role(recording: Recording) -> dict[str, Registered]:
    """The registered security groups, by the role tag each carries (either cloud)."""
    found = {}
    for group in recording.resources:
        if group.type not in GROUP_TYPES:
            continue
        tags = group.inputs["tags"]
        if isinstance(tags, dict):
            role = tags["clearwater:role"]
        else:  # OpenStack tags are "key=value" strings
            role = next(t.split("=", 1)[1] for t in tags if t.startswith("clearwater:role="))
        found[str(role)] = group
    return found


def group_ids_by_role(recording: Recording) -> dict[str, str]:
    """Each registered group's id, by the role tag it carries."""
    return {role: group.id for role, group in groups_by_role(recording).items()}


def rules_of(recording: Recording, rule_type: str, group: Registered) -> list[dict[str, object]]:
    """The inputs of the rules of one type that belong to `group`."""
    return [
        r.inputs for r in recording.of_type(rule_type) if r.inputs["securityGroupId"] == group.id
    ]


# The rule resource types that may be ingress rules (OpenStack's say which by `direction`).
INGRESS_TYPES = (
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    "openstack:networking/secGroupRule:SecGroupRule",
)


def ingress(recording: Recording) -> list[Mapping[str, Any]]:
    """Every registered ingress rule's inputs, as the provider receives them."""
    return [
        r.inputs
        for r in recording.resources
        if r.type in INGRESS_TYPES and r.inputs.get("direction", "ingress") == "ingress"
    ]


def port(rule: Mapping[str, Any]) -> int | None:
    """A rule's first port (or ICMP type), on either cloud."""
    value = rule.get("fromPort", rule.get("portRangeMin"))
    return None if value is None else int(value)


def source(rule: Mapping[str, Any]) -> str:
    """A rule's source: its CIDR, or the id of the group it admits, on either cloud."""
    for key in ("cidrIpv4", "cidrIpv6", "remoteIpPrefix", "referencedSecurityGroupId"):
        if rule.get(key):
            return str(rule[key])
    return str(rule.get("remoteGroupId"))


def run_offline_cli(
    tmp_path: Path, stack_text: str, *extra: str
) -> subprocess.CompletedProcess[str]:
    """`python -m offline` on `stack_text`, written as stacks/Pulumi.edge.yaml beside a copy
    of Pulumi.yaml and the program in `tmp_path`, in a process of its own (warnings as in
    development mode)."""
    stacks = tmp_path / "stacks"
    stacks.mkdir(exist_ok=True)
    (tmp_path / "Pulumi.yaml").write_text((PROJECT_DIR / "Pulumi.yaml").read_text())
    (tmp_path / "__main__.py").write_text((PROJECT_DIR / "__main__.py").read_text())
    stack = stacks / "Pulumi.edge.yaml"
    stack.write_text(stack_text)
    python = [sys.executable, "-X", "dev", "-W", "ignore::DeprecationWarning"]
    return subprocess.run(
        [*python, "-m", "offline", str(stack), *extra],
        capture_output=True,
        text=True,
        cwd=PROJECT_DIR,
        check=False,
    )


def copy_project(tmp_path: Path) -> Path:
    """A copy of the project (Pulumi.yaml, the program, stacks/, snapshots/) in `tmp_path`."""
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(PROJECT_DIR / name, tmp_path / name)
    for name in ("stacks", "snapshots"):
        shutil.copytree(PROJECT_DIR / name, tmp_path / name)
    return tmp_path
