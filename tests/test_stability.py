"""A toggle adds exactly its own rules; nothing else in a running deployment moves.

Resource names are the engine's identity for a resource: an unchanged name with unchanged
inputs means `pulumi up` leaves it alone. So these tests compare whole registrations.
"""

from __future__ import annotations

from offline.inventory import GROUP_TYPES
from offline.runner import Recording
from tests.helpers import ALL_ROLES, aws, openstack, run_main


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
