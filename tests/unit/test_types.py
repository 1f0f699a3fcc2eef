"""The single-value checks of the settings (`clearwater_sg.types`), run through the real
program as a stack's configuration (`tests.helpers.run_main`) or built from Python: a label
is never read as a group id or a role; a CIDR has no host bits, no IPv4 written as IPv6,
and for our own hosts (peer sites, management hosts) no internet address; a port's text
is canonical; free text has no control characters; each cloud's limits on names and tags;
and every pattern matches the whole string. Each refusal comes before anything is
registered, naming the key.

Most inputs here were found by trying the settings as a hostile user would (issues 8 and
15): each was accepted before its fix, and opened, renamed or let through what it should
not."""

from __future__ import annotations

import pytest

from clearwater_sg import DeploymentOptions
from clearwater_sg.resources import AWS_INGRESS, OPENSTACK_RULE
from harness import VPC, aws, openstack, run_main
from tests.helpers import CLOUDS, EXTRA, SG_A, UUID_A, UUID_B, refused

SPROUT_PEER = {"roles": ["bono", "sprout", "vellum"]}


# --- Labels and group ids never share a namespace (issue 8) -------------------------------


def test_a_label_shaped_like_a_neutron_group_id_is_refused() -> None:
    message = refused(openstack(sshSources=[UUID_A], snmpSourceGroups={UUID_A: UUID_B}))
    assert f"clearwater-sg:snmpSourceGroups.{UUID_A}" in message
    assert "not shaped like a group id" in message


@pytest.mark.parametrize("label", ["sg-bastion", "sg-0123abcd", "ellis", "Bastion", "-x"])
def test_labels_that_could_be_read_as_something_else_are_refused(label: str) -> None:
    assert "clearwater-sg:sshSourceGroups" in refused(aws(sshSourceGroups={label: SG_A}))


def test_source_group_labels_are_validated() -> None:
    with pytest.raises(ValueError, match="label 'Bastion Host'"):
        DeploymentOptions(cloud="openstack", ssh_source_groups={"Bastion Host": "x"})
    with pytest.raises(ValueError, match="is not a security group id"):
        DeploymentOptions(
            cloud="aws", vpc_id="vpc-0123456789abcdef0", snmp_source_groups={"cacti": "cacti"}
        )


# --- A key that means "our own nodes" never means the internet (issue 15) -----------------


@pytest.mark.parametrize("cloud", CLOUDS)
@pytest.mark.parametrize(
    "cidr",
    ["0.0.0.0/0", "0.0.0.0/1", "128.0.0.0/1", "8.8.8.0/24", "10.0.0.0/7", "::/0", "2000::/3"],
)
def test_a_peer_site_that_reaches_the_internet_is_refused(cloud: str, cidr: str) -> None:
    config = CLOUDS[cloud](ipVersion="dual", peerSites={"site-b": [cidr]}, **SPROUT_PEER)
    message = refused(config)
    assert "clearwater-sg:peerSites.site-b[0]" in message
    assert "includes globally reachable addresses" in message and "never the internet" in message


@pytest.mark.parametrize("cloud", CLOUDS)
def test_management_sources_that_reach_the_internet_are_refused(cloud: str) -> None:
    config = CLOUDS[cloud](
        profiles=["management-http"], managementSources=["10.60.0.0/24", "100.0.0.0/6"]
    )
    message = refused(config)
    assert "clearwater-sg:managementSources[1]" in message and "100.0.0.0/6" in message
    assert "managementSources[0]" not in message


@pytest.mark.parametrize("cloud", CLOUDS)
def test_own_hosts_by_private_or_documentation_prefix_are_accepted(cloud: str) -> None:
    run_main(
        CLOUDS[cloud](
            ipVersion="dual",
            peerSites={"site-b": ["10.70.0.0/16", "fd00:70::/48", "198.51.100.0/24"]},
            **SPROUT_PEER,
        )
    )


# --- IPv4 addresses written as IPv6 (issue 15) --------------------------------------------


@pytest.mark.parametrize("cloud", CLOUDS)
@pytest.mark.parametrize("key", ["sshSources", "snmpSources", "worldCidrs"])
@pytest.mark.parametrize("cidr", ["::ffff:10.0.0.0/104", "::ffff:0:0/96", "::10.0.0.0/104"])
def test_an_ipv6_prefix_that_embeds_ipv4_is_refused(cloud: str, key: str, cidr: str) -> None:
    message = refused(CLOUDS[cloud](ipVersion="dual", **{key: [cidr]}))
    assert f"clearwater-sg:{key}[0]" in message and "use the IPv4 CIDR" in message


# --- One port, one text (issue 15) --------------------------------------------------------


@pytest.mark.parametrize("cloud", CLOUDS)
@pytest.mark.parametrize(("written", "key"), [("00080", "80"), ("5053-5053", "5053")])
def test_port_text_is_canonical_in_rule_names(cloud: str, written: str, key: str) -> None:
    config = CLOUDS[cloud](extraRules={"sprout": [{**EXTRA, "ports": written}]})
    plain = CLOUDS[cloud](extraRules={"sprout": [{**EXTRA, "ports": key}]})
    rule_type = AWS_INGRESS if cloud == "aws" else OPENSTACK_RULE
    names = sorted(r.name for r in run_main(config).of_type(rule_type))
    assert names == sorted(r.name for r in run_main(plain).of_type(rule_type))
    assert any(f"-tcp-{key}-from-" in name for name in names)


# --- Free text (issue 15) -----------------------------------------------------------------


@pytest.mark.parametrize("cloud", CLOUDS)
@pytest.mark.parametrize("text", ["IMS-7\n| x | y |", "IMS-7\x1b[31m", "IMS\u202e7"])
def test_control_characters_in_a_reason_are_refused(cloud: str, text: str) -> None:
    config = CLOUDS[cloud](extraRules={"sprout": [{**EXTRA, "ports": "5053", "reason": text}]})
    message = refused(config)
    assert "clearwater-sg:extraRules.sprout[0].reason: contains control characters" in message


# --- Limits each cloud enforces (issue 8) -------------------------------------------------


@pytest.mark.parametrize(
    ("config", "key", "words"),
    [
        (aws(namePrefix="sg-prod"), "namePrefix", "start with sg-"),
        (aws(namePrefix="SG-prod"), "namePrefix", "start with sg-"),
        (aws(tags={f"k{i}": "v" for i in range(49)}), "tags", "keep at most 48"),
        (openstack(tags={f"k{i}": "v" for i in range(49)}), "tags", "keep at most 48"),
        (aws(tags={"k" * 129: "v"}), "tags", "1-128 characters"),
        (aws(tags={"owner": "v" * 257}), "tags.owner", "256"),
        (aws(tags={"AWS:cost": "x"}), "tags", "reserved"),
        (openstack(tags={"owner": "v" * 250}), "tags.owner", "255"),
        (openstack(tags={"a=b": "c"}), "tags", "contains '='"),
    ],
)
def test_what_a_cloud_refuses_is_refused_first(
    config: dict[str, object], key: str, words: str
) -> None:
    message = refused(config)
    assert f"clearwater-sg:{key}" in message and words in message, message


# --- Whole-string matches (issue 8) -------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "key"),
    [
        (openstack(namePrefix="prod\n"), "namePrefix"),
        ({"cloud": "aws", "vpcId": VPC + "\n"}, "vpcId"),
        (aws(sshSources=[SG_A + "\n"]), "sshSources[0]"),
        (aws(sshSourceGroups={"bastion": SG_A + "\n"}), "sshSourceGroups.bastion"),
        (aws(sshSourceGroups={"bastion\n": SG_A}), "sshSourceGroups"),
        (openstack(sshSources=[UUID_A + "\n"]), "sshSources[0]"),
        (openstack(sshSources=["10.0.0.1"]), "sshSources[0]"),  # no prefix length
    ],
)
def test_a_value_with_anything_after_it_is_refused(config: dict[str, object], key: str) -> None:
    assert f"clearwater-sg:{key}" in refused(config)
