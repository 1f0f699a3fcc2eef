"""Benchmark: how many rules the program registers against the minimum, and how long it
takes to evaluate as a stack holds more deployments.

    python bench/bench.py            # everything, about two minutes on 2 cores
    python bench/bench.py --counts   # the rule counts only, a few seconds

Counts come from what the program registers under the Pulumi SDK's mock engine (the real
`__main__.py`, normalised by `offline.inventory`), never from the planner. The
minimum is counted here, independently of the planner, from the port document's lines
(`clearwater_sg.matrix.MATRIX` holds one entry per line). Prints Markdown.
"""

from __future__ import annotations

import argparse
import gc
import importlib.metadata
import ipaddress
import json
import os
import platform
import runpy
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from clearwater_sg import ClearwaterSecurityGroups
from clearwater_sg.matrix import ICMP_TYPES, MATRIX, Audience, Condition, Flow, Protocol, Source
from clearwater_sg.options import DeploymentOptions
from clearwater_sg.roles import DISTRIBUTED_ROLES, Role
from clearwater_sg.stack_config import load_options
from clearwater_sg.types import Cloud
from offline.inventory import inventory
from offline.runner import Recording, run_program
from offline.stackfile import load_stack

PROJECT_DIR = Path(__file__).resolve().parent.parent
PROJECT = "clearwater-sg"
MAIN = PROJECT_DIR / "__main__.py"
VPC = "vpc-0123456789abcdef0"
SNMP_POLLERS = {4: "10.20.0.0/24", 6: "fd00:20::/64"}
DEPLOYMENT_COUNTS = (1, 10, 50)
# Fewer runs at 50 (each takes seconds) keep the bench within a few minutes; more at 1,
# whose short run is the noisiest and is the base of every ratio.
RUNS = {1: 15, 10: 5, 50: 3}
FAMILY_LABEL = {None: "any", 4: "IPv4", 6: "IPv6"}


# --- The configurations measured -------------------------------------------------------


@dataclass(frozen=True)
class Configuration:
    label: str
    stack: str
    config: dict[str, str]  # "clearwater-sg:key" -> value, as the CLI hands it over


def example_stacks() -> list[Configuration]:
    """The stacks under stacks/, read the way `render_stack` reads them."""
    configurations = []
    for stack_file in sorted((PROJECT_DIR / "stacks").glob("Pulumi.*.yaml")):
        stack = load_stack(stack_file)
        configurations.append(Configuration(stack.stack, stack.stack, stack.config))
    return configurations


def largest_settings(cloud: Cloud, ip_version: str) -> dict[str, object]:
    """Distributed, every role, app-server, Memento, HSS and SNMP: the most rules."""
    families = (4,) if ip_version == "4" else (4, 6)
    settings: dict[str, object] = {
        "cloud": cloud.value,
        "ipVersion": ip_version,
        "roles": [role.value for role in DISTRIBUTED_ROLES],
        "memento": True,
        "hss": True,
        "snmpSources": [SNMP_POLLERS[family] for family in families],
    }
    if cloud is Cloud.AWS:
        settings["vpcId"] = VPC
    return settings


def as_stack_config(settings: dict[str, object]) -> dict[str, str]:
    """Settings as config strings: lists and maps as JSON, booleans as true/false (like the CLI)."""

    def text(value: object) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        return json.dumps(value) if isinstance(value, (list, dict)) else str(value)

    return {f"{PROJECT}:{key}": text(value) for key, value in settings.items()}


def largest_configurations() -> list[Configuration]:
    return [
        Configuration(
            "largest",
            f"largest-{cloud.value}-{ip_version}",
            as_stack_config(largest_settings(cloud, ip_version)),
        )
        for cloud in (Cloud.AWS, Cloud.OPENSTACK)
        for ip_version in ("4", "dual")
    ]


# --- What the program registers ---------------------------------------------------------


class RuleKey(NamedTuple):
    """A rule as `offline.inventory` rows describe it, minus the description."""

    group: str
    family: str  # IPv4, IPv6, or "any" for an AWS group reference
    protocol: str
    ports: str
    peer: str


@dataclass(frozen=True)
class Registered:
    groups: int
    ingress: Counter[RuleKey]
    egress: int


def evaluate(configuration: Configuration) -> tuple[Registered, DeploymentOptions]:
    """Run the real `__main__.py` for this configuration; what it registered, and the
    validated options it ran with (read back through the program's own settings code)."""
    captured: list[DeploymentOptions] = []

    def program() -> None:
        runpy.run_path(str(MAIN), run_name="__main__")
        captured.append(load_options())

    recording = run_program(
        program, project=PROJECT, stack=configuration.stack, config=configuration.config
    )
    return registered(recording), captured[0]


def registered(recording: Recording) -> Registered:
    found = inventory(recording)
    ingress = Counter(
        RuleKey(rule.group, rule.family, rule.protocol, rule.ports, rule.peer)
        for rule in found.rules
        if rule.direction == "ingress"
    )
    egress = sum(1 for rule in found.rules if rule.direction == "egress")
    return Registered(groups=len(found.groups), ingress=ingress, egress=egress)


# --- The minimum, counted from the document's lines --------------------------------------


def deployed_roles(options: DeploymentOptions) -> set[Role]:
    # Every deployment has the shared all-nodes group; `roles` lists the rest.
    return {Role.ALL_NODES, *options.roles}


def snmp_pollers(options: DeploymentOptions) -> bool:
    # Pollers given by CIDR or group id, or by a labelled group known at deploy time.
    return bool(options.snmp_sources or options.snmp_source_groups)


def condition_holds(condition: Condition | None, options: DeploymentOptions) -> bool:
    if condition is None:
        return True
    return {
        Condition.MEMENTO: options.memento,
        Condition.HSS: options.hss,
        Condition.SNMP: snmp_pollers(options),
    }[condition]


def is_cidr(entry: str) -> bool:
    try:
        ipaddress.ip_network(entry)
    except ValueError:
        return False
    return True


class Peer(NamedTuple):
    label: str  # as inventory rows show it: a CIDR, "group:<role>", or a group id
    family: int | None  # a CIDR's own family; None for a group, which holds every family


def peers(source: Source, options: DeploymentOptions) -> list[Peer]:
    """Who a doc source is in this deployment: nobody if it is a role without nodes."""
    if isinstance(source, Role):
        return [Peer(f"group:{source.value}", None)] if source in deployed_roles(options) else []
    entries, labelled = {
        Audience.WORLD: (options.world_cidrs, {}),
        Audience.SSH_SOURCES: (options.ssh_sources, options.ssh_source_groups),
        Audience.SNMP_SOURCES: (options.snmp_sources, options.snmp_source_groups),
    }[source]
    written = [
        Peer(entry, ipaddress.ip_network(entry).version if is_cidr(entry) else None)
        for entry in entries
    ]
    # Inventory rows show a labelled group by its id; an Output id (Python callers only)
    # cannot be read here, so it keeps its label.
    return written + [
        Peer(group_id if isinstance(group_id, str) else label, None)
        for label, group_id in labelled.items()
    ]


def rule_families(flow: Flow, peer: Peer, options: DeploymentOptions) -> tuple[int | None, ...]:
    """The families one (line, peer) needs a rule for."""
    if peer.family is not None:
        return (peer.family,)  # a CIDR is of one family
    if options.cloud is Cloud.AWS and flow.protocol is not Protocol.ICMP:
        return (None,)  # an AWS group reference matches both families in one rule
    # Neutron rules carry one ethertype; ICMP and ICMPv6 are distinct protocols on AWS.
    return tuple(options.families)


def port_labels(flow: Flow, family: int | None, options: DeploymentOptions) -> list[str]:
    """One label per rule the line needs in `family` (ICMP: one rule per message type)."""
    if flow.protocol is Protocol.ICMP:
        types = ICMP_TYPES[flow.line]
        wanted = (4, 6) if family is None else (family,)
        return [
            f"type {icmp_type}"
            for each in wanted
            for icmp_type in types[each]
            # pulumi-openstack cannot send ICMP type 0 (IPv4 Echo Reply) at all, so no
            # OpenStack deployment can have that rule; see the README.
            if not (options.cloud is Cloud.OPENSTACK and (each, icmp_type) == (4, 0))
        ]
    first, last = flow.port_range
    return [str(first) if first == last else f"{first}-{last}"]


def family_label(peer: Peer, family: int | None, options: DeploymentOptions) -> str:
    # Inventory rows show every AWS group reference as "any", ICMP ones included.
    if options.cloud is Cloud.AWS and peer.family is None:
        return "any"
    return FAMILY_LABEL[family]


def line_rules(flow: Flow, source: Source, options: DeploymentOptions) -> Iterator[RuleKey]:
    """The fewest rules that open one doc line to one doc source."""
    for peer in peers(source, options):
        for family in rule_families(flow, peer, options):
            for ports in port_labels(flow, family, options):
                yield RuleKey(
                    group=flow.group.value,
                    family=family_label(peer, family, options),
                    protocol=flow.protocol.value,
                    ports=ports,
                    peer=peer.label,
                )


def applies(flow: Flow, options: DeploymentOptions) -> bool:
    return flow.group in deployed_roles(options) and condition_holds(flow.condition, options)


def minimum_ingress(options: DeploymentOptions) -> Counter[RuleKey]:
    return Counter(
        rule
        for flow in MATRIX
        if applies(flow, options)
        for source in flow.sources
        for rule in line_rules(flow, source, options)
    )


def port_span(ports: str) -> tuple[int, int]:
    first, _, last = ports.partition("-")
    return int(first), int(last or first)


def count_runs(spans: list[tuple[int, int]]) -> int:
    """How many rules these port spans need once touching spans share a rule."""
    runs, reach = 0, -2
    for first, last in sorted(spans):
        if first > reach + 1:
            runs += 1
        reach = max(reach, last)
    return runs


def merged_minimum(rules: Counter[RuleKey]) -> int:
    """The minimum if rules differing only in adjacent ports were one range.

    This goes below one rule per doc line, for comparison only: such a range opens no
    port the document leaves closed, but one rule then traces to two doc lines.
    """
    icmp = sum(1 for rule in rules.elements() if rule.protocol == "icmp")
    spans: dict[tuple[str, str, str, str], list[tuple[int, int]]] = {}
    for rule in rules.elements():
        if rule.protocol != "icmp":
            key = (rule.group, rule.family, rule.protocol, rule.peer)
            spans.setdefault(key, []).append(port_span(rule.ports))
    return icmp + sum(count_runs(each) for each in spans.values())


# --- The naive layout, for comparison ----------------------------------------------------


@dataclass(frozen=True)
class Naive:
    groups: int
    ingress: int
    egress: int


def naive_layout(options: DeploymentOptions) -> Naive:
    """No shared all-nodes group: each role's group repeats the All nodes section.

    A line open to an outside source (ICMP, SSH, SNMP) is repeated in each of the R role
    groups; a line open to "all other nodes" (etcd) is repeated in each role group and
    sourced from each of the R role groups, so R x R times the rules of one group source.
    Role sections are as in the minimum. Egress (allow-all per family) moves onto each
    role group, since no group is shared by every node any more.
    """
    roles = len(options.roles)
    ingress = 0
    for flow in MATRIX:
        if not applies(flow, options):
            continue
        for source in flow.sources:
            rules = sum(1 for _ in line_rules(flow, source, options))
            if flow.group is not Role.ALL_NODES:
                ingress += rules
            elif source is Role.ALL_NODES:
                ingress += roles * roles * rules
            else:
                ingress += roles * rules
    return Naive(groups=roles, ingress=ingress, egress=roles * len(options.families))


# --- Render time ----------------------------------------------------------------------


def many_deployments(settings: dict[str, object], count: int) -> Callable[[], None]:
    """A program with `count` deployments, each its own component and name prefix."""

    def program() -> None:
        for index in range(count):
            # Validating options is part of what a real program does per deployment.
            options = DeploymentOptions.model_validate(
                {**settings, "namePrefix": f"clearwater-{index}"}
            )
            ClearwaterSecurityGroups(f"clearwater-{index}", options)

    return program


class Run(NamedTuple):
    wall: float  # what a user waits for
    cpu: float  # this process's CPU time, all threads: steadier on a busy machine
    resources: int


def timed_run(program: Callable[[], None]) -> Run:
    # Collect the previous run's garbage now, so that it is not charged to this run.
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    recording = run_program(program, project=PROJECT, stack="bench", config={})
    return Run(time.perf_counter() - wall, time.process_time() - cpu, len(recording.resources))


def median_run(program: Callable[[], None], runs: int) -> Run:
    results = [timed_run(program) for _ in range(runs)]
    return Run(
        wall=statistics.median(run.wall for run in results),
        cpu=statistics.median(run.cpu for run in results),
        resources=results[0].resources,
    )


def time_growth(settings: dict[str, object]) -> dict[int, Run]:
    timed_run(many_deployments(settings, 1))  # warm-up: first-use imports and caches
    return {
        count: median_run(many_deployments(settings, count), RUNS[count])
        for count in DEPLOYMENT_COUNTS
    }


# --- Output --------------------------------------------------------------------------


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def machine() -> str:
    versions = ", ".join(
        f"{package} {importlib.metadata.version(package)}"
        for package in ("pulumi", "pulumi-aws", "pulumi-openstack")
    )
    # Other work on the machine shows in the timings; the load average says how much.
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    return (
        f"Machine: {os.cpu_count()} CPUs, load average {load} at start, "
        f"Python {platform.python_version()} ({platform.machine()}), {versions}"
    )


def ip_label(options: DeploymentOptions) -> str:
    return {(4,): "IPv4", (6,): "IPv6", (4, 6): "dual"}[tuple(options.families)]


def difference(extra: Counter[RuleKey], missing: Counter[RuleKey]) -> list[str]:
    return [f"extra: {rule}" for rule in sorted(extra.elements())] + [
        f"missing: {rule}" for rule in sorted(missing.elements())
    ]


COUNT_HEADERS = ("Configuration", "Cloud", "IP", "Groups", "Ingress", "Egress")
RULES_HEADERS = (*COUNT_HEADERS, "Minimum ingress", "Ratio", "Adjacent ports merged")
NAIVE_HEADERS = (*COUNT_HEADERS, "Ingress vs. this program")


@dataclass(frozen=True)
class Measured:
    rules_row: list[object]
    naive_row: list[object]
    differences: list[str]


def measure(configuration: Configuration) -> Measured:
    found, options = evaluate(configuration)
    minimum = minimum_ingress(options)
    naive = naive_layout(options)
    ingress = found.ingress.total()
    name = [configuration.label, options.cloud.value, ip_label(options)]
    ratio = f"{ingress / minimum.total():.2f}"
    # Equal counts could still hide a missing rule offset by a redundant one: compare rules.
    differences = difference(found.ingress - minimum, minimum - found.ingress)
    return Measured(
        rules_row=[
            *name,
            found.groups,
            ingress,
            found.egress,
            minimum.total(),
            ratio,
            merged_minimum(minimum),
        ],
        naive_row=[
            *name,
            naive.groups,
            naive.ingress,
            naive.egress,
            f"{naive.ingress / ingress:.2f}",
        ],
        differences=[f"- {configuration.stack}: {line}" for line in differences],
    )


def counts_report(configurations: list[Configuration]) -> str:
    measured = [measure(configuration) for configuration in configurations]
    differences = [line for each in measured for line in each.differences]
    return "\n\n".join(
        [
            markdown_table(RULES_HEADERS, [each.rules_row for each in measured]),
            "The same deployments laid out naively (no shared all-nodes group):",
            markdown_table(NAIVE_HEADERS, [each.naive_row for each in measured]),
            "Registered ingress rules that are not in the minimum, or the reverse: "
            + ("none." if not differences else "\n\n" + "\n".join(differences)),
        ]
    )


def timing_rows(label: str, timings: dict[int, Run]) -> list[list[object]]:
    base = timings[DEPLOYMENT_COUNTS[0]]
    return [
        [
            label,
            count,
            run.resources,
            f"{run.wall:.2f}",
            f"{run.wall / base.wall:.1f}",
            f"{run.cpu:.2f}",
            f"{run.cpu / base.cpu:.1f}",
            f"{run.cpu / run.resources * 1000:.2f}",
        ]
        for count, run in timings.items()
    ]


def timing_report() -> str:
    rows: list[list[object]] = []
    for cloud, ip_version in ((Cloud.AWS, "4"), (Cloud.OPENSTACK, "dual")):
        label = f"largest, {cloud.value}, {'IPv4' if ip_version == '4' else 'dual'}"
        rows += timing_rows(label, time_growth(largest_settings(cloud, ip_version)))
    runs = ", ".join(f"{RUNS[count]} at N={count}" for count in DEPLOYMENT_COUNTS)
    headers = (
        "Each deployment is",
        "N",
        "Resources",
        "Wall (s)",
        "Wall vs N=1",
        "CPU (s)",
        "CPU vs N=1",
        "CPU ms/resource",
    )
    return "\n\n".join(
        [
            f"Render time of N deployments in one program under the mock engine, "
            f"median of {runs} runs:",
            markdown_table(headers, rows),
        ]
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--counts", action="store_true", help="rule counts only, no timing")
    args = parser.parse_args(argv)
    print(machine(), end="\n\n")
    print(counts_report(example_stacks() + largest_configurations()))
    if not args.counts:
        print()
        print(timing_report())
    return 0


if __name__ == "__main__":
    sys.exit(main())
