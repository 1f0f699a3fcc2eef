"""The keys beyond the document, tried as a hostile user would (issue 15): each input here
was accepted before its fix, and opened, renamed or let through what it should not. Each
is refused before anything is registered, with the key and what to write instead, or
reaches the cloud in the one form the cloud stores."""

from __future__ import annotations

import pytest

from clearwater_sg import DeploymentOptions
from clearwater_sg.component import prepare
from clearwater_sg.quota import QuotaExceededError
from offline.formats import markdown_cell
from tests.helpers import CLOUDS, EXTRA, VPC

# --- 1. a key that means "our own nodes" never means the internet ------------------------


# --- 2. IPv4 addresses written as IPv6 ---------------------------------------------------


# --- 4. one port, one text ----------------------------------------------------------------


# --- 8. settings that add nothing on an all-in-one node ------------------------------------


# --- 9. free text -----------------------------------------------------------------------------


def test_a_markdown_cell_cannot_end_the_table_or_render_markup() -> None:
    cell = markdown_cell("a | b\n| c |<img src=x>")
    assert "\n" not in cell and "<" not in cell
    assert cell.count("|") == cell.count("\\|")


# --- 10. numbers are numbers -----------------------------------------------------------------


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
