"""The real engine's cost on the largest OpenStack configuration: wall time and the
Neutron API requests of `pulumi up`, `preview`, `refresh` and `destroy`, counted at the
server (its request log), against the fewest requests each could make.

The fewest: `up` creates each group and each rule (one request each), tags each group
(Neutron takes tags only in a request of their own) and deletes the two egress rules
Neutron gives every new group (`deleteDefaultRules`); a preview of an
up-to-date stack needs none; `refresh` reads each group and rule once; `destroy` deletes
each once (a group's rules go with it, but the engine deletes them one by one).
Keystone's token requests are not Neutron's and are not counted.
"""

from __future__ import annotations

import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from harness.engine import EngineStack, settings
from harness.largest import largest
from harness.local_openstack import LocalOpenStack

NEUTRON_DEFAULT_EGRESS = 2  # the egress rules Neutron adds to every new group


def engine_report() -> str:
    config = largest("openstack", "dual", limits={"securityGroupRules": 990})
    cloud = LocalOpenStack().start()
    try:
        project = cloud.new_project()
        with tempfile.TemporaryDirectory(prefix="clearwater-bench-") as scratch:
            stack = EngineStack(Path(scratch), "largest", settings(**config), project)
            rows: list[tuple[str, float, Counter[str]]] = []

            def measure(operation: str, run: Callable[[], object]) -> None:
                before = len(cloud.neutron.requests_logged())
                started = time.perf_counter()
                run()
                seconds = time.perf_counter() - started
                made = cloud.neutron.requests_logged()[before:]
                rows.append((operation, seconds, Counter(r.split()[0] for r in made)))

            measure("up", stack.up)
            resources = [urn for urn in stack.state_urns() if "openstack:networking" in urn]
            groups = sum(1 for urn in resources if "/secGroup:SecGroup::" in urn)
            measure("preview", stack.preview)
            measure("refresh", stack.refresh)
            measure("destroy", stack.destroy)
    finally:
        cloud.stop()
    rules = len(resources) - groups
    fewest = {
        "up": groups + rules + groups + NEUTRON_DEFAULT_EGRESS * groups,
        "preview": 0,
        "refresh": groups + rules,
        "destroy": groups + rules,
    }
    lines = [
        f"The largest OpenStack configuration, dual stack: {groups} groups and {rules} "
        "rules, deployed by the real engine (`make engine`) through Keystone to Neutron.",
        "",
        "| operation | wall time | Neutron requests | fewest possible | by method |",
        "| --- | --- | --- | --- | --- |",
    ]
    for operation, seconds, methods in rows:
        by_method = ", ".join(f"{m} {n}" for m, n in sorted(methods.items()))
        lines.append(
            f"| `pulumi {operation}` | {seconds:.1f} s | {methods.total()} | "
            f"{fewest[operation]} | {by_method or '-'} |"
        )
    return "\n".join(lines)
