"""The planner (`clearwater_sg.plan`): options and the port matrix in, provider-neutral
groups and rules out. On its own: rule keys unique, safe as resource names and
independent of the order of config lists; every rule names its document section; a
matrix that repeats a line is refused. Through the real program (`tests.helpers.run_main`):
a toggle adds exactly its own rules and nothing else in a running deployment moves; two
rules that permit the same traffic are refused; each source (a prefix list, an extra
rule's, a labelled group) becomes the peer it names; a profile whose roles are absent
adds nothing and says so; an extra rule that opens internal ports to the internet is
warned about.

Resource names are the engine's identity for a resource: an unchanged name with unchanged
inputs means `pulumi up` leaves it alone. So the stability tests compare whole
registrations."""

from __future__ import annotations

import pulumi
import pytest

from clearwater_sg import ClearwaterSecurityGroups
from clearwater_sg.component import prepare
from clearwater_sg.matrix import MATRIX, Audience, Flow, FlowNetwork
from clearwater_sg.options import DeploymentOptions
from clearwater_sg.plan import PlanError, plan_security_groups
from clearwater_sg.resources import GROUP_TYPES
from clearwater_sg.roles import Role
from harness import ALL_ROLES, DOC, VPC, aws, openstack, run_main
from harness.doc_reader import ANY_FAMILY, CORE_ROLES, Permission, expected_rules, read_document
from offline.runner import Recording, run_program
from tests.beyond import base
from tests.helpers import BGCF, CLOUDS, EXTRA, PL, SG_A, SG_B, UUID_A, refused
from tests.registered import registered_permissions, registered_rules, role_of_tags


def full_options(**extra: object) -> DeploymentOptions:
    return DeploymentOptions.model_validate(
        {
            "cloud": "openstack",
            "roles": ["ellis", "bono", "sprout", "dime", "homer", "vellum", "app-server"],
            "memento": True,
            "hss": True,
            "snmpSources": ["10.0.0.0/8", "fd00::/8"],
            "ipVersion": "dual",
            **extra,
        }
    )


def test_rule_keys_are_unique_and_safe_as_pulumi_resource_names() -> None:
    plan = plan_security_groups(full_options(), "cw")
    keys = [rule.key for rule in plan.rules]
    assert len(keys) == len(set(keys))
    # '::' separates URN parts and '/' is not allowed in names: neither may appear.
    assert all("::" not in key and "/" not in key for key in keys)


def test_a_matrix_that_repeats_a_line_is_refused() -> None:
    repeated = (
        *MATRIX,
        Flow(
            section="Ellis",
            group=Role.ELLIS,
            line="TCP/80",
            service="Web UI",
            sources=(Audience.WORLD,),
            network=FlowNetwork.MANAGEMENT,
        ),
    )
    with pytest.raises(PlanError, match=r"duplicates.*ellis-in-tcp-80-from-0\.0\.0\.0_0"):
        plan_security_groups(full_options(), "cw", flows=repeated)


def test_every_rule_names_the_document_section_it_comes_from() -> None:
    sections = {flow.section for flow in MATRIX}
    plan = plan_security_groups(full_options(), "cw")
    ingress = [rule for rule in plan.rules if rule.direction == "ingress"]
    assert ingress and all(rule.section in sections for rule in ingress)


def test_keys_do_not_depend_on_the_order_of_config_lists() -> None:
    one = plan_security_groups(full_options(), "cw")
    other = plan_security_groups(
        full_options(
            roles=["app-server", "vellum", "homer", "dime", "sprout", "bono", "ellis"],
            snmpSources=["fd00::/8", "10.0.0.0/8"],
        ),
        "cw",
    )
    assert {rule.key: rule for rule in one.rules} == {rule.key: rule for rule in other.rules}


# --- A toggle adds exactly its own rules; nothing else moves ------------------------------


def registrations(recording: Recording) -> dict[tuple[str, str], str]:
    """(type, name) -> inputs, with group ids replaced by resource names (ids are fakes)."""
    names_by_id = {r.id: r.name for r in recording.resources if r.id}
    rendered = {}
    for resource in recording.resources:
        text = repr(sorted(resource.inputs.items()))
        for group_id, name in names_by_id.items():
            text = text.replace(group_id, f"<{name}>")
        rendered[(resource.type, resource.name)] = text
    return rendered


def added_and_changed(before: Recording, after: Recording) -> tuple[set[str], set[str], set[str]]:
    old, new = registrations(before), registrations(after)
    added = {name for (_, name) in new.keys() - old.keys()}
    removed = {name for (_, name) in old.keys() - new.keys()}
    changed = {
        name for key in old.keys() & new.keys() if old[key] != new[key] for (_, name) in [key]
    }
    return added, removed, changed


def described(recording: Recording, names: set[str]) -> set[str]:
    return {str(r.inputs.get("description")) for r in recording.resources if r.name in names}


def test_hss_adds_exactly_the_registration_termination_rule() -> None:
    added, removed, changed = added_and_changed(run_main(aws()), run_main(aws(hss=True)))
    assert (removed, changed) == (set(), set())
    assert added == {"clearwater-sprout-in-tcp-9888-from-dime"}


def test_memento_adds_sprout_and_app_server_https_and_vellum_cassandra_from_sprout() -> None:
    before = run_main(aws(roles=ALL_ROLES))
    after = run_main(aws(roles=ALL_ROLES, memento=True))
    added, removed, changed = added_and_changed(before, after)
    assert (removed, changed) == (set(), set())
    assert described(after, added) == {
        "HTTP interface (Memento AS) from the world",
        "Cassandra (Memento AS) from Sprout nodes",
    }
    assert added == {
        "clearwater-sprout-in-tcp-443-from-0.0.0.0_0",
        "clearwater-app-server-in-tcp-443-from-0.0.0.0_0",
        "clearwater-vellum-in-tcp-9160-from-sprout",
    }


def test_snmp_sources_open_udp_161_162_to_each_source_only() -> None:
    before = run_main(openstack())
    after = run_main(openstack(snmpSources=["10.20.0.0/24", "10.30.0.5/32"]))
    added, removed, changed = added_and_changed(before, after)
    assert (removed, changed) == (set(), set())
    assert added == {
        "clearwater-all-nodes-in-udp-161-162-from-10.20.0.0_24-ipv4",
        "clearwater-all-nodes-in-udp-161-162-from-10.30.0.5_32-ipv4",
    }


def test_going_dual_stack_adds_ipv6_rules_and_keeps_every_ipv4_rule() -> None:
    for make in (aws, openstack):
        added, removed, changed = added_and_changed(
            run_main(make()), run_main(make(ipVersion="dual"))
        )
        assert (removed, changed) == (set(), set()), make
        after = run_main(make(ipVersion="dual"))
        for resource in after.resources:
            if resource.name in added:
                inputs = resource.inputs
                assert (
                    inputs.get("ethertype") == "IPv6"
                    or "cidrIpv6" in inputs
                    or inputs.get("ipProtocol") == "icmpv6"
                ), resource.name


def test_adding_a_role_adds_its_group_and_its_flows_only() -> None:
    core = ["ellis", "bono", "sprout", "dime", "homer", "vellum"]
    before = run_main(aws(roles=core))
    after = run_main(aws(roles=[*core, "app-server"]))
    added, removed, changed = added_and_changed(before, after)
    assert (removed, changed) == (set(), set())
    assert added == {"clearwater-app-server", "clearwater-app-server-in-tcp-5054-from-sprout"}


def test_reordering_roles_and_sources_changes_nothing() -> None:
    first = run_main(
        aws(roles=["ellis", "bono", "sprout"], sshSources=["10.0.0.0/8", "192.0.2.0/24"])
    )
    second = run_main(
        aws(roles=["sprout", "ellis", "bono"], sshSources=["192.0.2.0/24", "10.0.0.0/8"])
    )
    assert registrations(first) == registrations(second)


def test_group_names_and_descriptions_never_depend_on_toggles() -> None:
    plain = run_main(aws(roles=ALL_ROLES))
    everything = run_main(
        aws(roles=ALL_ROLES, memento=True, hss=True, snmpSources=["10.0.0.0/8"], ipVersion="dual")
    )

    def groups(recording: Recording) -> dict[str, tuple[object, object]]:
        return {
            r.name: (r.inputs["name"], r.inputs["description"])
            for r in recording.resources
            if r.type in GROUP_TYPES
        }

    assert groups(plain) == groups(everything)


def test_snmp_from_a_labelled_poller_group_alone_opens_snmp_to_it_only() -> None:
    poller = "sg-0123456789abcdef0"
    added, removed, changed = added_and_changed(
        run_main(aws()), run_main(aws(snmpSourceGroups={"cacti": poller}))
    )
    assert (removed, changed) == (set(), set())
    assert added == {"clearwater-all-nodes-in-udp-161-162-from-cacti"}


# --- The same traffic twice is refused ----------------------------------------------------


def test_one_output_under_two_labels_is_refused_by_what_the_rules_permit() -> None:
    recording = Recording()

    def program() -> None:
        bastion = pulumi.Output.from_input(SG_A)
        options = DeploymentOptions(
            cloud="aws", vpc_id=VPC, ssh_source_groups={"one": bastion, "two": bastion}
        )
        ClearwaterSecurityGroups("ims", options)

    with pytest.raises(pulumi.RunError, match="same traffic"):
        run_program(program, project="p", stack="s", config={}, recording=recording)
    assert recording.resources == []


def test_an_extra_rule_that_repeats_a_document_rule_is_refused() -> None:
    web = {**BGCF, "ports": "80", "sources": ["0.0.0.0/0"], "description": "web"}
    with pytest.raises(pulumi.RunError, match="same traffic"):
        run_main(aws(extraRules={"ellis": [web]}))


# --- Each source becomes the peer it names ------------------------------------------------


SSH = Permission("all-nodes", "ingress", ANY_FAMILY, "tcp", 22, 22, f"prefix-list:{PL}")


def test_a_prefix_list_is_an_ssh_source() -> None:
    found = registered_permissions(run_main(aws(sshSources=[PL], prefixLists={PL: 10})))
    assert {p for p in found if p.low == 22} == {SSH}


@pytest.mark.parametrize(
    "extra",
    [
        {"snmpSources": [PL]},
        {"profiles": ["management-http"], "managementSources": [PL]},
        {"peerSites": {"site-b": [PL]}},
        {
            "extraRules": {
                "sprout": [
                    {
                        "protocol": "tcp",
                        "ports": "5053",
                        "sources": [PL],
                        "description": "BGCF",
                        "reason": "IMS-42",
                    }
                ]
            }
        },
    ],
    ids=["snmp", "management", "peer-site", "extra-rule"],
)
def test_a_prefix_list_is_accepted_wherever_a_source_is(extra: dict[str, object]) -> None:
    found = registered_permissions(run_main(aws(**extra, prefixLists={PL: 10})))
    assert any(p.peer == f"prefix-list:{PL}" for p in found)


def test_an_extra_rule_opens_exactly_what_it_says_and_names_its_reason() -> None:
    plain = registered_permissions(run_main(aws()))
    recording = run_main(aws(extraRules={"sprout": [BGCF]}))
    added = registered_permissions(recording) - plain
    assert set(added) == {
        Permission("sprout", "ingress", "IPv4", "tcp", 5053, 5053, "10.40.0.0/16"),
        Permission(
            "sprout", "ingress", ANY_FAMILY, "tcp", 5053, 5053, "external:sg-0dddddddddddddddd"
        ),
    }
    descriptions = {r.description for r in registered_rules(recording) if r.permission in added}
    assert descriptions == {"BGCF from SIP peers (extra rule, not in the document)"}


# --- Notes and warnings -------------------------------------------------------------------


def test_a_profile_whose_roles_are_absent_adds_nothing_and_says_so() -> None:
    config = base("openstack", "4", roles=["ellis", "homer"], profiles=["restund"])
    recording = run_main(config)
    assert registered_permissions(recording) == registered_permissions(
        run_main(base("openstack", "4", roles=["ellis", "homer"]))
    )
    (component,) = [o for o in recording.objects if isinstance(o, ClearwaterSecurityGroups)]
    assert any("restund adds nothing" in note for note in component.plan.notes)


@pytest.mark.parametrize("cloud", CLOUDS)
@pytest.mark.parametrize(
    ("ports", "warned"),
    [
        ("9160", "internal port(s) TCP/9160 (Vellum: Cassandra"),
        ("7000", "internal port(s) TCP/7000 (Peer sites: Cassandra"),  # still ours
        ("1-65535", "every port"),
        ("5060", None),
    ],
)
def test_an_extra_rule_that_opens_internal_ports_to_the_internet_is_said_loudly(
    cloud: str, ports: str, warned: str | None
) -> None:
    """It is explicit, so it is created; the program warns at `pulumi up` and in synth."""
    extra = {**EXTRA, "ports": ports, "sources": ["0.0.0.0/0"]}
    options = DeploymentOptions.model_validate(
        {**CLOUDS[cloud](extraRules={"vellum": [extra]}), "namePrefix": "ims"}
    )
    warnings = prepare(options, "clearwater").plan.warnings
    if warned is None:
        assert warnings == ()
    else:
        [warning] = warnings
        assert warned in warning and "reaches the internet" in warning


# --- Groups a team already owns (existingGroups) ------------------------------------------


DOC_PORTS = read_document(DOC)
OWNED = {"aws": {"sprout": SG_A, "all-nodes": SG_B}, "openstack": {"sprout": UUID_A}}


@pytest.mark.parametrize("cloud", CLOUDS)
def test_existing_groups_get_the_documents_rules_and_no_group_is_created_for_them(
    cloud: str,
) -> None:
    config = CLOUDS[cloud](ipVersion="dual", existingGroups=OWNED[cloud])
    recording = run_main(config)
    created = {role_of_tags(g.inputs["tags"]) for g in recording.resources if g.type in GROUP_TYPES}
    assert created == {"all-nodes", *CORE_ROLES} - set(OWNED[cloud])
    # Judged by the document reader, which leaves an existing all-nodes group's egress
    # to its owner, with the given ids read as the groups they stand for.
    actual = registered_permissions(recording, OWNED[cloud])
    expected = expected_rules(config, DOC_PORTS)
    assert sorted(map(str, actual - expected)) == [] and sorted(map(str, expected - actual)) == []


def test_an_existing_all_nodes_group_gets_no_allow_all_egress_and_the_plan_says_why() -> None:
    options = DeploymentOptions(cloud="aws", vpc_id=VPC, existing_groups={"all-nodes": SG_A})
    plan = prepare(options, "ims", "prod").plan
    assert [rule.key for rule in plan.rules if rule.direction == "egress"] == []
    assert any("all-nodes is an existing group" in note for note in plan.notes)
    assert [g.key for g in plan.existing] == ["all-nodes"]


def test_an_existing_groups_id_as_another_source_of_the_same_port_is_refused() -> None:
    """Bono admits Sprout on TCP/5058 by the document; an extra rule admitting the same
    group by its id is the same permission, which the cloud would refuse half-way."""
    same = {**BGCF, "ports": "5058", "sources": [SG_A], "description": "sprout again"}
    message = refused(aws(existingGroups={"sprout": SG_A}, extraRules={"bono": [same]}))
    assert "same traffic" in message and "bono-in-tcp-5058-from-sprout" in message


# --- egress: restricted -------------------------------------------------------------------


RESOLVERS = {"dns": ["10.0.0.2/32", "fd00::2/128"], "ntp": ["10.0.0.3/32"]}
RESTRICTED = [
    ("aws", {"ipVersion": "dual", "roles": ALL_ROLES, "memento": True, "hss": True}),
    (
        "openstack",
        {
            "ipVersion": "dual",
            "roles": ALL_ROLES,
            "profiles": ["restund", "sprout-peering"],
            "limits": {"securityGroupRules": 500},
        },
    ),
    ("openstack", {"peerSites": {"site-b": ["10.9.0.0/16"]}, "replicateTimersAcrossSites": True}),
    ("aws", {"deployment": "all-in-one"}),
    ("openstack", {"ipVersion": "6", "roles": ["bono", "sprout", "vellum"]}),
]


@pytest.mark.parametrize(("cloud", "extra"), RESTRICTED, ids=lambda v: str(v)[:40])
def test_restricted_egress_registers_exactly_what_the_document_reader_implies(
    cloud: str, extra: dict[str, object]
) -> None:
    """Judged by the document reader's own reading: every internal flow at both ends,
    each peer-site flow toward the site, the outbound flows only toward the resolvers
    and time servers given, and no allow-all rule."""
    # The resolvers and time servers of the families in use.
    family = {"4": ".", "6": ":"}.get(str(extra.get("ipVersion", "4")), "")
    destinations = {
        kind: [cidr for cidr in cidrs if family in cidr] or ["fd00::3/128"]
        for kind, cidrs in RESOLVERS.items()
    }
    config = CLOUDS[cloud](egress="restricted", egressDestinations=destinations, **extra)
    actual = registered_permissions(run_main(config))
    expected = expected_rules(config, DOC_PORTS)
    assert sorted(map(str, actual - expected)) == [], "let through beyond the reader's reading"
    assert sorted(map(str, expected - actual)) == [], "the reader's reading not registered"
    assert not any(p.direction == "egress" and p.peer in ("0.0.0.0/0", "::/0") for p in actual)


def test_with_restricted_egress_every_listed_flow_passes_both_ends_and_no_other_either() -> None:
    """Reachability between two nodes, each carrying all-nodes and its role's group: a
    flow passes an end when that node's groups let it out toward one of the other's
    groups (the sender) or in from one of them (the receiver). Every flow between roles
    the document reader lists must pass both ends; every other (role, role, port) of
    the ports any listed flow uses must be refused at both: nothing else internal."""
    config = aws(egress="restricted", roles=ALL_ROLES, memento=True, hss=True)
    held = registered_permissions(run_main(config))
    listed = {
        (p.peer.removeprefix("group:"), p.group, p.protocol, port)
        for p in expected_rules(config, DOC_PORTS)
        if p.direction == "ingress" and p.peer.startswith("group:") and p.low is not None
        for port in range(p.low, (p.high or p.low) + 1)
    }

    def end(node: str, other: str, direction: str, protocol: str | None, port: int) -> bool:
        groups, peers = {"all-nodes", node}, {"group:all-nodes", f"group:{other}"}
        return any(
            (p.group, p.direction, p.protocol) in {(g, direction, protocol) for g in groups}
            and p.peer in peers
            and p.low is not None
            and p.low <= port <= (p.high or p.low)
            for p in held
        )

    ports = sorted({(protocol, port) for *_, protocol, port in listed})
    for sender in ALL_ROLES:
        for receiver in ALL_ROLES:
            for protocol, port in ports:
                is_listed = any(
                    (s, r, protocol, port) in listed
                    for s in (sender, "all-nodes")
                    for r in (receiver, "all-nodes")
                )
                ends = (
                    end(sender, receiver, "egress", protocol, port),
                    end(receiver, sender, "ingress", protocol, port),
                )
                flow = f"{sender} -> {receiver} {protocol}/{port}"
                assert ends == (is_listed, is_listed), f"{flow}: listed {is_listed}, ends {ends}"


def test_with_split_networks_restricted_egress_stays_on_each_flows_network() -> None:
    """Each mirrored rule joins two groups of one network, like its inbound rule; DNS
    leaves on both networks (Multiple_Network_Support.md), NTP on management only."""
    options = DeploymentOptions(
        cloud="openstack",
        networks="split",
        egress="restricted",
        egress_destinations={"dns": ["10.0.0.2/32"], "ntp": ["10.0.0.3/32"]},
        limits={"securityGroups": 20, "securityGroupRules": 500},
    )
    plan = prepare(options, "cw", "prod").plan
    egress = [r for r in plan.rules if r.direction == "egress"]
    between = [r for r in egress if r.peer.kind == "group"]
    assert between and all(
        r.group.rsplit("-", 1)[1] == r.peer.slug.rsplit("-", 1)[1] for r in between
    )
    outbound = {(r.group, r.to_port) for r in egress if r.peer.kind == "cidr"}
    assert outbound == {
        ("all-nodes-management", 53),
        ("all-nodes-signaling", 53),
        ("all-nodes-management", 123),
    }


SAS = {
    "direction": "egress",
    "protocol": "tcp",
    "ports": "6761",
    "destinations": ["10.50.0.10/32"],
    "description": "SAS",
    "reason": "OPS-9: Metaswitch SAS (sas-client source/sas.cpp)",
}


@pytest.mark.parametrize("cloud", CLOUDS)
def test_an_egress_extra_rule_lets_out_exactly_what_it_says_and_names_its_reason(
    cloud: str,
) -> None:
    """An operator's own outbound service under egress: restricted (SAS, which docs/egress.md
    leaves to the operator): one egress rule, traced to its reason, and nothing else."""
    base = CLOUDS[cloud](egress="restricted")
    added, removed, changed = added_and_changed(
        run_main(base), run_main({**base, "extraRules": {"all-nodes": [SAS]}})
    )
    assert (removed, changed) == (set(), set())
    suffix = "" if cloud == "aws" else "-ipv4"
    assert added == {f"clearwater-all-nodes-out-tcp-6761-to-10.50.0.10_32{suffix}"}
    rules = registered_rules(run_main({**base, "extraRules": {"all-nodes": [SAS]}}))
    [sas] = [r for r in rules if r.resource in added]
    assert sas.permission == Permission(
        "all-nodes", "egress", "IPv4", "tcp", 6761, 6761, "10.50.0.10/32"
    )
    assert sas.description == "SAS (extra rule, not in the document)"


def test_hss_and_cdf_at_one_address_are_refused_naming_the_rule_once_and_both_settings() -> None:
    """Both kinds send TCP/3868 from Dime: at one address they make one rule key twice."""
    one = ["10.0.0.5/32"]
    message = refused(aws(egress="restricted", egressDestinations={"hss": one, "cdf": one}))
    assert message.count("dime-out-tcp-3868-to-10.0.0.5_32") == 1, message
    assert "egressDestinations.hss and egressDestinations.cdf" in message
