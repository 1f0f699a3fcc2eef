"""`pulumi up`, `preview`, `refresh` and `destroy` for real: the bundled stacks and one with
every key beyond the document per cloud, deployed by the real engine, with
pulumi-resource-openstack through Keystone to Neutron and with pulumi-resource-aws to
moto's EC2.

What the cloud then stores is read from the cloud alone (Neutron's API; EC2's
DescribeSecurityGroups, with boto3) and judged against the document reader's expectation
(harness/doc_reader.py), never against what the program sent. Right after, a preview must
show no change and a refresh must find none: a cloud's normalization of what it stores
(prefixes, ICMP fields, tags, descriptions) must not become a perpetual diff. moto reads
one thing back differently from EC2, and the refresh is held to exactly that
(`refreshed`).

The `local` stack is deployed as its README section says, to the endpoint
scripts/local-ec2.py starts, with the stack file as the script leaves it.
"""

from __future__ import annotations

import ipaddress
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from pulumi.automation.events import OpType

from harness import PROJECT, PROJECT_DIR
from harness.doc_reader import Permission, without_network
from harness.engine import EngineStack, Target, deployable, documented, stack_file_config
from harness.local_aws import LOCAL_STACK, AwsTarget
from harness.servers import free_loopback_port
from tests.conformance.stored import stored_permissions
from tests.engine.conftest import CLOUDS, StackFactory, refreshed

STACKS = PROJECT_DIR / "stacks"
ENGINE_STACKS = Path(__file__).with_name("stacks")
BEYOND = {cloud: ENGINE_STACKS / f"Pulumi.{cloud}-beyond.yaml" for cloud in CLOUDS}


def _name(path: Path) -> str:
    return path.name.removeprefix("Pulumi.").removesuffix(".yaml")


def _bundled(cloud: str) -> list[Path]:
    return sorted(
        path
        for path in STACKS.glob("Pulumi.*.yaml")
        if stack_file_config(path).get(f"{PROJECT}:cloud") == cloud
    )


# The local stack is deployed to the endpoint its own script starts (below).
CASES = [
    pytest.param(cloud, path, id=_name(path))
    for cloud in CLOUDS
    for path in (*_bundled(cloud), BEYOND[cloud])
    if path != LOCAL_STACK
]


def _extra_rules(config: dict[str, Any]) -> Counter[Permission]:
    """The stack's own `extraRules` (ingress), as the README's configuration table says
    they become rules: one per source CIDR, in its family, on the group named."""
    rules: Counter[Permission] = Counter()
    for group, extras in dict(config.get(f"{PROJECT}:extraRules", {})).items():
        for extra in extras:
            first, _, last = str(extra["ports"]).partition("-")
            for source in extra["sources"]:
                family = f"IPv{ipaddress.ip_network(source).version}"
                low, high = int(first), int(last or first)
                rules[
                    Permission(group, "ingress", family, extra["protocol"], low, high, source)
                ] += 1
    return rules


def _judged(
    stored: Counter[Permission], config: dict[str, Any]
) -> tuple[Counter[Permission], Counter[Permission]]:
    """(what the cloud holds, what the document reader expects with the stack's own
    extra rules), comparable.

    The reader knows one network. With `networks: split` every flow must stay on one
    interface, and folding the interfaces must give the single network's rules, with
    ICMP and egress once per interface.
    """
    extras = _extra_rules(config)
    if config.get(f"{PROJECT}:networks", "single") == "single":
        return stored, documented(config) + extras
    for permission in stored:
        interface = permission.group.rsplit("-", 1)[-1]
        assert interface in ("management", "signaling"), permission
        if permission.peer.startswith("group:"):
            assert permission.peer.endswith(f"-{interface}"), f"crosses interfaces: {permission}"
    single = documented({k: v for k, v in config.items() if k != f"{PROJECT}:networks"})
    everything = ("icmp", "icmpv6", "ipv6-icmp", "-1", None)
    on_both = Counter({p: 1 for p in single if p.protocol in everything})
    return Counter(without_network(p) for p in stored), single + on_both + extras


def _readable(permissions: Counter[Permission]) -> list[str]:
    return [str(p) for p in sorted(permissions.elements(), key=Permission.key)]


def deploy_judge_and_destroy(stack: EngineStack, target: Target, config: dict[str, Any]) -> None:
    """`up`; the cloud holds exactly the document's rules; preview, refresh and preview
    change nothing; `destroy` leaves the cloud as it was."""
    before = target.snapshot()
    created = stack.up()
    assert created.changes(), "up created nothing"
    assert {s.op for s in created.changes()} == {OpType.CREATE}

    held = stored_permissions(target)
    assert max(held.values()) == 1, "the cloud holds a rule twice"
    stored, expected = _judged(held, config)
    assert _readable(stored - expected) == [], "the cloud lets through what the document does not"
    assert _readable(expected - stored) == [], "the document opens what the cloud does not hold"

    assert [str(s) for s in stack.preview(expect_no_changes=True).changes()] == []
    refreshed(stack, target)

    if config.get(f"{PROJECT}:protect") is True:
        stack.unprotect()  # as an operator must before destroying protected groups
    removed = stack.destroy()
    assert {s.op for s in removed.changes()} == {OpType.DELETE}
    assert stack.state_urns() == []
    assert target.snapshot() == before, "destroy left the cloud other than it found it"


def test_every_bundled_stack_is_deployed() -> None:
    names = {cloud: [_name(p) for p in _bundled(cloud)] for cloud in CLOUDS}
    assert names == {
        "openstack": ["openstack-staging"],
        "aws": ["aio-lab", "aws-prod", "geo-site-a", "local"],
    }


@pytest.mark.parametrize(("cloud", "path"), CASES)
def test_up_stores_the_document_and_a_second_run_changes_nothing(
    engine_stack: StackFactory, target: Target, cloud: str, path: Path
) -> None:
    config = deployable(stack_file_config(path), cloud, target)
    deploy_judge_and_destroy(engine_stack(_name(path), config), target, config)


def test_an_extra_rule_over_every_port_has_no_perpetual_diff(engine_stack: StackFactory) -> None:
    """Neutron stores TCP 1-65535 as "any port" (tests/engine/test_provider.py): the
    backend sends it so, and a refreshed stack plans nothing."""
    every_port = {
        "protocol": "tcp",
        "ports": "1-65535",
        "sources": ["10.40.0.0/16"],
        "description": "Everything from the lab",
        "reason": "LAB-1: a test bed",
    }
    config = {f"{PROJECT}:cloud": "openstack", f"{PROJECT}:extraRules": {"sprout": [every_port]}}
    stack = engine_stack("every-port", config)
    stack.up()
    stack.refresh()
    assert [str(s) for s in stack.preview(expect_no_changes=True).changes()] == []


# ==========================================================================
# The local stack: scripts/local-ec2.py serves the VPC that stacks/Pulumi.local.yaml names


@pytest.fixture
def local_stack_file(tmp_path: Path) -> Path:
    """A copy of stacks/Pulumi.local.yaml, for the script to write its VPC's id into."""
    copy = tmp_path / "Pulumi.local.yaml"
    copy.write_text(LOCAL_STACK.read_text())
    return copy


@pytest.fixture
def local_ec2(local_stack_file: Path) -> Iterator[tuple[str, str]]:
    """scripts/local-ec2.py running on a free loopback port: (endpoint, VPC id)."""
    port = free_loopback_port()
    script = str(PROJECT_DIR / "scripts" / "local-ec2.py")
    process = subprocess.Popen(
        [sys.executable, script, "--port", str(port), "--stack-file", str(local_stack_file)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    assert process.stdout is not None
    output = process.stdout
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:  # in a thread, so that waiting for READY can time out
        for line in output:
            lines.put(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        seen: list[str] = []
        deadline = time.monotonic() + 60
        while not (seen and seen[-1].startswith("READY")):
            try:
                seen.append(lines.get(timeout=0.2))
            except queue.Empty:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"scripts/local-ec2.py did not get ready:\n{''.join(seen)}")
        ready = seen[-1].split()
        assert ready[:3] == ["READY", "EC2", "endpoint"], "".join(seen)
        yield ready[3], ready[-1]
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        reader.join(timeout=5)
        output.close()


def test_the_local_stack_deploys_to_the_endpoint_its_script_starts(
    local_ec2: tuple[str, str], local_stack_file: Path, tmp_path: Path
) -> None:
    """`pulumi up -s local` as the README's local section runs it: the stack file's
    endpoints (EC2 and STS) are the port scripts/local-ec2.py serves by default (here the
    script serves a free port, and the stack's endpoints follow it), the stack file names
    the VPC the script made, whatever id moto gave it, and the stack deploys there."""
    endpoint, vpc_id = local_ec2
    config = yaml.safe_load(local_stack_file.read_text())["config"]
    default = f"http://127.0.0.1:{_script_default_port()}"
    assert config["aws:endpoints"] == [{"ec2": default, "sts": default}]
    assert "aws:skipRequestingAccountId" not in config
    assert config[f"{PROJECT}:vpcId"] == vpc_id
    # The script changed that one line only.
    original = LOCAL_STACK.read_text().splitlines()
    changed = [
        (old, new)
        for old, new in zip(original, local_stack_file.read_text().splitlines(), strict=True)
        if old != new
    ]
    assert all(f"{PROJECT}:vpcId:" in old for old, _ in changed), changed

    target = AwsTarget(endpoint, vpc_id)
    provider = {key: value for key, value in config.items() if key.startswith("aws:")}
    assert target.settings == provider | {"aws:endpoints": [{"ec2": endpoint, "sts": endpoint}]}
    stack = EngineStack(tmp_path / "local", "local", config, target)
    deploy_judge_and_destroy(stack, target, config)


def _script_default_port() -> int:
    text = (PROJECT_DIR / "scripts" / "local-ec2.py").read_text()
    [line] = [line for line in text.splitlines() if line.startswith("DEFAULT_PORT = ")]
    return int(line.split("=")[1])
