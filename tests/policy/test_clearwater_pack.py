"""The policy pack as pulumi-policy runs it (`policy/clearwater_pack.py` and
`policy/__main__.py`): five mandatory policies and two advisory, reporting through
pulumi-policy with props as it hands them over (read-only lists; values unknown during a
preview, which must not stop a policy from running), each resource alone and then the
whole stack, where a rule's prefix list or address group is followed to what it holds
(a list the stack does not define counts as the world); then the pack run the way
`pulumi preview --policy-pack policy` does (the analyzer server pulumi-policy starts,
spoken to over gRPC), with nothing but this machine, and needing the port matrix but
nothing of the offline renderer."""

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
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

from tests.helpers import STACK_FILES
from tests.policy.helpers import (
    AWS_DEFAULT_GROUP,
    AWS_EGRESS,
    AWS_GROUP,
    AWS_INGRESS,
    AWS_PREFIX_LIST,
    AWS_PREFIX_LIST_ENTRY,
    AWS_RULE,
    DESCRIPTION,
    EGRESS,
    INLINE,
    INTERNAL,
    MANAGEMENT,
    MANAGEMENT_API,
    OPENSTACK_ADDRESS_GROUP,
    OPENSTACK_RULE,
    POLICY_DIR,
    PROTOCOL,
    aws_ingress,
    aws_rule,
    fired,
    load_pack_module,
    openstack_ingress,
    registrations,
)

pack = load_pack_module("clearwater_pack")


def test_the_pack_declares_five_mandatory_policies_and_two_advisory() -> None:
    levels = {policy.name: policy.enforcement_level for policy in pack.policies()}
    assert levels == {
        INTERNAL: EnforcementLevel.MANDATORY,
        DESCRIPTION: EnforcementLevel.MANDATORY,
        PROTOCOL: EnforcementLevel.MANDATORY,
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


# --- The whole stack: prefix lists and address groups followed to what they hold ---------


# A stack's resource: (type, name, props, property -> the names of the resources it uses).
Stacked = tuple[str, str, dict[str, Any], dict[str, list[str]]]


def urn(resource_type: str, name: str) -> str:
    return f"urn:pulumi:test::p::{resource_type}::{name}"


def validate_stack(resources: list[Stacked]) -> dict[str, set[str]]:
    """Run every stack-level policy of the pack on a stack, props wrapped as during a
    preview; policy name -> the names of the resources it reported."""
    made = {
        name: PolicyResource(rtype, unknown_checking_proxy(props), urn(rtype, name), name,
                             NO_OPTIONS, None, None, [], {})
        for rtype, name, props, _ in resources
    }  # fmt: skip
    for _, name, _, uses in resources:
        made[name].property_dependencies = {k: [made[n] for n in v] for k, v in uses.items()}
    reported: dict[str, set[str]] = {}
    for policy in pack.policies():
        if isinstance(policy, StackValidationPolicy):

            def report(_message: str, at: str | None, name: str = policy.name) -> None:
                reported.setdefault(name, set()).add(str(at).rsplit("::", 1)[-1])

            policy.validate(StackValidationArgs(list(made.values())), report)
    return reported


def neutron_rule(port: int, address_group: str) -> dict[str, Any]:
    return openstack_ingress(port, remoteAddressGroupId=address_group)


def address_group(*addresses: str) -> dict[str, Any]:
    return {"name": "partners", "addresses": list(addresses)}


@pytest.mark.parametrize(
    ("held", "reported"),
    [
        (["0.0.0.0/0"], {INTERNAL: {"cassandra"}}),
        (["10.0.0.0/8", "198.51.100.0/24"], {}),
        (["10.0.0.0/8", "8.8.8.0/24"], {INTERNAL: {"cassandra"}}),
    ],
)
def test_a_rule_from_an_address_group_is_judged_by_what_the_group_holds(
    held: list[str], reported: dict[str, set[str]]
) -> None:
    """During a preview the new group's id is not known: the rule's property names it."""
    stack: list[Stacked] = [
        (OPENSTACK_ADDRESS_GROUP, "partners", address_group(*held), {}),
        (OPENSTACK_RULE, "cassandra", neutron_rule(7000, UNKNOWN_STRING_VALUE),
         {"remoteAddressGroupId": ["partners"]}),
    ]  # fmt: skip
    assert validate_stack(stack) == reported


def test_a_prefix_list_is_followed_by_its_id_to_its_entries_of_every_kind() -> None:
    """Inline entries and entry resources alike; by id once the update knows it."""
    listed = {"name": "partners", "addressFamily": "IPv4", "maxEntries": 5, "id": "pl-0aaa"}
    stack: list[Stacked] = [
        (AWS_PREFIX_LIST, "partners", listed | {"entries": [{"cidr": "10.1.0.0/16"}]}, {}),
        (AWS_PREFIX_LIST_ENTRY, "more", {"prefixListId": "pl-0aaa", "cidr": "0.0.0.0/1"},
         {"prefixListId": ["partners"]}),
        (AWS_INGRESS, "etcd", aws_ingress(2380, cidrIpv4=None, prefixListId="pl-0aaa"), {}),
        (AWS_INGRESS, "sip", aws_ingress(5060, cidrIpv4=None, prefixListId="pl-0aaa"), {}),
        (AWS_EGRESS, "out", {"ipProtocol": "-1", "prefixListId": "pl-0aaa", "description": "d"},
         {}),
    ]  # fmt: skip
    assert validate_stack(stack) == {INTERNAL: {"etcd"}, EGRESS: {"out"}}


def test_a_prefix_list_the_stack_does_not_define_counts_as_the_world() -> None:
    stack: list[Stacked] = [
        (AWS_INGRESS, "etcd", aws_ingress(2380, cidrIpv4=None, prefixListId="pl-0bbb"), {}),
        (AWS_INGRESS, "ssh", aws_ingress(22, cidrIpv4=None, prefixListId="pl-0bbb"), {}),
        (OPENSTACK_RULE, "api", neutron_rule(9886, "0c7e2f3a-0000-4000-8000-000000000000"), {}),
    ]
    assert validate_stack(stack) == {
        INTERNAL: {"etcd"},
        MANAGEMENT: {"ssh"},
        MANAGEMENT_API: {"api"},
    }


def test_outputs_a_preview_does_not_know_yet_are_no_peers_the_program_set() -> None:
    """The stack is judged on outputs: during a preview each output the provider computes
    is unknown (a rule's remote group and address group ids), set or not; only a value
    set from another resource depends on one (found with the real engine)."""
    computed = {"remoteGroupId": UNKNOWN_STRING_VALUE, "remoteAddressGroupId": UNKNOWN_STRING_VALUE}
    private = openstack_ingress(7000, remoteIpPrefix="10.0.0.0/8") | computed
    assert validate_stack([(OPENSTACK_RULE, "cassandra", private, {})]) == {}
    hand_made = neutron_rule(7000, "0c7e2f3a-0000-4000-8000-000000000000") | {
        "remoteGroupId": UNKNOWN_STRING_VALUE
    }
    assert validate_stack([(OPENSTACK_RULE, "cassandra", hand_made, {})]) == {
        INTERNAL: {"cassandra"}
    }


def test_the_stack_judges_only_what_one_resource_cannot() -> None:
    """A CIDR is judged once, on its resource; the stack adds nothing for it."""
    stack: list[Stacked] = [(AWS_INGRESS, "etcd", aws_ingress(2380, "0.0.0.0/0"), {})]
    assert validate_stack(stack) == {}
    assert set(validate(AWS_INGRESS, aws_ingress(2380, "0.0.0.0/0"))) == {INTERNAL}


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


def test_the_running_pack_follows_an_address_group_at_the_end_of_a_preview(
    analyzer: analyzer_pb2_grpc.AnalyzerStub,
) -> None:
    """As the engine sends a stack: each resource's properties and, per property, the
    resources it depends on; the new group's id is not known yet."""
    partners = analyzer_pb2.AnalyzerResource(
        type=OPENSTACK_ADDRESS_GROUP, urn=urn(OPENSTACK_ADDRESS_GROUP, "partners"), name="p"
    )
    partners.properties.update(address_group("10.0.0.0/8", "0.0.0.0/0"))
    rule = analyzer_pb2.AnalyzerResource(
        type=OPENSTACK_RULE, urn=urn(OPENSTACK_RULE, "cassandra"), name="cassandra"
    )
    rule.properties.update(neutron_rule(7000, UNKNOWN_STRING_VALUE))
    rule.propertyDependencies["remoteAddressGroupId"].urns.append(partners.urn)
    request = analyzer_pb2.AnalyzeStackRequest(resources=[partners, rule])
    response = analyzer.AnalyzeStack(request, timeout=30)
    assert [(d.policyName, d.enforcementLevel, d.urn) for d in response.diagnostics] == [
        (INTERNAL, analyzer_pb2.MANDATORY, rule.urn)
    ]
    (diagnostic,) = response.diagnostics
    assert "which holds 0.0.0.0/0" in diagnostic.message and "TCP/7000" in diagnostic.message


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
        stack = analyzer_pb2.AnalyzeStackRequest()
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
            stacked = stack.resources.add(type=resource_type, urn=urn(resource_type, name))
            stacked.properties.update(props)
        # The whole stack, at the end of the preview: nothing more to say.
        assert list(analyzer.AnalyzeStack(stack, timeout=60).diagnostics) == [], stack_file.name
