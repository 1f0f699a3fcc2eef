"""Replacing a rule on a live Neutron, the way the Pulumi engine replaces a resource.

Neutron rules cannot be updated (terraform-provider-openstack marks every field of
``openstack_networking_secgroup_rule_v2`` ForceNew), so any change to a rule, if only
its description, is a replacement. By default the engine creates the replacement
before it deletes the old rule; Neutron refuses a rule equal to one the group holds
(409 ``SecurityGroupRuleExists``; its duplicate check ignores the description). The
OpenStack backend therefore sets ``delete_before_replace`` on every SecGroupRule. This
proves, against Neutron, that creating first is refused, that deleting first works and
leaves the new rule stored, and that every registered rule carries the option.
"""

from __future__ import annotations

import dataclasses

import pytest

from offline.runner import Recording, Registered
from tests.conformance.appliers import (
    ApplyError,
    NeutronApplier,
    case_names,
    recording_of,
    sent_neutron_rules,
)
from tests.conformance.servers import NeutronError, NeutronServer
from tests.helpers import openstack, run_main
from tests.registered import OPENSTACK_RULE

pytestmark = pytest.mark.conformance

# Rules of the small deployment to replace: a CIDR peer, ICMP (type, "any" code), a peer
# group, and the allow-all egress (no protocol, no ports).
REPLACED = (
    "all-nodes-in-tcp-22-from-0.0.0.0_0-ipv4",
    "all-nodes-in-icmpv6-type2-from-.._0-ipv6",
    "sprout-in-tcp-5054-from-bono-ipv4",
    "all-nodes-out-all-all-to-0.0.0.0_0-ipv4",
)


@pytest.fixture(scope="module")
def small() -> Recording:
    return run_main(openstack(roles=["bono", "sprout"], ipVersion="dual"))


def _rule(recording: Recording, suffix: str) -> Registered:
    [rule] = [r for r in recording.of_type(OPENSTACK_RULE) if r.name.endswith(suffix)]
    return rule


def _redescribed(rule: Registered) -> Registered:
    """The same rule with only its description changed: it permits the same thing."""
    inputs = {**rule.inputs, "description": f"{rule.inputs.get('description', '')} (renamed)"}
    return dataclasses.replace(rule, inputs=inputs)


def _with(recording: Recording, new: Registered) -> Recording:
    return Recording(
        resources=[new if r.name == new.name else r for r in recording.resources],
    )


def replace(applier: NeutronApplier, old: Registered, new: Registered) -> str:
    """What the engine does to replace `old` by `new`: with `delete_before_replace`,
    delete then create; otherwise (its default) create the replacement, then delete."""
    old_id = applier.rule_ids[old.name]
    if new.delete_before_replace:
        applier.client.delete_rule(old_id)
        return applier.create_rule(new)
    created = applier.create_rule(new)
    applier.client.delete_rule(old_id)
    return created


@pytest.mark.parametrize("suffix", REPLACED)
def test_creating_the_replacement_first_is_refused_as_a_duplicate(
    neutron: NeutronServer, project_id: str, small: Recording, suffix: str
) -> None:
    applier = NeutronApplier(neutron.client, project_id)
    applier.apply(small)
    old = _rule(small, suffix)
    old_id = applier.rule_ids[old.name]
    create_first = dataclasses.replace(_redescribed(old), delete_before_replace=False)
    with pytest.raises(ApplyError) as raised:
        replace(applier, old, create_first)
    assert isinstance(raised.value.cause, NeutronError)
    assert (raised.value.cause.status, raised.value.cause.type) == (409, "SecurityGroupRuleExists")
    assert old_id in raised.value.cause.message
    # Nothing changed: the old rule is still there, and nothing else.
    assert neutron.client.get_rule(old_id)["description"] == old.inputs.get("description", "")
    assert applier.stored_rules(small) == sent_neutron_rules(small)


@pytest.mark.parametrize("suffix", REPLACED)
def test_deleting_first_replaces_the_rule(
    neutron: NeutronServer, project_id: str, small: Recording, suffix: str
) -> None:
    """The replacement as registered (its own delete_before_replace) succeeds, and
    Neutron then holds the new rule in place of the old one."""
    applier = NeutronApplier(neutron.client, project_id)
    applier.apply(small)
    old = _rule(small, suffix)
    old_id = applier.rule_ids[old.name]
    new = _redescribed(old)
    new_id = replace(applier, old, new)  # raises ApplyError if Neutron refuses
    assert new_id != old_id
    with pytest.raises(NeutronError) as gone:
        neutron.client.get_rule(old_id)
    assert gone.value.status == 404
    assert neutron.client.get_rule(new_id)["description"] == new.inputs["description"]
    assert applier.stored_rules(small) == sent_neutron_rules(_with(small, new))


@pytest.mark.parametrize("case", [*case_names("openstack"), "small"])
def test_every_registered_rule_is_deleted_before_its_replacement(
    case: str, small: Recording
) -> None:
    recording = small if case == "small" else recording_of(case)
    rules = recording.of_type(OPENSTACK_RULE)
    assert rules
    assert [r.name for r in rules if not r.delete_before_replace] == []
