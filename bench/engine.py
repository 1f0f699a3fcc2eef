"""The real engine's cost on the largest configuration, on both clouds, against a floor.

For each cloud, the largest configuration (harness/largest.py, dual stack) is deployed by
the bundled program and, beside it, by a bare program that registers the same resources
(the same types, names and inputs, written out as constants: no component, no
configuration, no plan) through the same CLI and provider; `pulumi up`, `preview`,
`refresh` and `destroy` of each run interleaved in one run, each stack in its own
Keystone project or VPC, the two in turn going first, for ROUNDS rounds. Each operation's
median wall time and the API requests the cloud served (Neutron: its request log; moto:
every request its server answered, EC2 and STS) are reported beside the floor's, with
the ratio.

The bare program is what any Pulumi program that creates these resources pays; what the
bundled program costs beyond it is the component's own (the plan, the component
resource, the pre-flight), and the rest is the engine's and the provider's.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness import run_main
from harness.engine import EngineStack, Target, settings
from harness.largest import largest
from harness.local_aws import AwsTarget, new_vpc
from harness.local_openstack import LocalOpenStack
from harness.servers import MotoServer
from offline.formats import table

OPERATIONS = ("up", "preview", "refresh", "destroy")
ROUNDS = 3  # the median of three: one run's wall time on a shared machine is noise
# The bare program: each resource of resources.json, in order, its inputs as written but
# for the ids of the groups it creates, which it takes from those groups.
BARE_PROGRAM = '''"""Registers resources.json's resources as they are: the floor of the bench."""
import json
from pathlib import Path

import pulumi

made: dict[str, pulumi.CustomResource] = {}
for resource in json.loads(Path(__file__).with_name("resources.json").read_text()):
    inputs = {
        key: made[value["group"]].id if isinstance(value, dict) and "group" in value else value
        for key, value in resource["inputs"].items()
    }
    made[resource["name"]] = pulumi.CustomResource(resource["type"], resource["name"], inputs)
'''


def bare_resources(config: dict[str, object]) -> list[dict[str, Any]]:
    """What the bundled program registers for `config` (under the SDK's mock engine), as
    constants: every cloud resource's type, name and inputs, a group id it refers to
    replaced by that group's name."""
    recording = run_main(config, stack="bench")
    groups = {resource.id: resource.name for resource in recording.resources if resource.id}
    resources = []
    for resource in recording.resources:
        if not resource.type.startswith(("aws:", "openstack:")):
            continue  # the component and the stack
        inputs = {
            key: {"group": groups[value]} if isinstance(value, str) and value in groups else value
            for key, value in resource.inputs.items()
            if value is not None
        }
        resources.append({"type": resource.type, "name": resource.name, "inputs": inputs})
    return resources


@dataclass
class Measured:
    """One program's operations, each round: wall seconds and the requests the cloud
    served."""

    seconds: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    requests: dict[str, list[Counter[str]]] = field(default_factory=lambda: defaultdict(list))

    def median_seconds(self, operation: str) -> float:
        return statistics.median(self.seconds[operation])

    def made(self, operation: str) -> Counter[str]:
        """The requests of the operation's median round (by total)."""
        rounds = sorted(self.requests[operation], key=Counter.total)
        return rounds[len(rounds) // 2]


@dataclass
class Cloud:
    """A cloud to bench: where each stack goes, and the requests served so far."""

    name: str
    config: dict[str, object]
    new_target: Callable[[], Target]
    served: Callable[[], list[str]]
    resources: int = 0


@contextmanager
def clouds() -> Iterator[list[Cloud]]:
    """Keystone with Neutron, and moto, running for the bench."""
    openstack = LocalOpenStack().start()
    moto = MotoServer().start()
    try:
        yield [
            Cloud(
                "openstack",
                largest("openstack", "dual", limits={"securityGroupRules": 990}),
                openstack.new_project,
                openstack.neutron.requests_logged,
            ),
            Cloud("aws", largest("aws", "dual"), lambda: new_vpc(moto), moto.requests_served),
        ]
    finally:
        moto.stop()
        openstack.stop()


def _stacks(cloud: Cloud, scratch: Path) -> dict[str, EngineStack]:
    """The bundled program's stack and the bare program's, each at its own target."""
    program_target, bare_target = cloud.new_target(), cloud.new_target()
    config = dict(cloud.config)
    if isinstance(bare_target, AwsTarget):
        config["vpcId"] = bare_target.vpc_id
    resources = bare_resources(config)
    cloud.resources = len(resources)
    if isinstance(program_target, AwsTarget):
        config["vpcId"] = program_target.vpc_id
    program = EngineStack(scratch / "program", "largest", settings(**config), program_target)
    # The project file asks every stack for `cloud`; the bare program reads nothing.
    bare_config = settings(cloud=cloud.name)
    bare = EngineStack(scratch / "bare", "largest", bare_config, bare_target, main=BARE_PROGRAM)
    (bare.dir / "resources.json").write_text(json.dumps(resources))
    return {"program": program, "bare": bare}


def measure(cloud: Cloud) -> dict[str, Measured]:
    """Every operation of both programs, interleaved, the two in turn going first."""
    found = {"program": Measured(), "bare": Measured()}
    with tempfile.TemporaryDirectory(prefix=f"clearwater-bench-{cloud.name}-") as scratch:
        stacks = _stacks(cloud, Path(scratch))
        order = ["program", "bare"]
        for _ in range(ROUNDS):
            for operation in OPERATIONS:
                for which in order:
                    before = len(cloud.served())
                    started = time.perf_counter()
                    getattr(stacks[which], operation)()
                    found[which].seconds[operation].append(time.perf_counter() - started)
                    made = cloud.served()[before:]
                    found[which].requests[operation].append(Counter(map(_kind, made)))
                order.reverse()
    return found


def _kind(request: str) -> str:
    """Neutron's `METHOD /path` by its method; moto's `service Action` as it is."""
    first, second = request.split(maxsplit=1)
    return first if second.startswith("/") else request


def _ratio(value: float, floor: float) -> str:
    return f"{value / floor:.2f}" if floor else ("1.00" if not value else "-")


HEADERS = ["operation", "wall time", "floor", "ratio", "requests", "floor", "ratio", "by kind"]


def engine_report() -> str:
    """Both clouds measured, as Markdown."""
    sections = []
    with clouds() as benched:
        results = [(cloud, measure(cloud)) for cloud in benched]
    for cloud, found in results:
        program, bare = found["program"], found["bare"]
        server = {"openstack": "Neutron", "aws": "moto (EC2, STS)"}[cloud.name]
        rows = []
        for operation in OPERATIONS:
            seconds, floor_seconds = (
                program.median_seconds(operation),
                bare.median_seconds(operation),
            )
            made, floor_made = program.made(operation), bare.made(operation)
            kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(made.items()))
            rows.append(
                [
                    f"`pulumi {operation}`",
                    f"{seconds:.1f} s",
                    f"{floor_seconds:.1f} s",
                    _ratio(seconds, floor_seconds),
                    str(made.total()),
                    str(floor_made.total()),
                    _ratio(made.total(), floor_made.total()),
                    kinds or "-",
                ]
            )
        heading = (
            f"**{cloud.name}**: the largest configuration, dual stack, {cloud.resources} "
            f"resources; the median of {ROUNDS} rounds; requests as {server} served them."
        )
        sections.append(f"{heading}\n\n{table(HEADERS, rows)}")
    return "\n\n".join(sections)
