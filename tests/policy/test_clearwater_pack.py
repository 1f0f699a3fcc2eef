"""The policy pack as pulumi-policy runs it (`policy/clearwater_pack.py` and
`policy/__main__.py`): four mandatory policies and one advisory, reporting through
pulumi-policy with props as it hands them over (read-only lists; values unknown during a
preview, which must not stop a policy from running); then the pack run the way `pulumi
preview --policy-pack policy` does (the analyzer server pulumi-policy starts, spoken to
over gRPC), with nothing but this machine, and needing the port matrix but nothing of
the offline renderer."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import grpc  # type: ignore[import-untyped]
import pytest
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc
from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

from tests.helpers import STACK_FILES
from tests.policy.helpers import (
    AWS_DEFAULT_GROUP,
    AWS_GROUP,
    AWS_INGRESS,
    AWS_RULE,
    DESCRIPTION,
    EGRESS,
    INLINE,
    INTERNAL,
    MANAGEMENT,
    MANAGEMENT_API,
    OPENSTACK_RULE,
    POLICY_DIR,
    aws_ingress,
    aws_rule,
    fired,
    load_pack_module,
    openstack_ingress,
    registrations,
)

pack = load_pack_module("clearwater_pack")


def test_the_pack_declares_four_mandatory_policies_and_two_advisory() -> None:
    levels = {policy.name: policy.enforcement_level for policy in pack.policies()}
    assert levels == {
        INTERNAL: EnforcementLevel.MANDATORY,
        DESCRIPTION: EnforcementLevel.MANDATORY,
        INLINE: EnforcementLevel.MANDATORY,
        MANAGEMENT_API: EnforcementLevel.MANDATORY,
        MANAGEMENT: EnforcementLevel.ADVISORY,
        EGRESS: EnforcementLevel.ADVISORY,
    }


NO_OPTIONS = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])


def validate(resource_type: str, props: dict[str, Any]) -> dict[str, list[str]]:
    """Run every pulumi-policy policy of the pack on a resource, props wrapped as during
    a preview (reading an unknown value raises); policy name -> its violation messages."""
    reported: dict[str, list[str]] = {}
    for policy in pack.policies():
        assert isinstance(policy, ResourceValidationPolicy)
        messages = reported.setdefault(policy.name, [])

        def report(message: str, _urn: str | None, messages: list[str] = messages) -> None:
            messages.append(message)

        args = ResourceValidationArgs(
            resource_type, unknown_checking_proxy(props), "urn:test", "test", NO_OPTIONS, None
        )
        policy.validate(args, report)
    return {name: messages for name, messages in reported.items() if messages}


def test_list_properties_are_read_as_pulumi_policy_hands_them_over() -> None:
    # pulumi-policy passes lists as a read-only Sequence, not a list.
    assert set(validate(AWS_RULE, aws_rule(7000, "10.0.0.0/8", "0.0.0.0/1"))) == {INTERNAL}
    block = {"protocol": "tcp", "fromPort": 7000, "toPort": 7000, "cidrBlocks": ["0.0.0.0/0"]}
    assert set(validate(AWS_GROUP, {"ingress": [block]})) == {INLINE, INTERNAL}
    assert set(validate(AWS_DEFAULT_GROUP, {"ingress": [block]})) == {INTERNAL}
    # An item unknown during a preview is skipped; the known ones are still judged.
    partly_known = validate(AWS_RULE, aws_rule(7000, UNKNOWN_STRING_VALUE, "::/1"))
    assert set(partly_known) == {INTERNAL}
    ((message,),) = partly_known.values()
    assert message.startswith("open to ::/1 (which includes internet addresses such as ")
    assert validate(AWS_RULE, aws_rule(7000, UNKNOWN_STRING_VALUE)) == {}


def test_an_unknown_cidr_is_not_taken_for_the_world() -> None:
    assert fired(AWS_INGRESS, aws_ingress(7000, UNKNOWN_STRING_VALUE)) == set()
    assert validate(AWS_INGRESS, aws_ingress(7000, UNKNOWN_STRING_VALUE)) == {}
    neutron = openstack_ingress(7000, remoteIpPrefix=UNKNOWN_STRING_VALUE)
    assert validate(OPENSTACK_RULE, neutron) == {}


def test_policies_report_through_pulumi_policy_and_tolerate_unknown_ids() -> None:
    # During a preview the peer group's id and the owning group's id are not known yet.
    group_rule = aws_ingress(5058, referencedSecurityGroupId=UNKNOWN_STRING_VALUE, cidrIpv4=None)
    group_rule["securityGroupId"] = UNKNOWN_STRING_VALUE
    assert validate(AWS_INGRESS, group_rule) == {}
    neutron_rule = openstack_ingress(5058, remoteGroupId=UNKNOWN_STRING_VALUE)
    assert validate(OPENSTACK_RULE, neutron_rule) == {}
    bad = validate(AWS_INGRESS, aws_ingress(5058, description=""))
    assert set(bad) == {INTERNAL, DESCRIPTION}


@pytest.fixture(scope="module")
def analyzer() -> Iterator[analyzer_pb2_grpc.AnalyzerStub]:
    """The pack started as the Pulumi CLI starts a Python policy pack (its
    pulumi-analyzer-policy-python runs `python -m pulumi.policy ENGINE PACK_DIR`)."""
    process = subprocess.Popen(
        [sys.executable, "-u", "-m", "pulumi.policy", "127.0.0.1:0", str(POLICY_DIR)],
        stdout=subprocess.PIPE,
        cwd=POLICY_DIR,
    )
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline())
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            yield analyzer_pb2_grpc.AnalyzerStub(channel)
    finally:
        process.terminate()
        process.wait(timeout=10)


def analyze(
    stub: analyzer_pb2_grpc.AnalyzerStub, resource_type: str, props: dict[str, Any]
) -> dict[str, int]:
    """policy name -> enforcement level of each diagnostic the pack returns."""
    request = analyzer_pb2.AnalyzeRequest(
        type=resource_type, urn="urn:pulumi:test::p::t::n", name="n"
    )
    request.properties.update(props)  # a protobuf Struct, as the engine sends
    response = stub.Analyze(request, timeout=30)
    # pulumi-policy turns a policy that read an unknown value into this advisory notice.
    assert not [d.message for d in response.diagnostics if "can't run policy" in d.message]
    return {d.policyName: d.enforcementLevel for d in response.diagnostics}


def test_the_pack_runs_as_the_cli_runs_it(analyzer: analyzer_pb2_grpc.AnalyzerStub) -> None:
    bad = analyze(analyzer, AWS_INGRESS, aws_ingress(5058, description=""))
    assert bad == {INTERNAL: analyzer_pb2.MANDATORY, DESCRIPTION: analyzer_pb2.MANDATORY}
    ssh = analyze(analyzer, OPENSTACK_RULE, openstack_ingress(22, remoteIpPrefix="::/0"))
    assert ssh == {MANAGEMENT: analyzer_pb2.ADVISORY}


def test_the_running_pack_sees_the_internet_in_pieces(
    analyzer: analyzer_pb2_grpc.AnalyzerStub,
) -> None:
    for cidr in ("0.0.0.0/1", "128.0.0.0/1", "::/1", "8000::/1", "8.0.0.0/7"):
        assert analyze(analyzer, AWS_INGRESS, aws_ingress(7000, cidr)) == {
            INTERNAL: analyzer_pb2.MANDATORY
        }
        ssh = openstack_ingress(22, remoteIpPrefix=cidr)
        assert analyze(analyzer, OPENSTACK_RULE, ssh) == {MANAGEMENT: analyzer_pb2.ADVISORY}
    halves = aws_rule(7000, "0.0.0.0/1", "128.0.0.0/1")
    assert analyze(analyzer, AWS_RULE, halves) == {INTERNAL: analyzer_pb2.MANDATORY}
    block = {"protocol": "tcp", "fromPort": 7000, "toPort": 7000, "ipv6CidrBlocks": ["::/1"]}
    assert analyze(analyzer, AWS_GROUP, {"ingress": [block]}) == {
        INLINE: analyzer_pb2.MANDATORY,
        INTERNAL: analyzer_pb2.MANDATORY,
    }
    assert analyze(analyzer, AWS_INGRESS, aws_ingress(7000, "10.0.0.0/8")) == {}


def test_the_pack_needs_the_port_matrix_and_nothing_of_the_offline_renderer() -> None:
    # As Pulumi loads it: the pack's directory on sys.path, and nothing else of the tests.
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, clearwater_pack; print(*sorted(sys.modules))"],
        cwd=POLICY_DIR,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert "clearwater_sg.matrix" in loaded
    assert [module for module in loaded if module.split(".")[0] == "offline"] == []


def test_the_running_pack_is_quiet_on_our_stacks_during_a_preview(
    analyzer: analyzer_pb2_grpc.AnalyzerStub,
) -> None:
    for stack_file in STACK_FILES:
        resources = registrations(stack_file)
        # In a preview, the ids of resources created by the same update are not known yet.
        created = {resource_id for _, _, resource_id, _ in resources}
        for resource_type, name, _, inputs in resources:
            props = {
                key: UNKNOWN_STRING_VALUE if isinstance(value, str) and value in created else value
                for key, value in inputs.items()
            }
            diagnostics = analyze(analyzer, resource_type, props)
            mandatory = {
                policy for policy, level in diagnostics.items() if level != analyzer_pb2.ADVISORY
            }
            assert mandatory == set(), (stack_file.name, name)
            # Unknown ids must not stop a policy from running ("can't run during preview").
            assert set(diagnostics) <= {MANAGEMENT, EGRESS}, (stack_file.name, name)
