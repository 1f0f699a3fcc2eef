"""`python -m clearwater_sg.live prune` (`clearwater_sg.live.prune`) against moto's EC2 and
a live Neutron: a deployment made from the document reader's expectation (never from the
program's plan), with exactly the rules the document asks for; a rule added by hand
(Cassandra's Thrift port, TCP/9160, from the world); a dry run that lists it, said open to
the world by its id, and changes nothing; `--yes`, after which the cloud's own listing is
the listing before the rule was added. A group of `existingGroups` is left alone unless
`--include-existing-groups`. Bad input is one error line, exit 2, nothing deleted. The
cloud is always read back with boto3 or Neutron's API directly, never through the code
under test."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import Any, Protocol

import openstack
import pytest

from clearwater_sg.live.cli import EXIT_DRIFT, EXIT_ERROR, EXIT_OK
from harness.doc_reader import Permission
from harness.engine import documented, settings
from harness.local_aws import AwsTarget
from harness.local_openstack import rule_fields
from harness.servers import MOTO_REGION, MotoServer, NeutronServer, free_loopback_port
from tests.live.helpers import LIVE_MARKS, cli, config_arguments

pytestmark = LIVE_MARKS

STACK = "pruned"
ROLES = ["bono", "vellum"]
GROUPS = ["all-nodes", *ROLES]
# Cassandra's Thrift port from the world: what an operator opens "for a minute".
THRIFT = Permission("vellum", "ingress", "IPv4", "tcp", 9160, 9160, "0.0.0.0/0")
THRIFT_TEXT = "vellum ingress IPv4 tcp/9160 from 0.0.0.0/0"


class Cloud(Protocol):
    """One cloud's project or VPC, written and read with the cloud's own API."""

    name: str

    def arguments(self) -> list[str]:
        """Where prune finds the groups: the endpoint, region or project."""
        ...

    def create_group(self, name: str) -> str:
        """A group with no rule at all (the cloud's default rules removed); its id."""
        ...

    def add_rule(self, group_id: str, permission: Permission, groups: dict[str, str]) -> str: ...

    def listing(self) -> dict[str, Mapping[str, Any]]:
        """Every rule of every group the cloud lists here, by id."""
        ...


class Ec2:
    name = "aws"

    def __init__(self, moto: MotoServer, vpc_id: str) -> None:
        self.target = AwsTarget(moto.url, vpc_id)

    def arguments(self) -> list[str]:
        return [f"--config=vpcId={self.target.vpc_id}", "--region", MOTO_REGION,
                "--endpoint-url", self.target.endpoint]  # fmt: skip

    def create_group(self, name: str) -> str:
        group_id = self.target.create_group(name)
        for rule_id in self.target.rules_of(group_id):
            self.target.delete_rule(group_id, rule_id)
        return group_id

    def add_rule(self, group_id: str, permission: Permission, groups: dict[str, str]) -> str:
        return self.target.add_rule(group_id, permission, groups)

    def listing(self) -> dict[str, Mapping[str, Any]]:
        _, rules = self.target.listing()
        return {rule["SecurityGroupRuleId"]: rule for rule in rules}


class Neutron:
    name = "openstack"

    def __init__(self, neutron: NeutronServer, project_id: str) -> None:
        self.neutron, self.project_id = neutron, project_id
        self.client = neutron.client
        self.conn = openstack.connect(
            auth_type="none",
            auth={"endpoint": neutron.url},
            network_endpoint_override=neutron.url,
            load_yaml_config=False,
            load_envvars=False,
        )

    def arguments(self) -> list[str]:
        return ["--os-endpoint", self.neutron.url, "--project-id", self.project_id]

    def create_group(self, name: str) -> str:
        group_id = str(self.client.create_security_group(name, project_id=self.project_id)["id"])
        self.client.delete_default_rules_of(group_id)
        return group_id

    def add_rule(self, group_id: str, permission: Permission, groups: dict[str, str]) -> str:
        made = self.conn.network.create_security_group_rule(
            security_group_id=group_id,
            project_id=self.project_id,
            **rule_fields(permission, groups),
        )
        return str(made.id)

    def listing(self) -> dict[str, Mapping[str, Any]]:
        return {rule["id"]: rule for rule in self.client.list_rules(project_id=self.project_id)}


@pytest.fixture(params=["aws", "openstack"])
def cloud(request: pytest.FixtureRequest, aws_env: None, os_env: None) -> Cloud:
    if request.param == "aws":
        moto: MotoServer = request.getfixturevalue("moto_ec2")
        return Ec2(moto, request.getfixturevalue("vpc_id"))
    return Neutron(request.getfixturevalue("neutron"), request.getfixturevalue("project_id"))


def deploy(cloud: Cloud, existing: Mapping[str, str] | None = None) -> dict[str, str]:
    """The planned groups under their planned names (but `existing`: key -> id of a group
    the operator owns), each holding exactly the rules the document asks for; key -> id."""
    ids = {key: cloud.create_group(f"clearwater-{STACK}-{key}") for key in GROUPS}
    ids.update(existing or {})
    config = {"cloud": cloud.name, "roles": ROLES, "existingGroups": dict(existing or {})}
    for permission in sorted(documented(settings(**config)).elements(), key=Permission.key):
        cloud.add_rule(ids[permission.group], permission, ids)
    return ids


def prune(
    capsys: pytest.CaptureFixture[str],
    cloud: Cloud,
    *extra: str,
    existing: Mapping[str, str] | None = None,
) -> tuple[int, str, str]:
    config: dict[str, object] = {"cloud": cloud.name, "roles": ROLES}
    if existing:
        config["existingGroups"] = dict(existing)
    arguments = [*config_arguments(config), "--stack", STACK, *cloud.arguments()]
    return cli(capsys, "prune", *arguments, *extra)


def test_prune_shows_then_deletes_exactly_the_rule_nobody_planned(
    cloud: Cloud, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = deploy(cloud)
    code, text, err = prune(capsys, cloud)
    assert (code, err) == (EXIT_OK, ""), text
    assert text.startswith("Nothing to prune in stack 'pruned'"), text
    as_planned = cloud.listing()

    thrift = cloud.add_rule(ids["vellum"], THRIFT, ids)
    before = cloud.listing()
    assert set(before) == set(as_planned) | {thrift}

    code, text, err = prune(capsys, cloud)
    assert (code, err) == (EXIT_DRIFT, ""), text
    assert "dry run, nothing deleted" in text.splitlines()[0]
    (warning,) = [line for line in text.splitlines() if line.startswith("WARNING")]
    assert warning.startswith(f"WARNING: unplanned rule {thrift} opens internal port(s) TCP/9160")
    (deleted,) = [line for line in text.splitlines() if line.startswith("  delete  ")]
    assert thrift in deleted and THRIFT_TEXT in deleted and "OPEN TO THE WORLD" in deleted
    code, report, _ = prune(capsys, cloud, "--format", "json")
    found = json.loads(report)
    assert (code, found["dryRun"]) == (EXIT_DRIFT, True)
    (entry,) = found["toDelete"]
    assert (entry["id"], entry["groupId"], entry["permits"]) == (thrift, ids["vellum"], THRIFT_TEXT)
    assert entry["opensToWorld"]["opens"].startswith("internal port(s) TCP/9160")
    assert cloud.listing() == before, "a dry run changed the cloud"

    code, text, err = prune(capsys, cloud, "--yes")
    assert (code, err) == (EXIT_OK, ""), text
    assert text.startswith("Pruned stack 'pruned'"), text
    assert f"  deleted      {thrift}  [{THRIFT_TEXT}]" in text.splitlines()
    assert cloud.listing() == as_planned, "not exactly the unplanned rule was deleted"

    code, text, _ = prune(capsys, cloud, "--yes")
    assert code == EXIT_OK and text.startswith("Nothing to prune"), text


def test_an_existing_group_is_pruned_only_when_asked(
    cloud: Cloud, capsys: pytest.CaptureFixture[str]
) -> None:
    """The platform team's Bono group (`existingGroups`) holds the planned Bono rules and
    one of its own from the world: left alone, and said so, unless
    --include-existing-groups."""
    owned = {"bono": cloud.create_group("platform-bono")}
    ids = deploy(cloud, existing=owned)
    theirs = cloud.add_rule(owned["bono"], dataclasses.replace(THRIFT, group="bono"), ids)
    before = cloud.listing()

    code, text, err = prune(capsys, cloud, "--yes", existing=owned)
    assert (code, err) == (EXIT_OK, ""), text
    assert text.startswith("Nothing to prune"), text
    (skipped,) = [line for line in text.splitlines() if line.startswith("  skip  ")]
    assert theirs in skipped and "existing group bono" in skipped
    assert "--include-existing-groups" in skipped
    assert cloud.listing() == before

    code, text, _ = prune(capsys, cloud, "--include-existing-groups", existing=owned)
    assert code == EXIT_DRIFT and theirs in text and cloud.listing() == before, text
    code, text, err = prune(capsys, cloud, "--include-existing-groups", "--yes", existing=owned)
    assert (code, err) == (EXIT_OK, ""), text
    assert cloud.listing() == {k: v for k, v in before.items() if k != theirs}


def test_groups_not_created_yet_are_said_not_an_error(
    cloud: Cloud, capsys: pytest.CaptureFixture[str]
) -> None:
    code, text, err = prune(capsys, cloud, "--yes")
    assert (code, err) == (EXIT_OK, ""), text
    missing = [line.split()[3] for line in text.splitlines() if line.startswith("  not found")]
    assert missing == [f"{key}:" for key in GROUPS], text


def test_bad_input_is_one_error_naming_the_option_and_deletes_nothing(
    cloud: Cloud, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = deploy(cloud)
    cloud.add_rule(ids["vellum"], THRIFT, ids)
    before = cloud.listing()

    code, text, err = prune(capsys, cloud, "--yes", "--group", f"ellis={ids['vellum']}")
    assert (code, text) == (EXIT_ERROR, "")
    assert err.startswith("error: --group ellis: this stack has no group 'ellis'"), err

    nowhere = f"http://127.0.0.1:{free_loopback_port()}"
    option = {"aws": "--endpoint-url", "openstack": "--os-endpoint"}[cloud.name]
    code, text, err = prune(capsys, cloud, "--yes", option, nowhere)
    assert (code, text) == (EXIT_ERROR, "")
    assert err.startswith("error: could not reach") and f"check {option}" in err, err

    if cloud.name == "aws":
        monkeypatch.delenv("AWS_ACCESS_KEY_ID")
        monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
        code, text, err = prune(capsys, cloud, "--yes")
        assert err.startswith("error: no AWS credentials found"), err
    else:
        arguments = [*config_arguments({"cloud": "openstack", "roles": ROLES}), "--stack", STACK]
        code, text, err = cli(capsys, "prune", *arguments, "--yes")
        assert err.startswith("error: openstacksdk found no usable OpenStack credentials"), err
    assert (code, text) == (EXIT_ERROR, "")
    assert cloud.listing() == before
