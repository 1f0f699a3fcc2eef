"""What the program registers for a deployment, as the cloud will store it.

The plan comes from `clearwater_sg.component.prepare`, exactly as the component makes
it (fitted to the cloud, quota-checked); each group and rule is then encoded the way the
backend encodes it (`clearwater_sg.backends.aws` / `.openstack`), with the Pulumi
resource name and type the backend registers. The conformance tests compare these with
the real program's registrations under the mock engine.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping

from clearwater_sg.component import prepare
from clearwater_sg.live.model import (
    ANY_FAMILY,
    GROUP_PEER,
    ID_PEER,
    PREFIX_LIST_PEER,
    Expected,
    Field,
    LiveError,
    Permission,
    PlannedGroup,
    PlannedRule,
)
from clearwater_sg.options import DeploymentOptions, GroupNames
from clearwater_sg.plan import (
    CidrPeer,
    ExistingGroupPeer,
    GroupPeer,
    Plan,
    PlanError,
    PrefixListPeer,
    RuleSpec,
)
from clearwater_sg.quota import QuotaExceededError
from clearwater_sg.types import Cloud, check_name_prefix

AWS_GROUP = "aws:ec2/securityGroup:SecurityGroup"
AWS_INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
AWS_EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
OPENSTACK_GROUP = "openstack:networking/secGroup:SecGroup"
OPENSTACK_RULE = "openstack:networking/secGroupRule:SecGroupRule"

# What the providers compare on update, and what they replace on (ForceNew):
# terraform-provider-aws `aws_security_group` (name, description, vpc_id ForceNew; tags
# in place) and `aws_vpc_security_group_{ingress,egress}_rule` (every field in place);
# terraform-provider-openstack `openstack_networking_secgroup_v2` (name, description,
# tags in place) and `openstack_networking_secgroup_rule_v2` (every field ForceNew).
AWS_GROUP_FIELDS = (Field("name", True), Field("description", True), Field("tags", False))
# With `groupNames: generated` the program sets name_prefix (ForceNew) and AWS completes it.
AWS_GENERATED_GROUP_FIELDS = (
    Field("name_prefix", True),
    Field("description", True),
    Field("tags", False),
)
# terraform-provider-aws's generated names: the prefix, then a 26-digit unique id.
_GENERATED_SUFFIX = re.compile(r"(?s)(.*?)(\d{26})")
AWS_RULE_FIELDS = (Field("description", False),)
# With tagRules, a rule's tags too (updated in place).
AWS_TAGGED_RULE_FIELDS = (*AWS_RULE_FIELDS, Field("tags", False))
OPENSTACK_GROUP_FIELDS = (Field("name", False), Field("description", False), Field("tags", False))
OPENSTACK_RULE_FIELDS = (
    Field("description", True),
    Field("protocol", True),
    Field("remote_ip_prefix", True),
)

_ETHERTYPE = {4: "IPv4", 6: "IPv6"}


def expected(options: DeploymentOptions, stack: str, component: str = "clearwater") -> Expected:
    """Every group and rule the component `component` of stack `stack` registers.

    Raises LiveError when the program itself would refuse the options.
    """
    if options.name_prefix is None:
        # clearwater_sg.component.default_prefix, without a running Pulumi program.
        try:
            prefix = check_name_prefix(f"{component}-{stack}", options.cloud)
        except ValueError as exc:
            raise LiveError(
                f"the default group name prefix, <component name>-<stack>, is not usable: "
                f"{exc}. Set namePrefix"
            ) from None
        options = options.model_copy(update={"name_prefix": prefix})
    try:
        prepared = prepare(options, component)
    except (PlanError, QuotaExceededError) as exc:
        raise LiveError(f"the program would refuse this stack: {exc}") from None
    plan = prepared.plan
    not_created = tuple(f"{rule.key}: {why}" for rule, why in prepared.not_created)
    if options.cloud is Cloud.AWS:
        assert isinstance(options.vpc_id, str)  # from stack config, always text
        generated = options.group_names is GroupNames.GENERATED
        return Expected(
            cloud=options.cloud.value,
            stack=stack,
            component=component,
            groups=_aws_groups(plan, component, generated),
            rules=tuple(_aws_rule(rule, plan, options, component) for rule in plan.rules),
            group_fields=AWS_GENERATED_GROUP_FIELDS if generated else AWS_GROUP_FIELDS,
            generated_names=generated,
            rule_fields=AWS_TAGGED_RULE_FIELDS if options.tag_rules else AWS_RULE_FIELDS,
            vpc_id=options.vpc_id,
            protect=options.protect,
            not_created=not_created,
        )
    return Expected(
        cloud=options.cloud.value,
        stack=stack,
        component=component,
        groups=_openstack_groups(plan, component),
        rules=tuple(
            _openstack_rule(rule, family, options, component)
            for rule in plan.rules
            for family in plan.families_of(rule)
        ),
        group_fields=OPENSTACK_GROUP_FIELDS,
        rule_fields=OPENSTACK_RULE_FIELDS,
        protect=options.protect,
        not_created=not_created,
    )


def normal_cidr(cidr: str) -> str:
    return str(ipaddress.ip_network(cidr, strict=False))


def _peer(rule: RuleSpec, options: DeploymentOptions) -> str:
    peer = rule.peer
    if isinstance(peer, CidrPeer):
        return normal_cidr(peer.cidr)
    if isinstance(peer, GroupPeer):
        return GROUP_PEER + peer.group
    if isinstance(peer, PrefixListPeer):
        return PREFIX_LIST_PEER + peer.prefix_list
    assert isinstance(peer, ExistingGroupPeer)
    ref = options.labelled_groups[peer.ref] if peer.labelled else peer.ref
    if not isinstance(ref, str):
        raise LiveError(f"rule {rule.key}: the group of label {peer.ref!r} is not a plain id")
    return ID_PEER + ref


# -- AWS ---------------------------------------------------------------------------


def generated_name_prefix(name: str) -> str | None:
    """The name_prefix terraform-provider-aws reads back from a group's name: what
    precedes a 26-digit unique id it generated, or None for a name it did not generate."""
    match = _GENERATED_SUFFIX.fullmatch(name)
    return match.group(1) if match else None


def _aws_groups(plan: Plan, component: str, generated: bool) -> tuple[PlannedGroup, ...]:
    return tuple(
        PlannedGroup(
            key=group.key,
            resource_name=f"{component}-{group.key}",
            type=AWS_GROUP,
            name=f"{group.name}-" if generated else group.name,
            fields={
                "name_prefix" if generated else "name": f"{group.name}-"
                if generated
                else group.name,
                "description": group.description,
                "tags": _tag_texts(group.tags),
            },
        )
        for group in plan.groups
    )


def aws_protocol(ip_protocol: str) -> tuple[str, str | None]:
    """(protocol, the family it implies) for an EC2 IpProtocol, names or numbers."""
    name = {"6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6", "all": "-1"}.get(
        ip_protocol.lower(), ip_protocol.lower()
    )
    if name == "icmp":
        return "icmp", "IPv4"
    if name == "icmpv6":
        return "icmp", "IPv6"
    return ("all" if name == "-1" else name), None


def aws_ports(protocol: str, from_port: int | None, to_port: int | None) -> tuple[int | None, ...]:
    """EC2's ports as a permission's (low, high): -1 (any type, code or port) is None."""
    if protocol == "all":
        return None, None
    return tuple(None if port is None or port == -1 else port for port in (from_port, to_port))


def _aws_rule(
    rule: RuleSpec, plan: Plan, options: DeploymentOptions, component: str
) -> PlannedRule:
    from clearwater_sg.backends import aws as aws_backend  # pulumi-aws, on AWS only
    from clearwater_sg.backends import rule_tags

    ip_protocol, from_port, to_port = aws_backend.ec2_protocol(rule)
    protocol, implied = aws_protocol(ip_protocol)
    low, high = aws_ports(protocol, from_port, to_port)
    family = ANY_FAMILY if rule.family is None else _ETHERTYPE[rule.family]
    assert implied in (None, family)
    return PlannedRule(
        resource_name=f"{component}-{rule.key}",
        type=AWS_INGRESS if rule.direction.value == "ingress" else AWS_EGRESS,
        permission=Permission(
            group=rule.group,
            direction=rule.direction.value,
            family=family,
            protocol=protocol,
            low=low,
            high=high,
            peer=_peer(rule, options),
        ),
        description=rule.description,
        fields={
            "description": rule.description,
            "tags": _tag_texts(rule_tags(plan, rule, component) if options.tag_rules else {}),
        },
    )


def _tag_texts(tags: Mapping[str, str]) -> tuple[str, ...]:
    """Tags as compared and shown: `key=value`, sorted."""
    return tuple(sorted(f"{key}={value}" for key, value in tags.items()))


# -- OpenStack ---------------------------------------------------------------------


def _openstack_groups(plan: Plan, component: str) -> tuple[PlannedGroup, ...]:
    from clearwater_sg.backends import openstack as os_backend  # pulumi-openstack

    return tuple(
        PlannedGroup(
            key=group.key,
            resource_name=f"{component}-{group.key}",
            type=OPENSTACK_GROUP,
            name=group.name,
            fields={
                "name": group.name,
                "description": group.description,
                "tags": tuple(os_backend.neutron_tags(group)),
            },
        )
        for group in plan.groups
    )


def openstack_protocol(protocol: str | None) -> str:
    """A permission's protocol for a Neutron rule's, names or numbers."""
    if protocol is None or protocol in ("", "any"):
        return "all"
    text = protocol.lower()
    return {
        "6": "tcp",
        "17": "udp",
        "1": "icmp",
        "58": "icmp",
        "icmpv6": "icmp",
        "ipv6-icmp": "icmp",
    }.get(text, text)


def _openstack_rule(
    rule: RuleSpec, family: int, options: DeploymentOptions, component: str
) -> PlannedRule:
    from clearwater_sg.backends import openstack as os_backend  # pulumi-openstack

    protocol, port_min, port_max = os_backend.neutron_protocol(rule, family)
    peer = rule.peer
    remote_ip_prefix = peer.cidr if isinstance(peer, CidrPeer) else None
    ethertype = _ETHERTYPE[family]
    return PlannedRule(
        resource_name=f"{component}-{rule.key}-{ethertype.lower()}",
        type=OPENSTACK_RULE,
        permission=Permission(
            group=rule.group,
            direction=rule.direction.value,
            family=ethertype,
            protocol=openstack_protocol(protocol),
            # gophercloud leaves a 0 port out of the request: Neutron stores "any".
            low=port_min or None,
            high=port_max or None,
            peer=_peer(rule, options),
        ),
        description=rule.description,
        fields={
            "description": rule.description,
            "protocol": protocol,
            "remote_ip_prefix": remote_ip_prefix,
        },
    )
