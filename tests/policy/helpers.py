"""The policy pack as Pulumi loads it, and the resources the policy tests judge: props
written as the engine sends them to a policy (camelCase input names, numbers), one
builder per rule resource type, and what the real program registers for a stack."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

from clearwater_sg.stack_file import load_stack
from harness import PROJECT_DIR, run_main

POLICY_DIR = PROJECT_DIR / "policy"

# The resource types the policies judge.
AWS_INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
AWS_EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
AWS_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
AWS_GROUP = "aws:ec2/securityGroup:SecurityGroup"
AWS_DEFAULT_GROUP = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
OPENSTACK_RULE = "openstack:networking/secGroupRule:SecGroupRule"
# What a rule's peer may name: a managed prefix list, its entries, a Neutron address group.
AWS_PREFIX_LIST = "aws:ec2/managedPrefixList:ManagedPrefixList"
AWS_PREFIX_LIST_ENTRY = "aws:ec2/managedPrefixListEntry:ManagedPrefixListEntry"
OPENSTACK_ADDRESS_GROUP = "openstack:networking/addressGroupV2:AddressGroupV2"


# The pack's policies, by name.
INTERNAL = "clearwater-internal-port-not-world-open"
DESCRIPTION = "security-group-rule-has-description"
PROTOCOL = "security-group-rule-protocol-readable"
INLINE = "no-inline-security-group-rules"
MANAGEMENT = "ssh-snmp-not-world-open"
MANAGEMENT_API = "management-api-not-world-open"
EGRESS = "egress-not-allow-all"


def load_pack_module(name: str) -> ModuleType:
    # Pulumi runs the pack with its directory on sys.path; so do the tests.
    if str(POLICY_DIR) not in sys.path:
        sys.path.insert(0, str(POLICY_DIR))
    return importlib.import_module(name)


checks = load_pack_module("clearwater_checks")


def fired(resource_type: str, props: Mapping[str, Any]) -> set[str]:
    """The names of the policies a resource violates."""
    return {policy.name for policy, _ in checks.violations(resource_type, props)}


def aws_ingress(port: int, cidr: str = "0.0.0.0/0", **props: Any) -> dict[str, Any]:
    family = "cidrIpv6" if ":" in cidr else "cidrIpv4"
    return {
        "ipProtocol": "tcp",
        "fromPort": port,
        "toPort": port,
        family: cidr,
        "description": "a rule",
        "securityGroupId": "sg-0123456789abcdef0",
        **props,
    }


def aws_rule(port: int, *cidrs: str, **props: Any) -> dict[str, Any]:
    """An ingress aws.ec2.SecurityGroupRule: the one resource type with CIDR lists."""
    return {
        "type": "ingress",
        "protocol": "tcp",
        "fromPort": port,
        "toPort": port,
        "cidrBlocks": [cidr for cidr in cidrs if ":" not in cidr],
        "ipv6CidrBlocks": [cidr for cidr in cidrs if ":" in cidr],
        "description": "a rule",
        "securityGroupId": "sg-0123456789abcdef0",
        **props,
    }


def openstack_ingress(port: int | None, **props: Any) -> dict[str, Any]:
    rule: dict[str, Any] = {
        "direction": "ingress",
        "ethertype": "IPv4",
        "protocol": "tcp",
        "description": "a rule",
        "securityGroupId": "f6b0c2a4-0000-4000-8000-000000000000",
        **props,
    }
    if port is not None:
        rule |= {"portRangeMin": port, "portRangeMax": port}
    return rule


def registrations(stack_file: Path) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(type, name, id, inputs) of each resource the real program registers for a stack
    file, run under the mock engine with the config `pulumi up` would give it."""
    stack = load_stack(stack_file)
    recording = run_main(stack.config, stack.stack)
    return [
        (resource.type, resource.name, resource.id, resource.inputs)
        for resource in recording.resources
    ]
