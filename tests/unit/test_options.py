"""`DeploymentOptions` (`clearwater_sg.options`), the rules that relate settings, run
through the real program as a stack's configuration (`tests.helpers.run_main`) or built
from Python: an absent source takes the document's default and an explicit empty list
means nobody; one group is never under two labels, nor an id and a label, and a label
names one group for SSH and SNMP; what all-in-one, the keys beyond the document, extra
rules, prefix lists and the AWS-only settings refuse; the Python surface (snake_case
names, descriptions, errors when built); and the field order the validators rely on.
Each refusal comes before anything is registered, naming the key."""

from __future__ import annotations

import ast
import inspect
import pydoc
import textwrap
import typing
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pulumi
import pytest

from clearwater_sg import ConfigurationError, DeploymentOptions
from clearwater_sg.types import NO_VALUE
from harness import aws, openstack, run_main
from offline.runner import Recording
from tests.beyond import base
from tests.helpers import (
    BGCF,
    CLOUDS,
    PL,
    SG_A,
    SG_B,
    UUID_A,
    UUID_B,
    ingress,
    port,
    refused,
    source,
)
from tests.registered import registered_rules

# --- An explicit empty list means none (issue 8) ------------------------------------------


@pytest.mark.parametrize("cloud", [aws, openstack])
def test_empty_ssh_sources_close_ssh(cloud: Any) -> None:
    rules = ingress(run_main(cloud(sshSources=[])))
    assert [r for r in rules if port(r) == 22] == []


@pytest.mark.parametrize("cloud", [aws, openstack])
def test_empty_world_cidrs_open_nothing_to_the_world_and_close_default_ssh(cloud: Any) -> None:
    rules = ingress(run_main(cloud(worldCidrs=[])))
    assert rules, "internal flows stay"
    assert all(
        "cidrIpv4" not in r and "cidrIpv6" not in r and not r.get("remoteIpPrefix") for r in rules
    ), "a CIDR rule was created although worldCidrs is empty and sshSources follows it"


def test_absent_sources_take_the_documents_defaults() -> None:
    rules = ingress(run_main(aws()))
    assert {source(r) for r in rules if port(r) == 22} == {"0.0.0.0/0"}
    assert not [r for r in rules if port(r) == 161]


def test_an_absent_ssh_sources_follows_a_narrowed_world() -> None:
    rules = ingress(run_main(aws(worldCidrs=["198.51.100.0/24"])))
    assert {source(r) for r in rules if port(r) == 22} == {"198.51.100.0/24"}


# --- The same group twice is refused before anything exists (issue 8) ---------------------


def test_a_group_given_as_an_id_and_under_a_label_is_refused() -> None:
    message = refused(aws(sshSources=[SG_A], sshSourceGroups={"bastion": SG_A}))
    assert "clearwater-sg:sshSources[0]" in message
    assert "sshSourceGroups.bastion" in message


def test_one_group_under_two_labels_is_refused() -> None:
    message = refused(aws(snmpSourceGroups={"cacti": SG_A, "nagios": SG_A}))
    assert "clearwater-sg:snmpSourceGroups.nagios" in message and "'cacti'" in message


# --- One label for SSH and SNMP names one group, compared by value (issue 8) --------------


def test_one_label_for_ssh_and_snmp_is_accepted() -> None:
    recording = run_main(
        aws(sshSourceGroups={"ops": SG_A}, snmpSourceGroups={"ops": SG_A}, sshSources=[])
    )
    rules = ingress(recording)
    assert {source(r) for r in rules if port(r) in (22, 161)} == {SG_A}


def test_one_label_naming_two_groups_is_refused() -> None:
    message = refused(aws(sshSourceGroups={"ops": SG_A}, snmpSourceGroups={"ops": SG_B}))
    assert "clearwater-sg:snmpSourceGroups.ops" in message and "different group" in message


# --- Settings that add nothing on an all-in-one node (issue 15) ---------------------------


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


# --- Keys beyond the document -------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        ({"profiles": ["restund", "turn"]}, ["clearwater-sg:profiles[1]", "'sprout-peering'"]),
        (
            {"profiles": ["management-http"]},
            ["clearwater-sg:managementSources", "management hosts"],
        ),
        ({"managementSources": ["10.0.0.0/8"]}, ["clearwater-sg:managementSources", "profiles"]),
        ({"peerSites": {"site-b": []}}, ["clearwater-sg:peerSites.site-b", "no sources"]),
        ({"peerSites": {"sprout": ["10.2.0.0/16"]}}, ["clearwater-sg:peerSites", "role name"]),
        ({"replicateTimersAcrossSites": True}, ["clearwater-sg:replicateTimersAcrossSites"]),
        ({"networks": "dual"}, ["clearwater-sg:networks", "'single' or 'split'"]),
        ({"peerSites": {"a": ["10.2.0.0/16"], "b": ["10.2.0.0/16"]}}, ["same traffic"]),
    ],
)
def test_bad_beyond_settings_are_refused_before_anything_exists(
    extra: dict[str, object], words: list[str]
) -> None:
    recording = Recording()
    with pytest.raises(pulumi.RunError) as raised:
        run_main(base("openstack", "4", **extra), recording=recording)
    assert recording.resources == []
    for word in words:
        assert word in str(raised.value), str(raised.value)


@pytest.mark.parametrize(
    ("rules", "words"),
    [
        ({"ellis": [BGCF]}, ["clearwater-sg:extraRules.ellis", "not a group of this deployment"]),
        ({"sprout": [{**BGCF, "reason": ""}]}, ["clearwater-sg:extraRules.sprout[0].reason"]),
        ({"sprout": [{k: v for k, v in BGCF.items() if k != "reason"}]}, ["reason: is required"]),
        ({"sprout": [{**BGCF, "description": "a <b>"}]}, ["extraRules.sprout[0].description"]),
        ({"sprout": [{**BGCF, "ports": "0-70000"}]}, ["extraRules.sprout[0].ports"]),
        ({"sprout": [{**BGCF, "protocol": "icmp"}]}, ["extraRules.sprout[0].protocol"]),
        (
            {"sprout": [{**BGCF, "sources": ["fd00::/8"]}]},
            ["extraRules.sprout[0].sources[0]", "IPv6"],
        ),
        ({"sprout": [{**BGCF, "sources": []}]}, ["extraRules.sprout[0].sources"]),
        ({"sprout": [{**BGCF, "network": "management"}]}, ["networks: split only"]),
        ({"sprout": [{**BGCF, "colour": "red"}]}, ["extraRules.sprout[0].colour"]),
    ],
)
def test_a_bad_extra_rule_is_refused_before_anything_exists(
    rules: dict[str, object], words: list[str]
) -> None:
    recording = Recording()
    config = aws(roles=["bono", "sprout"], extraRules=rules)
    with pytest.raises(pulumi.RunError) as raised:
        run_main(config, recording=recording)
    assert recording.resources == []
    for word in words:
        assert word in str(raised.value), str(raised.value)


# The keys of an extra rule and of limits, as the README's Configuration table lists them.
EXTRA_RULE_KEYS = ("protocol", "ports", "sources", "destinations", "description", "reason")
LIMIT_KEYS = ("rulesPerGroup", "groupsPerInterface", "securityGroups", "securityGroupRules")


@pytest.mark.parametrize(
    ("config", "where", "suggested", "known", "not_known"),
    [
        (
            aws(extraRules={"sprout": [{**BGCF, "descripton": "x"}]}),
            "extraRules.sprout[0].descripton",
            "description",
            EXTRA_RULE_KEYS,
            LIMIT_KEYS,
        ),
        (
            openstack(limits={"securityGroupRule": 200}),
            "limits.securityGroupRule",
            "securityGroupRules",
            LIMIT_KEYS,
            EXTRA_RULE_KEYS,
        ),
    ],
)
def test_a_typo_in_a_maps_key_lists_that_maps_own_keys(
    config: Mapping[str, object],
    where: str,
    suggested: str,
    known: tuple[str, ...],
    not_known: tuple[str, ...],
) -> None:
    [line] = [line for line in refused(config).splitlines() if f"clearwater-sg:{where}:" in line]
    assert f"did you mean {suggested!r}?" in line
    listed = line.partition("known keys: ")[2].split(", ")
    assert set(known) <= set(listed) and not set(not_known) & set(listed), line


def test_split_networks_need_the_network_of_each_extra_rule() -> None:
    config = aws(networks="split", extraRules={"sprout": [{**BGCF, "network": "signaling"}]})
    names = {r.resource for r in registered_rules(run_main(config))}
    assert "clearwater-sprout-signaling-in-tcp-5053-from-10.40.0.0_16" in names
    with pytest.raises(pulumi.RunError, match="say which network"):
        run_main(aws(networks="split", extraRules={"sprout": [BGCF]}))


@pytest.mark.parametrize(
    ("config", "words"),
    [
        (aws(sshSources=[PL]), [f"clearwater-sg:prefixLists.{PL}", "max entries"]),
        (aws(prefixLists={PL: 10}), [f"clearwater-sg:prefixLists.{PL}", "not used"]),
        (aws(sshSources=[PL], prefixLists={PL: 0}), [f"clearwater-sg:prefixLists.{PL}"]),
        (aws(sshSources=["pl-xyz"]), ["clearwater-sg:sshSources[0]", "prefix list pl-"]),
        ({"cloud": "openstack", "sshSources": [PL]}, ["sshSources[0]", "OpenStack has none"]),
    ],
)
def test_prefix_list_mistakes_are_refused(config: dict[str, object], words: list[str]) -> None:
    recording = Recording()
    with pytest.raises(pulumi.RunError) as raised:
        run_main(config, recording=recording)
    assert recording.resources == []
    for word in words:
        assert word in str(raised.value), str(raised.value)


# --- AWS only -----------------------------------------------------------------------------


def test_generated_names_are_refused_on_openstack() -> None:
    recording = Recording()
    with pytest.raises(pulumi.RunError, match="clearwater-sg:groupNames: applies to AWS only"):
        run_main({"cloud": "openstack", "groupNames": "generated"}, recording=recording)
    assert recording.resources == []


def test_rule_tags_are_refused_on_openstack() -> None:
    with pytest.raises(pulumi.RunError, match="clearwater-sg:tagRules: applies to AWS only"):
        run_main({"cloud": "openstack", "tagRules": True})


# --- Numbers are numbers (issue 15) -------------------------------------------------------


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


# --- From Python --------------------------------------------------------------------------


def test_invalid_options_fail_when_built_not_when_deployed() -> None:
    with pytest.raises(ValueError, match="vpcId"):
        DeploymentOptions(cloud="aws")


# --- None, and a setting under both its names, are refused by name (issue 24) -------------
# A misspelt `config.get_object(...)` gives None: read as absent, SSH would follow the
# world; with both names given, pydantic would keep one and call the other unknown.


@pytest.mark.parametrize(
    ("given", "where"),
    [
        ({"ssh_sources": None}, "sshSources"),
        ({"sshSources": None, "roles": ["sprout"]}, "sshSources"),
        ({"peer_sites": {"site-b": None}}, "peerSites.site-b"),
        ({"roles": ["sprout", None]}, "roles[1]"),
        ({"tags": {"owner": None}}, "tags.owner"),
    ],
)
def test_none_is_refused_by_name_not_read_as_absent(given: dict[str, Any], where: str) -> None:
    with pytest.raises(ConfigurationError) as refused_:
        DeploymentOptions(cloud="openstack", **given)
    assert (where, NO_VALUE) in refused_.value.problems


def test_a_setting_under_both_its_names_is_refused_with_the_rest() -> None:
    with pytest.raises(ConfigurationError) as refused_:
        both: dict[str, Any] = {"ssh_sources": ["10.9.0.0/16"], "sshSources": ["0.0.0.0/0"]}
        DeploymentOptions(cloud="openstack", hss="maybe", **both)
    assert dict(refused_.value.problems) == {
        "sshSources": "is given twice, as ssh_sources and sshSources: give it once",
        "hss": "must be true or false, got 'maybe'",
    }


def test_help_shows_the_names_python_callers_write_with_their_descriptions() -> None:
    parameters = inspect.signature(DeploymentOptions).parameters
    assert "ip_version" in parameters and "ipVersion" not in parameters
    assert parameters["ip_version"].default == "4"
    assert parameters["cloud"].default is inspect.Parameter.empty  # required
    doc = " ".join((DeploymentOptions.__doc__ or "").split())  # descriptions are wrapped
    for name, field in DeploymentOptions.model_fields.items():
        assert field.description, f"{name} has no description"
        assert f"{name}: " in doc and f"(stack config: {field.alias}) {field.description}" in doc


def test_help_is_readable_not_the_validators_types() -> None:
    """help() shows a signature of names and defaults a person can read, and each field's
    type as a caller writes it, never pydantic's validator machinery."""
    signature = str(inspect.signature(DeploymentOptions))
    assert list(inspect.signature(DeploymentOptions).parameters) == list(
        DeploymentOptions.model_fields
    )
    # Names and plain defaults only: about 20 characters a setting (it was ~4,200 in all).
    assert len(signature) < 20 * len(DeploymentOptions.model_fields), signature
    text = pydoc.render_doc(DeploymentOptions, renderer=pydoc.plaintext)  # type: ignore[attr-defined]
    own = text.split("Method resolution order")[0]
    assert "Validator" not in own and "<function" not in own and "Annotated" not in own
    assert "ssh_source_groups: dict[str, str | Output[str]] (stack config: sshSourceGroups)" in own
    assert "limits=Limits()" in signature and "deployment='distributed'" in signature


# --- Field order: a validator sees only the settings declared before its own -------------
#
# pydantic validates fields in declaration order, and `info.data` holds the fields validated
# so far: a validator that reads another setting from it reads nothing if that setting is
# declared later, and its check silently never runs. The pairs (validated field, setting it
# reads) are read from the model and the source of its validators, never written here.


def _reads(
    function: Callable[..., Any], cache: dict[Any, tuple[set[str], bool]]
) -> tuple[set[str], bool]:
    """The settings a validator function reads from `info.data` by name, itself or through
    the functions it hands `info` to (`cloud_of(info)`, `_setting(info, "ip_version")`);
    and whether it also reads one its caller names (`data.get(name)`, `name` a parameter)."""
    function = inspect.unwrap(getattr(function, "__func__", function))
    if not inspect.isfunction(function):
        return set(), False
    if function in cache:
        return cache[function]
    cache[function] = (set(), False)  # a recursive call reads nothing more
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    except (OSError, TypeError, SyntaxError):
        return cache[function]
    parameters = set(inspect.signature(function).parameters)
    texts = _texts_bound(tree)
    data = {  # names bound to info.data itself: `data = info.data if ... else {}`
        target.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        and any(
            _is_info_data(value, set())
            for value in (
                (node.value.body, node.value.orelse)
                if isinstance(node.value, ast.IfExp)
                else (node.value,)
            )
        )
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    read: set[str] = set()
    by_caller = False
    for node in ast.walk(tree):
        key: ast.expr | None = None
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get"
            and _is_info_data(node.func.value, data)
            and node.args
        ):
            key = node.args[0]
        elif isinstance(node, ast.Subscript) and _is_info_data(node.value, data):
            key = node.slice
        elif (
            isinstance(node, ast.Compare)
            and isinstance(node.ops[0], (ast.In, ast.NotIn))
            and _is_info_data(node.comparators[0], data)
        ):
            key = node.left
        elif isinstance(node, ast.Call) and any(
            isinstance(arg, ast.Name) and arg.id == "info"
            for arg in [*node.args, *(keyword.value for keyword in node.keywords)]
        ):
            callee = _callee(node.func, function)
            if callee is not None:
                inner, keyed_by_caller = _reads(callee, cache)
                read |= inner
                if keyed_by_caller:
                    read |= {
                        arg.value
                        for arg in node.args
                        if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
                    }
        if key is not None:
            if isinstance(key, ast.Name) and key.id in parameters:
                by_caller = True
            read |= _strings(key, texts)
    cache[function] = (read, by_caller)
    return cache[function]


def _is_info_data(node: ast.AST, aliases: set[str]) -> bool:
    """`info.data`, or a name bound to it."""
    if isinstance(node, ast.Name):
        return node.id in aliases
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "data"
        and isinstance(node.value, ast.Name)
        and node.value.id == "info"
    )


def _texts_bound(tree: ast.AST) -> dict[str, set[str]]:
    """Names bound to text constants: `key = "a" if ... else "b"`, `for key in ("a", "b")`."""
    bound: dict[str, set[str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    bound.setdefault(target.id, set()).update(_strings(node.value, {}))
        elif (
            isinstance(node, (ast.comprehension, ast.For))
            and isinstance(node.target, ast.Name)
            and isinstance(node.iter, (ast.Tuple, ast.List, ast.Set))
        ):
            for element in node.iter.elts:
                bound.setdefault(node.target.id, set()).update(_strings(element, {}))
    return bound


def _strings(node: ast.AST, bound: Mapping[str, set[str]]) -> set[str]:
    """The texts an expression may be: a constant, either branch of a conditional, or a
    name bound to texts."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _strings(node.body, bound) | _strings(node.orelse, bound)
    if isinstance(node, ast.Name):
        return set(bound.get(node.id, ()))
    return set()


def _callee(node: ast.expr, caller: Callable[..., Any]) -> Callable[..., Any] | None:
    """The function a call by name refers to: a global of the caller's module, or a name
    of its closure (`checked_whole`'s check)."""
    if not isinstance(node, ast.Name):
        return None
    found = inspect.getclosurevars(caller).nonlocals.get(node.id)
    if found is None:
        found = getattr(caller, "__globals__", {}).get(node.id)
    return found if callable(found) else None


def _validators_in(annotation: object) -> Iterator[Callable[..., Any]]:
    """The validator functions of an annotation and of the types nested in it (a list's
    items, a map's keys and values); a nested model's validators read its own data."""
    for item in getattr(annotation, "__metadata__", ()):
        if callable(getattr(item, "func", None)):
            yield item.func
    for argument in typing.get_args(annotation):
        yield from _validators_in(argument)


def cross_field_reads() -> set[tuple[str, str]]:
    """(validated field, setting it reads from `info.data`) for every validator of
    DeploymentOptions: its field validators, and those of each field's type."""
    validators: dict[str, list[Callable[..., Any]]] = {
        name: [m.func for m in field.metadata if callable(getattr(m, "func", None))]
        + list(_validators_in(field.annotation))
        for name, field in DeploymentOptions.model_fields.items()
    }
    for decorator in DeploymentOptions.__pydantic_decorators__.field_validators.values():
        for name in decorator.info.fields:
            validators[name].append(decorator.func)
    cache: dict[Any, tuple[set[str], bool]] = {}
    return {
        (name, read)
        for name, functions in validators.items()
        for function in functions
        for read in _reads(function, cache)[0]
        # A check shared by several fields may read one of them for the others
        # (`_one_group_per_label` reads sshSourceGroups for snmpSourceGroups only).
        if read != name
    }


def test_fields_are_declared_before_the_validators_that_read_them() -> None:
    order = list(DeploymentOptions.model_fields)
    pairs = cross_field_reads()
    assert pairs, "no validator reads another setting: the reading of the source is broken"
    unknown = {read for _, read in pairs} - set(order)
    assert unknown == set(), f"validators read settings that are not fields: {unknown}"
    late = sorted(
        f"{field} reads {read}, declared after it"
        for field, read in pairs
        if order.index(read) > order.index(field)
    )
    assert late == [], late


# --- existingGroups ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "words"),
    [
        (
            aws(existingGroups={"sprot": SG_A}),
            [
                "clearwater-sg:existingGroups.sprot: 'sprot' is not a group of this deployment",
                "allowed: all-nodes, ellis, bono, sprout, dime, homer, vellum",
            ],
        ),
        (
            aws(existingGroups={"sprout": SG_A}, networks="split"),
            ["existingGroups.sprout", "allowed: all-nodes-management, all-nodes-signaling"],
        ),
        (
            aws(existingGroups={"app-server": SG_A}),
            ["existingGroups.app-server", "not a group of this deployment"],
        ),
        (
            aws(existingGroups={"bono": SG_A, "sprout": SG_A}),
            [f"existingGroups.sprout: {SG_A} is also given for bono", "give each key its own"],
        ),
        (
            openstack(existingGroups={"sprout": SG_A}),
            ["existingGroups.sprout", "not a security group id (allowed: a security group UUID)"],
        ),
        (aws(existingGroups=[SG_A]), ["clearwater-sg:existingGroups: must be a YAML map"]),
    ],
    ids=["typo", "split-keys", "absent-role", "one-group-twice", "wrong-cloud", "a-list"],
)
def test_existing_groups_name_this_deployments_groups_each_its_own(
    config: dict[str, object], words: list[str]
) -> None:
    message = refused(config)
    for word in words:
        assert word in message


# --- egress and egressDestinations -----------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "words"),
    [
        (
            aws(egressDestinations={"dns": ["10.0.0.2/32"]}),
            ["clearwater-sg:egressDestinations: applies with egress: restricted"],
        ),
        (aws(egress="closed"), ["clearwater-sg:egress: Input should be 'all' or 'restricted'"]),
        (
            aws(egress="restricted", egressDestinations={"dnss": ["10.0.0.2/32"]}),
            ["egressDestinations.dnss", "'dns', 'ntp', 'packages'"],
        ),
        (
            aws(egress="restricted", egressDestinations={"dns": []}),
            ["egressDestinations.dns: is empty; give at least one entry, or remove it"],
        ),
        (
            aws(egress="restricted", roles=["sprout"],
                egressDestinations={"smtp": ["10.0.0.25/32"]}),
            ["egressDestinations.smtp: no group of this deployment sends smtp",
             "(sent by: all-in-one, ellis)"],
        ),
        (
            openstack(egress="restricted", egressDestinations={"dns": ["sg-0123456789abcdef0"]}),
            ["egressDestinations.dns[0]", "neither a CIDR nor a security group id"],
        ),
        (
            aws(egress="restricted", egressDestinations={"dns": ["fd00::2/128"]}),
            ["egressDestinations.dns[0]"],
        ),
        (
            aws(egress="restricted", egressDestinations={"packages": [PL]}),
            ["clearwater-sg:prefixLists", PL, "is used as a source"],
        ),
        (
            aws(extraRules={"all-nodes": [{**{k: v for k, v in BGCF.items() if k != "sources"},
                                           "direction": "egress",
                                           "destinations": ["10.50.0.10/32"]}]}),
            ["clearwater-sg:extraRules.all-nodes[0].direction: egress rules apply with "
             "egress: restricted"],
        ),
        (
            aws(egress="restricted", extraRules={"all-nodes": [{**BGCF, "direction": "egress"}]}),
            ["extraRules.all-nodes[0].destinations: an egress rule needs its destinations",
             "extraRules.all-nodes[0].sources: is for the other direction; this rule is egress"],
        ),
        (
            aws(extraRules={"sprout": [{**BGCF, "destinations": ["10.50.0.10/32"]}]}),
            ["extraRules.sprout[0].destinations: is for the other direction; this rule is "
             "ingress (use sources)"],
        ),
    ],
    ids=["without-restricted", "unknown-mode", "unknown-kind", "empty", "no-sender",
         "other-cloud", "family-not-in-use", "unsized-prefix-list", "egress-extra-rule-with-all",
         "egress-extra-rule-with-sources", "ingress-extra-rule-with-destinations"],
)  # fmt: skip
def test_egress_destinations_are_refused_by_name_unless_they_fit(
    config: dict[str, object], words: list[str]
) -> None:
    message = refused(config)
    for word in words:
        assert word in message


# --- egress: restricted and existing groups -----------------------------------------------


def test_restricted_egress_with_existing_groups_needs_the_live_preflight() -> None:
    """An existing group keeps its owner's outbound rules (a new one has the cloud's
    allow-all egress): offline, the program cannot know them, so it cannot promise that
    every other outbound flow is closed."""
    existing = {"sprout": UUID_A, "all-nodes": UUID_B}
    message = refused(openstack(egress="restricted", existingGroups=existing))
    assert "clearwater-sg:egress: restricted cannot close what the existing groups" in message
    assert "(sprout, all-nodes)" in message
    for fix in ("preflight: live", "take them out of existingGroups", "egress: all"):
        assert fix in message
    live = DeploymentOptions(
        cloud="openstack", egress="restricted", existing_groups=existing, preflight="live"
    )
    assert live.preflight == "live"
    assert DeploymentOptions(cloud="openstack", existing_groups=existing).egress == "all"
