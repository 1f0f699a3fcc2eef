"""The data-plane proof of a stack configuration, shared by tests/dataplane and the
`python -m harness.wire` command.

:class:`ProvenStack` deploys a configuration with the real Pulumi engine (the bundled
program, pulumi-resource-openstack, through Keystone) to a fresh project of a Neutron that
runs ML2/OVN on a :class:`harness.dataplane.DataPlane`; builds its test bed
(:mod:`harness.testbed`) with the groups the program output for each role; probes every
flow; and judges each verdict against the document reader (:mod:`harness.reachability`).

A probe the judge expects to pass that came back `filtered`, and any probe that failed to
run (`error:`), is sent once more with a longer timeout before it counts: a reply is
proof that the flow passes, a timeout on a busy machine is not proof that it was
dropped, and a failed probe saw nothing. A probe that passed is never sent again: one
reply through a flow the document closes is a hole.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness import PROJECT
from harness.dataplane import DataPlane
from harness.doc_reader import Permission
from harness.engine import EngineStack, deployable, documented, settings
from harness.local_openstack import LocalOpenStack, Project
from harness.reachability import SINGLE, Expected, Judge, Mismatch, Probe, mismatches, passed
from harness.testbed import Plan, TestBed, plan

RETRY_TIMEOUT = 5.0
# Where the outside services live for `egress: restricted`: one host per kind, each at its
# own address (so that DNS toward the NTP server is refused, and so on).
DESTINATIONS: dict[str, list[str]] = {
    kind: [f"198.51.100.{last}/32", f"2001:db8:51::{last}/128"]
    for kind, last in (
        ("dns", 53), ("ntp", 123), ("packages", 80), ("enum", 54), ("hss", 38), ("cdf", 39),
        ("sip-peers", 60), ("smtp", 25), ("snmp-alarms", 162), ("media", 100),
    )
}  # fmt: skip


@dataclass
class Proof:
    """What one round of probes saw, and what the document says of it."""

    name: str
    plan: Plan
    judge: Judge
    observed: dict[Probe, str]
    retried: list[Probe]  # probes expected to pass that passed on their second try
    mismatches: list[Mismatch]
    seconds: float

    @property
    def counts(self) -> dict[str, int]:
        passed_probes = sum(1 for verdict in self.observed.values() if passed(verdict))
        return {
            "probes": len(self.observed),
            "passed": passed_probes,
            "dropped": len(self.observed) - passed_probes,
            "sources": len({p.source for p in self.observed}),
            "targets": len({p.target for p in self.observed}),
            "ports": len(self.plan.ports),
        }

    def retried_by_pair(self) -> Counter[str]:
        """The probes that passed on their second try, by source, target and network."""
        return Counter(f"{p.source} -> {p.target} on {p.network}" for p in self.retried)

    def summary(self) -> str:
        c = self.counts
        return (
            f"{self.name}: {c['probes']} probes ({c['passed']} passed, {c['dropped']} dropped) "
            f"from {c['sources']} sources to {c['targets']} targets over {c['ports']} TCP/UDP "
            f"ports and ICMP echo, {len(self.retried)} passed on a second try, "
            f"{len(self.mismatches)} mismatches, {self.seconds:.1f} s"
        )


def _group_ids(outputs: Mapping[str, Any]) -> dict[str, dict[str, list[str]]]:
    """role -> network -> the ids the program output for a node of that role."""
    if "interfaceSecurityGroupIds" in outputs:
        split: dict[str, dict[str, list[str]]] = outputs["interfaceSecurityGroupIds"]
        return split
    single: dict[str, list[str]] = outputs["nodeSecurityGroupIds"]
    return {role: {SINGLE: ids} for role, ids in single.items()}


@dataclass
class ProvenStack:
    """A configuration (keys without namespace) deployed to its own project of `cloud`,
    which runs on `plane`, with its test bed; `up` again with another configuration
    rebuilds the bed."""

    cloud: LocalOpenStack
    plane: DataPlane
    where: Path
    name: str
    config: dict[str, Any]
    timings: dict[str, float] = field(default_factory=dict)
    project: Project | None = None
    stack: EngineStack | None = None
    bed: TestBed | None = None
    stand_ins: dict[str, str] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)  # the stack's, after the last up

    def __enter__(self) -> ProvenStack:
        try:
            self.project = self.cloud.new_project()
            self.up(self.config)
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _timed(self, step: str, started: float) -> None:
        self.timings[step] = self.timings.get(step, 0.0) + time.monotonic() - started

    def up(self, config: Mapping[str, Any]) -> None:
        """`pulumi up` of `config` (existing group ids replaced by stand-in groups), then a
        test bed for it."""
        assert self.project is not None
        made = deployable(settings(**config), "openstack", self.project, self.stand_ins)
        self.config = {key.removeprefix(f"{PROJECT}:"): value for key, value in made.items()}
        started = time.monotonic()
        if self.stack is None:
            self.where.mkdir(parents=True, exist_ok=True)
            self.stack = EngineStack(self.where, self.name, settings(**self.config), self.project)
        else:
            self.stack.write_config(settings(**self.config))
        self.stack.up()
        self._timed("pulumi up", started)
        self.outputs = {key: value.value for key, value in self.stack.stack.outputs().items()}
        if self.bed is not None:
            self.bed.close()
        started = time.monotonic()
        self.bed = TestBed(
            self.plane,
            self.project.connection(),
            plan(self.config, self.permissions),
            _group_ids(self.outputs),
            name=self.name,
        ).build()
        self._timed("test bed", started)

    @property
    def permissions(self) -> list[Permission]:
        """What the document reader expects the deployment to let through."""
        return list(documented(settings(**self.config)))

    def judge(self, permissions: list[Permission] | None = None) -> Judge:
        assert self.bed is not None
        split = self.config.get("networks", "single") == "split"
        chosen = self.permissions if permissions is None else permissions
        return Judge(chosen, self.bed.plan.endpoints(), split=split)

    def prove(self, targets: list[str] | None = None, judge: Judge | None = None) -> Proof:
        """Probe every flow of the test bed (or those into `targets`) and judge them."""
        assert self.bed is not None
        judge = judge or self.judge()
        started = time.monotonic()
        probes = self.bed.plan.probes(targets)
        observed = self.bed.probe(probes)
        again = [
            p
            for p in probes
            if passed(observed[p]) is None
            or (not passed(observed[p]) and judge.expected(p) is not Expected.BLOCKED)
        ]
        retried: list[Probe] = []
        if again:
            second = self.bed.probe(again, timeout=RETRY_TIMEOUT)
            retried = [p for p in again if passed(second[p])]
            # A failed probe saw nothing: its second try counts whatever it sees.
            failed = [p for p in again if passed(observed[p]) is None]
            observed.update({p: second[p] for p in [*retried, *failed]})
        seconds = time.monotonic() - started
        self._timed("probes", started)
        found = mismatches(judge, observed)
        return Proof(self.name, self.bed.plan, judge, observed, retried, found, seconds)

    def close(self) -> None:
        if self.bed is not None:
            self.bed.close()
            self.bed = None
