"""The keys beyond the document, tried as a hostile user would (issue 15): each input here
was accepted before its fix, and opened, renamed or let through what it should not. Each
is refused before anything is registered, with the key and what to write instead, or
reaches the cloud in the one form the cloud stores."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from clearwater_sg import DeploymentOptions
from clearwater_sg.component import prepare
from clearwater_sg.quota import QuotaExceededError
from offline.formats import markdown_cell
from tests.helpers import VPC, aws, openstack, refused, run_main
from tests.registered import AWS_INGRESS, OPENSTACK_RULE

CLOUDS = {"aws": aws, "openstack": openstack}
SPROUT_PEER = {"roles": ["bono", "sprout", "vellum"]}


# --- 1. a key that means "our own nodes" never means the internet ------------------------


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


# --- 2. IPv4 addresses written as IPv6 ---------------------------------------------------


@pytest.mark.parametrize("cloud", CLOUDS)
@pytest.mark.parametrize("key", ["sshSources", "snmpSources", "worldCidrs"])
@pytest.mark.parametrize("cidr", ["::ffff:10.0.0.0/104", "::ffff:0:0/96", "::10.0.0.0/104"])
def test_an_ipv6_prefix_that_embeds_ipv4_is_refused(cloud: str, key: str, cidr: str) -> None:
    message = refused(CLOUDS[cloud](ipVersion="dual", **{key: [cidr]}))
    assert f"clearwater-sg:{key}[0]" in message and "use the IPv4 CIDR" in message


# --- 4. one port, one text ----------------------------------------------------------------

EXTRA = {"protocol": "tcp", "sources": ["10.40.0.0/16"], "description": "BGCF", "reason": "IMS-7"}


@pytest.mark.parametrize("cloud", CLOUDS)
@pytest.mark.parametrize(("written", "key"), [("00080", "80"), ("5053-5053", "5053")])
def test_port_text_is_canonical_in_rule_names(cloud: str, written: str, key: str) -> None:
    config = CLOUDS[cloud](extraRules={"sprout": [{**EXTRA, "ports": written}]})
    plain = CLOUDS[cloud](extraRules={"sprout": [{**EXTRA, "ports": key}]})
    rule_type = AWS_INGRESS if cloud == "aws" else OPENSTACK_RULE
    names = sorted(r.name for r in run_main(config).of_type(rule_type))
    assert names == sorted(r.name for r in run_main(plain).of_type(rule_type))
    assert any(f"-tcp-{key}-from-" in name for name in names)


# --- 8. settings that add nothing on an all-in-one node ------------------------------------


@pytest.mark.parametrize("cloud", CLOUDS)
def test_peer_sites_and_timer_replication_are_refused_on_all_in_one(cloud: str) -> None:
    message = refused(
        CLOUDS[cloud](
            deployment="all-in-one",
            peerSites={"site-b": ["10.70.0.0/16"]},
            replicateTimersAcrossSites=True,
        )
    )
    assert "clearwater-sg:peerSites: peer sites are other sites of a distributed" in message
    assert "clearwater-sg:replicateTimersAcrossSites: an all-in-one node has no" in message


# --- 9. free text -----------------------------------------------------------------------------


@pytest.mark.parametrize("cloud", CLOUDS)
@pytest.mark.parametrize("text", ["IMS-7\n| x | y |", "IMS-7\x1b[31m", "IMS\u202e7"])
def test_control_characters_in_a_reason_are_refused(cloud: str, text: str) -> None:
    config = CLOUDS[cloud](extraRules={"sprout": [{**EXTRA, "ports": "5053", "reason": text}]})
    message = refused(config)
    assert "clearwater-sg:extraRules.sprout[0].reason: contains control characters" in message


def test_a_markdown_cell_cannot_end_the_table_or_render_markup() -> None:
    cell = markdown_cell("a | b\n| c |<img src=x>")
    assert "\n" not in cell and "<" not in cell
    assert cell.count("|") == cell.count("\\|")


# --- 10. numbers are numbers -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "where"),
    [
        (openstack(limits={"securityGroups": True}), "limits.securityGroups"),
        (openstack(limits={"securityGroupRules": "100"}), "limits.securityGroupRules"),
        (aws(limits={"rulesPerGroup": 1.5}), "limits.rulesPerGroup"),
        (aws(prefixLists={"pl-0123456789abcdef0": True}), "prefixLists.pl-0123456789abcdef0"),
    ],
)
def test_a_count_must_be_a_whole_number(config: Mapping[str, object], where: str) -> None:
    message = refused(config)
    assert f"clearwater-sg:{where}: must be a whole number" in message


# --- 11. every tag the program sends is checked -----------------------------------------


# --- 12. the quota refusal names what fills the group ---------------------------------------


def test_the_quota_refusal_names_the_setting_that_costs_the_most() -> None:
    site = [f"10.{i}.0.0/16" for i in range(60)]
    options = DeploymentOptions(
        cloud="aws", vpc_id=VPC, peer_sites={"site-b": site}, roles=["sprout", "vellum"]
    )
    with pytest.raises(QuotaExceededError) as raised:
        prepare(options, "clearwater")
    assert "Most rules come from peerSites.site-b" in str(raised.value)
    assert "worldCidrs/sshSources/snmpSources" not in str(raised.value)


@pytest.mark.parametrize("cloud", CLOUDS)
@pytest.mark.parametrize(
    ("ports", "warned"),
    [
        ("9160", "internal port(s) 9160"),
        ("7000", "internal port(s) 7000"),  # Vellum's, also opened to peer sites: still ours
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
