"""Benchmark: the rules each configuration registers against the port document's
minimum, the CPU time of N deployments in one program, with and without
`clearwater_sg.spare_registered_resources`, and the real engine on both clouds against a
floor. Prints Markdown.

    python -m bench                       # everything
    python -m bench --counts              # the rule counts only, a few seconds
    python -m bench --time openstack dual [--no-spare]   # one timing series, as JSON
    python -m bench --engine              # the real engine against a floor, both clouds
    python -m bench --engine --update-docs   # and write it into docs/aws-engine.md

Run it from the repository root: it imports `offline` and `harness`, never `tests`.
Counts are read from what the real program registers under the Pulumi SDK's mock engine
(`offline.runner`, `offline.inventory`); the minimum is what the independent reading of
the port document requires (`harness.doc_reader.expected_rules`). Whether each rule is
the right one is tests/unit/test_matrix.py's job, not the bench's.
"""

from __future__ import annotations

import argparse
import gc
import importlib.metadata
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor

from bench.engine import engine_report
from clearwater_sg import ClearwaterSecurityGroups, DeploymentOptions, spare_registered_resources
from harness import DOC, PROJECT, PROJECT_DIR, run_main
from harness.doc_reader import Configuration, Permission, expected_rules, read_document
from harness.largest import FAMILIES, largest
from offline.formats import table
from offline.generated import replace_block, stack_files
from offline.inventory import inventory
from offline.runner import Recording, run_program, run_stack

ENGINE_DOC = PROJECT_DIR / "docs" / "aws-engine.md"  # where the engine's figures are shown
LARGEST = (("aws", "4"), ("aws", "dual"), ("openstack", "4"), ("openstack", "dual"))
TIMED = (("aws", "4"), ("openstack", "dual"))
DEPLOYMENTS = (1, 10, 50)
# Few runs at 10 and 50 (seconds each) keep the bench within a few minutes; more at 1,
# whose short run is the noisiest and the base of every ratio.
RUNS = {1: 11, 10: 3, 50: 3}
IP_LABEL = {(4,): "IPv4", (6,): "IPv6", (4, 6): "dual"}
Row = list[str]


# --- Rules against the document's minimum -------------------------------------------------


def configurations() -> Iterator[tuple[str, dict[str, object], Recording]]:
    """Each bundled stack, then the largest configuration per cloud and ipVersion: a
    label, its config (keys without namespace) and what the program registered."""
    for path in stack_files(PROJECT_DIR):
        stack, recording = run_stack(path)
        prefix = f"{PROJECT}:"
        mine = {k.removeprefix(prefix): v for k, v in stack.config.items() if k.startswith(prefix)}
        yield stack.stack, dict(mine), recording
    for cloud, ip_version in LARGEST:
        config = largest(cloud, ip_version)
        yield "largest", config, run_main(config, stack=f"largest-{cloud}-{ip_version}")


def naive_layout(expected: Counter[Permission], roles: int) -> tuple[int, int]:
    """Ingress and egress rules with no shared all-nodes group: each of the `roles` role
    groups repeats the All nodes rules and the egress, and etcd, open to all nodes, is
    needed roles x roles times (each role group admits each role group)."""
    ingress = egress = 0
    for rule, count in expected.items():
        if rule.direction == "egress":
            egress += roles * count
        elif rule.group != "all-nodes":
            ingress += count
        else:
            ingress += count * (roles * roles if rule.peer == "group:all-nodes" else roles)
    return ingress, egress


def counts_report() -> str:
    ports = read_document(DOC)
    rules_rows: list[Row] = []
    naive_rows: list[Row] = []
    for label, config, recording in configurations():
        found = inventory(recording)
        registered = Counter(rule.permission.direction for rule in found.rules)
        expected = expected_rules(config, ports)
        minimum = sum(n for rule, n in expected.items() if rule.direction == "ingress")
        deployment = Configuration.from_config(config)
        name = [label, deployment.cloud, IP_LABEL[deployment.families]]
        ingress = registered["ingress"]
        counts = [len(found.groups), ingress, registered["egress"], minimum]
        rules_rows.append([*name, *map(str, counts), f"{ingress / minimum:.2f}"])
        roles = len(deployment.groups) - 1
        naive = [roles, *naive_layout(expected, roles)]
        naive_rows.append([*name, *map(str, naive), f"{naive[1] / ingress:.2f}"])
    headers = ["Configuration", "Cloud", "IP", "Groups", "Ingress", "Egress"]
    return "\n\n".join(
        [
            table([*headers, "Minimum ingress", "Ratio"], rules_rows),
            "The same deployments laid out naively (no shared all-nodes group):",
            table([*headers, "Ingress vs. this program"], naive_rows),
        ]
    )


# --- Render time of N deployments in one program --------------------------------------------


def many_deployments(config: dict[str, object], count: int, spare: bool) -> Callable[[], None]:
    """`count` deployments in one program, each its own component, following the bundled
    program: spare_registered_resources() at the top (unless measuring without it)."""

    def program() -> None:
        if spare:
            spare_registered_resources()
        for index in range(count):
            ClearwaterSecurityGroups(
                f"clearwater-{index}", DeploymentOptions.model_validate(config)
            )

    return program


def timed_run(program: Callable[[], None]) -> tuple[float, float, int]:
    """Wall and process CPU seconds (all threads) of one run, and the resources it made."""
    gc.unfreeze()  # The previous run's resources, frozen or not, are garbage now:
    gc.collect()  # collect them here, not during this run.
    wall, cpu = time.perf_counter(), time.process_time()
    recording = run_program(program, project=PROJECT, stack="bench", config={})
    return time.perf_counter() - wall, time.process_time() - cpu, len(recording.resources)


def time_series(cloud: str, ip_version: str, spare: bool) -> dict[int, list[float]]:
    """Median wall, CPU and resources at each N."""
    config = largest(cloud, ip_version)
    timed_run(many_deployments(config, 1, spare))  # warm-up: first-use imports and caches
    runs: dict[int, list[tuple[float, float, int]]] = {count: [] for count in DEPLOYMENTS}
    # Each N's runs spread evenly over the series, so that a change in the machine's load
    # reaches every N alike and the ratios to N=1 stay fair.
    order = sorted(((i + 0.5) / RUNS[n], n) for n in DEPLOYMENTS for i in range(RUNS[n]))
    for _, count in order:
        runs[count].append(timed_run(many_deployments(config, count, spare)))
    return {n: [statistics.median(column) for column in zip(*runs[n], strict=True)] for n in runs}


def series_in_child(job: tuple[str, str, bool]) -> dict[int, list[float]]:
    """One series in a fresh process: once a program calls spare_registered_resources,
    it stays in effect in that process."""
    cloud, ip_version, spare = job
    command = [sys.executable, "-m", "bench", "--time", cloud, ip_version]
    command += [] if spare else ["--no-spare"]
    out = subprocess.run(command, cwd=PROJECT_DIR, check=True, stdout=subprocess.PIPE, text=True)
    return {int(n): values for n, values in json.loads(out.stdout.splitlines()[-1]).items()}


def timing_report() -> str:
    jobs = [(cloud, ip_version, spare) for cloud, ip_version in TIMED for spare in (True, False)]
    # Two series at a time, one per core, the longest first: each child measures its own
    # CPU time, which the other hardly disturbs (run one at a time, the figures are alike).
    with ThreadPoolExecutor(max_workers=2) as pool:
        longest_first = jobs[::-1]
        results = dict(zip(longest_first, pool.map(series_in_child, longest_first), strict=True))
    rows: list[Row] = []
    for cloud, ip_version, spare in jobs:
        series = results[(cloud, ip_version, spare)]
        base_cpu = series[DEPLOYMENTS[0]][1]
        label = f"largest, {cloud}, {IP_LABEL[FAMILIES[ip_version]]}"
        for count, (wall, cpu, resources) in series.items():
            row: Row = [label, "yes" if spare else "no", str(count), str(int(resources))]
            row += [f"{wall:.2f}", f"{cpu:.2f}", f"{cpu / base_cpu:.1f}"]
            rows.append([*row, f"{cpu / resources * 1000:.2f}"])
    headers = ["Each deployment is", "spare_registered_resources", "N", "Resources"]
    headers += ["Wall (s)", "CPU (s)", "CPU vs N=1", "CPU ms/resource"]
    runs = ", ".join(f"{RUNS[count]} at N={count}" for count in DEPLOYMENTS)
    return f"N deployments in one program, median of {runs} runs:\n\n" + table(headers, rows)


def machine() -> str:
    versions = ", ".join(
        f"{package} {importlib.metadata.version(package)}"
        for package in ("pulumi", "pulumi-aws", "pulumi-openstack")
    )
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())  # other work shows in timings
    return (
        f"Machine: {os.cpu_count()} CPUs, load average {load} at start, "
        f"Python {platform.python_version()} ({platform.machine()}), {versions}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Rule counts against the port document's minimum, and the CPU time of "
        "1, 10 and 50 deployments in one program. Run from the repository root.",
    )
    parser.add_argument("--counts", action="store_true", help="rule counts only, no timing")
    parser.add_argument(
        "--engine",
        action="store_true",
        help="only the real engine on both clouds against a floor (needs `make engine`)",
    )
    parser.add_argument(
        "--update-docs",
        action="store_true",
        help=f"with --engine: also write the figures into {ENGINE_DOC.relative_to(PROJECT_DIR)}",
    )
    parser.add_argument(
        "--time", nargs=2, metavar=("CLOUD", "IP_VERSION"), help="one timing series, as JSON"
    )
    parser.add_argument(
        "--no-spare", action="store_true", help="with --time: without spare_registered_resources"
    )
    args = parser.parse_args(argv)
    if args.time:
        cloud, ip_version = args.time
        print(json.dumps(time_series(cloud, ip_version, spare=not args.no_spare)))
        return 0
    if args.engine:
        report = f"{machine()}\n\n{engine_report()}"
        print(report)
        if args.update_docs:
            note = "<!-- Written by `python -m bench --engine --update-docs`; edits are lost. -->"
            text = replace_block(ENGINE_DOC.read_text(), "engine-cost", f"{note}\n\n{report}")
            ENGINE_DOC.write_text(text)
        return 0
    print(machine(), end="\n\n")
    print(counts_report())
    if not args.counts:
        print("\n" + timing_report() + "\n\n" + engine_report())
    return 0


if __name__ == "__main__":
    sys.exit(main())
