"""The AWS groups against moto's EC2 server.

For every bundled AWS stack and for the largest configuration, what the real program
registers is applied to moto request by request, as pulumi-aws sends it (see
``appliers.py``): each group with CreateSecurityGroup and the revoke of AWS's default
egress, each ``aws.vpc.SecurityGroup{Ingress,Egress}Rule`` with one
AuthorizeSecurityGroup{Ingress,Egress}. Every request must succeed; then
DescribeSecurityGroups must show exactly the registered permissions, names,
descriptions, VPC and tags.

moto counts IPv4 ranges, IPv6 ranges and group pairs of a group together against 60
(AWS counts each family separately): every case is checked to stay within moto's
stricter count, so a pass here is not luck of the emulator.
"""

from __future__ import annotations

import dataclasses
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
from typing import TYPE_CHECKING

import pytest
import yaml
from botocore.exceptions import ClientError

from clearwater_sg.permission import Addresses
from clearwater_sg.resources import AWS_EGRESS, AWS_GROUP, AWS_INGRESS
from harness import PROJECT_DIR, aws, run_main
from harness.servers import MotoServer, free_loopback_port
from offline.inventory import inventory
from offline.runner import Recording, Registered
from tests.conformance.appliers import (
    STACKS_DIR,
    ApplyError,
    Ec2Applier,
    applied_to_ec2,
    case_names,
    recording_of,
    registered_ec2_groups,
    registered_ec2_rules,
)

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client

pytestmark = pytest.mark.conformance

CASES = case_names("aws")
MOTO_RULES_PER_GROUP = 60
LOCAL_PORT = 5055  # the local stack's EC2 endpoint port


def test_the_cases_cover_the_bundled_stacks_and_the_largest_configuration() -> None:
    assert {"stack-aws-prod", "stack-aio-lab", "stack-local"} <= set(CASES)
    assert CASES[-1] == "largest-aws"
    assert len(recording_of("largest-aws").of_type(AWS_GROUP)) == 8


# ==========================================================================
# Apply and read back


@pytest.mark.parametrize("case", CASES)
def test_ec2_accepts_every_request(moto_ec2: MotoServer, case: str) -> None:
    recording = recording_of(case)
    applier, _ = applied_to_ec2(moto_ec2, case)  # raises ApplyError on any refusal
    assert applier.created_groups == [g.name for g in recording.of_type(AWS_GROUP)]
    assert applier.created_rules == [
        r.name for r in recording.resources if r.type in (AWS_INGRESS, AWS_EGRESS)
    ]


@pytest.mark.parametrize("case", CASES)
def test_ec2_stores_exactly_the_registered_permissions(moto_ec2: MotoServer, case: str) -> None:
    """Every permission of every applied group, one row per source, against the
    registered rules: equal as multisets. AWS's default allow-all egress is gone, so the
    only egress is what the program declares."""
    recording = recording_of(case)
    applier, _ = applied_to_ec2(moto_ec2, case)
    stored = applier.stored_rules(recording)
    expected = registered_ec2_rules(recording)
    assert list((stored - expected).elements()) == [], "permissions EC2 holds beyond the plan"
    assert list((expected - stored).elements()) == [], "registered rules EC2 lacks"
    assert stored == expected
    egress_groups = {row.permission.group for row in stored if row.permission.direction == "egress"}
    assert egress_groups == {g.key for g in inventory(recording).groups if "all-nodes" in g.key}


@pytest.mark.parametrize("case", CASES)
def test_ec2_stores_the_groups_names_descriptions_vpc_and_tags(
    moto_ec2: MotoServer, case: str
) -> None:
    recording = recording_of(case)
    applier, _ = applied_to_ec2(moto_ec2, case)
    assert applier.stored_groups(recording) == registered_ec2_groups(recording, applier.ids)


@pytest.mark.parametrize("case", CASES)
def test_every_group_fits_motos_stricter_rule_count(moto_ec2: MotoServer, case: str) -> None:
    """moto's count (IPv4 + IPv6 + group pairs together) is what EC2 reports per group,
    and every group stays within 60 of it, in each direction."""
    recording = recording_of(case)
    applier, _ = applied_to_ec2(moto_ec2, case)
    stored = applier.stored_rules(recording)
    for group in inventory(recording).groups:
        ways: Counter[str] = Counter()
        for row, n in stored.items():
            if row.permission.group == group.key:
                ways[row.permission.direction] += n
        ingress, egress = ways["ingress"], ways["egress"]
        assert ingress == applier.ingress_count(applier.ids[group.id])
        assert ingress <= MOTO_RULES_PER_GROUP and egress <= MOTO_RULES_PER_GROUP


# ==========================================================================
# The applier and the read-back really catch problems (run once each)


@pytest.fixture(scope="module")
def small() -> Recording:
    return run_main(aws(roles=["sprout"], ipVersion="dual"))


def _applier(ec2: EC2Client, recording: Recording, vpc_id: str) -> Ec2Applier:
    applier = Ec2Applier(ec2)
    applier.use_vpc(recording, vpc_id)
    return applier


def _rule_named(recording: Recording, fragment: str) -> Registered:
    [rule] = [r for r in recording.resources if r.type == AWS_INGRESS and fragment in r.name]
    return rule


def _code(error: ApplyError) -> str:
    assert isinstance(error.cause, ClientError)
    return str(error.cause.response["Error"]["Code"])


def test_a_duplicate_rule_is_refused_by_ec2(ec2: EC2Client, vpc_id: str, small: Recording) -> None:
    ssh = _rule_named(small, "tcp-22-from-0.0.0.0")
    twin = dataclasses.replace(ssh, name=f"{ssh.name}-twin", urn=f"{ssh.urn}-twin")
    applier = _applier(ec2, small, vpc_id)
    with pytest.raises(ApplyError) as raised:
        applier.apply(Recording(resources=[*small.resources, twin]))
    assert raised.value.resource is twin
    assert _code(raised.value) == "InvalidPermission.Duplicate"


def test_a_cidr_of_the_wrong_family_is_refused_by_ec2(
    ec2: EC2Client, vpc_id: str, small: Recording
) -> None:
    ssh = _rule_named(small, "tcp-22-from-0.0.0.0")
    mutated = Recording(
        resources=[
            dataclasses.replace(r, inputs={**r.inputs, "cidrIpv4": "::/0"}) if r is ssh else r
            for r in small.resources
        ]
    )
    with pytest.raises(ApplyError) as raised:
        _applier(ec2, small, vpc_id).apply(mutated)
    assert raised.value.resource.name == ssh.name
    assert _code(raised.value) == "InvalidParameterValue"


def test_a_group_id_without_a_mapping_is_never_sent(
    ec2: EC2Client, vpc_id: str, small: Recording
) -> None:
    bastion = run_main(aws(roles=["sprout"], sshSources=["sg-0123456789abcdef0"]))
    ssh = _rule_named(bastion, "tcp-22-from-sg-0123456789abcdef0")
    applier = _applier(ec2, bastion, vpc_id)
    with pytest.raises(ApplyError) as raised:
        applier.apply(bastion)
    assert (raised.value.resource.name, raised.value.step) == (ssh.name, "translate")
    assert ssh.name not in applier.created_rules


def test_the_read_back_sees_a_permission_removed_behind_the_programs_back(
    ec2: EC2Client, vpc_id: str, small: Recording
) -> None:
    applier = _applier(ec2, small, vpc_id)
    applier.apply(small)
    expected = registered_ec2_rules(small)
    assert applier.stored_rules(small) == expected
    ssh = _rule_named(small, "tcp-22-from-0.0.0.0")
    ec2.revoke_security_group_ingress(
        GroupId=applier.ids[str(ssh.inputs["securityGroupId"])],
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 22,
                "ToPort": 22,
                "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
            }
        ],
    )
    missing = expected - applier.stored_rules(small)
    assert [(row.permission.low, row.permission.peer) for row in missing.elements()] == [
        (22, Addresses("0.0.0.0/0"))
    ]


# ==========================================================================
# The local stack: scripts/local-ec2.py serves the VPC that stacks/Pulumi.local.yaml names


@pytest.fixture
def local_stack_file(tmp_path: Path) -> Path:
    """A copy of stacks/Pulumi.local.yaml, for the script to write its VPC's id into."""
    copy = tmp_path / "Pulumi.local.yaml"
    copy.write_text((STACKS_DIR / "Pulumi.local.yaml").read_text())
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


def test_the_local_stack_applies_to_the_endpoint_the_script_starts(
    local_ec2: tuple[str, str], local_stack_file: Path
) -> None:
    """What `pulumi up -s local` would do, minus the CLI: the endpoint in the stack file
    is the one scripts/local-ec2.py serves (here on a free port instead of its default),
    the stack file names the VPC the script made, whatever id moto gave it, and the
    stack's registrations apply there with the stack's own VPC id."""
    endpoint, vpc_id = local_ec2
    config = yaml.safe_load(local_stack_file.read_text())["config"]
    script = (PROJECT_DIR / "scripts" / "local-ec2.py").read_text()
    assert config["aws:endpoints"] == [{"ec2": f"http://127.0.0.1:{LOCAL_PORT}"}]
    assert f"DEFAULT_PORT = {LOCAL_PORT}" in script
    assert config["clearwater-sg:vpcId"] == vpc_id
    # The script changed that one line only.
    original = (STACKS_DIR / "Pulumi.local.yaml").read_text().splitlines()
    changed = [
        (old, new)
        for old, new in zip(original, local_stack_file.read_text().splitlines(), strict=True)
        if old != new
    ]
    assert all("clearwater-sg:vpcId:" in old for old, _ in changed), changed
    import boto3
    from botocore.config import Config

    client = boto3.client(
        "ec2",
        region_name=str(config["aws:region"]),
        endpoint_url=endpoint,
        aws_access_key_id=str(config["aws:accessKey"]),
        aws_secret_access_key=str(config["aws:secretKey"]),
        config=Config(proxies={"http": "", "https": ""}),
    )
    recording = recording_of("stack-local")
    applier = Ec2Applier(client, ids={vpc_id: vpc_id})
    applier.apply(recording)
    assert applier.stored_rules(recording) == registered_ec2_rules(recording)
    assert Counter(g.vpc_id for g in applier.stored_groups(recording).values()) == {
        vpc_id: len(recording.of_type(AWS_GROUP))
    }
