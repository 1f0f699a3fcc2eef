"""The offline tools read a stack file as the Pulumi CLI does, or refuse it clearly.

For each tricky stack file, the values `pulumi config --json` reports (what `pulumi up`
hands the program) and the values offline/stackfile.py reads must agree key by key;
where the offline reader cannot know a value (an encrypted one, an ESC environment), it
must refuse the file with a message that names the key, never read something else.
"""

from __future__ import annotations

import json
import re

import pytest
from pulumi.automation import ConfigValue
from pulumi.automation.errors import CommandError

from clearwater_sg.stack_file import StackFileError, load_stack
from harness.engine import EngineStack, settings
from tests.engine.conftest import StackFactory

AGREE = {
    "yaml-1.1-booleans": """
  clearwater-sg:hss: yes
  clearwater-sg:memento: on
  clearwater-sg:protect: n
  clearwater-sg:tags:
    owner: no
    on-call: off
""",
    "booleans": """
  clearwater-sg:hss: true
  clearwater-sg:memento: False
  clearwater-sg:protect: TRUE
""",
    "numbers-and-text": """
  clearwater-sg:ipVersion: 4
  clearwater-sg:namePrefix: "0123"
  clearwater-sg:tags:
    cost-centre: 0042
    ratio: 1.50
    hex: 0x1F
    octal: 0o17
    negative: -12
    float: 1e3
""",
    "nested-maps": """
  clearwater-sg:peerSites:
    site-b: [10.70.0.0/16]
  clearwater-sg:limits:
    securityGroups: 20
    securityGroupRules: 300
  clearwater-sg:extraRules:
    sprout:
      - protocol: tcp
        ports: "5053"
        sources: [10.40.0.0/16]
        description: BGCF from the SBC
        reason: "IMS-7: SBC trunk"
""",
}


def _by_cli(stack: EngineStack) -> dict[str, object]:
    """Each value as `pulumi config --json` gives it to the program: text, or for a
    structured value the JSON text, decoded so that spacing does not count."""
    return {key: _decoded(value.value) for key, value in stack.stack.get_all_config().items()}


def _decoded(text: str) -> object:
    try:
        value = json.loads(text)
    except ValueError:
        return text
    return value if isinstance(value, (list, dict)) else text


def _salted(stack: EngineStack, body: str) -> str:
    """A stack file with the given `config:` body, keeping the encryption salt."""
    salt = [
        line
        for line in stack.stack_file.read_text().splitlines()
        if line.startswith("encryptionsalt:")
    ]
    return "\n".join([*salt, "config:", "  clearwater-sg:cloud: openstack", body.strip("\n")])


@pytest.mark.parametrize("case", AGREE)
def test_the_offline_reader_agrees_with_pulumi_config(
    engine_stack: StackFactory, case: str
) -> None:
    stack = engine_stack(f"file-{case}", settings(cloud="openstack"))
    stack.stack_file.write_text(_salted(stack, AGREE[case]))
    offline = {key: _decoded(value) for key, value in load_stack(stack.stack_file).config.items()}
    assert offline == _by_cli(stack)


def test_a_date_is_refused_offline(engine_stack: StackFactory) -> None:
    """yaml.v3 reads an unquoted date as a time, and the CLI hands the program Go's text of
    it: not what the operator wrote."""
    stack = engine_stack("file-date", settings(cloud="openstack"))
    stack.stack_file.write_text(_salted(stack, "  clearwater-sg:tags:\n    since: 2026-12-02"))
    assert _by_cli(stack)["clearwater-sg:tags"] == {"since": "2026-12-02 00:00:00 +0000 UTC"}
    with pytest.raises(StackFileError, match=r"'2026-12-02' is a date to YAML.*quote it"):
        load_stack(stack.stack_file)


def test_a_secure_value_is_refused_offline_naming_the_key(engine_stack: StackFactory) -> None:
    stack = engine_stack("file-secure", settings(cloud="openstack"))
    stack.stack.set_config("clearwater-sg:namePrefix", ConfigValue("ims-lab", secret=True))
    assert _by_cli(stack)["clearwater-sg:namePrefix"] == "ims-lab"
    with pytest.raises(StackFileError, match=r"clearwater-sg:namePrefix: is encrypted"):
        load_stack(stack.stack_file)


def test_a_secure_value_inside_a_map_is_refused_offline_naming_the_key(
    engine_stack: StackFactory,
) -> None:
    stack = engine_stack("file-secure-map", settings(cloud="openstack"))
    stack.stack.set_config("clearwater-sg:tags.owner", ConfigValue("noc", secret=True), path=True)
    assert _by_cli(stack)["clearwater-sg:tags"] == {"owner": "noc"}
    with pytest.raises(StackFileError, match=r"clearwater-sg:tags\.owner: is encrypted"):
        load_stack(stack.stack_file)


def test_an_environment_import_is_refused_offline(engine_stack: StackFactory) -> None:
    """An ESC environment's values are known only to the Pulumi Cloud backend: the CLI of a
    local backend refuses the file too, and the offline reader must not render defaults."""
    stack = engine_stack("file-environment", settings(cloud="openstack"))
    text = _salted(stack, "  clearwater-sg:hss: true")
    stack.stack_file.write_text("environment:\n  - ims/production\n" + text)
    with pytest.raises(CommandError):
        stack.stack.get_all_config()
    with pytest.raises(StackFileError, match=re.escape("environment")):
        load_stack(stack.stack_file)
