"""Which stacks in stacks/ this workflow run has the credentials to preview.

Writes the step outputs `matrix` (a strategy matrix, one entry per stack with its cloud
and AWS region) and `any` (whether there is anything to preview) to $GITHUB_OUTPUT, or
prints them when run by hand. Secrets are
passed in as environment variables; a fork's pull request has none, so every stack is
skipped and the preview job with it, while lint, tests and synth still run.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import yaml

PROJECT = "clearwater-sg"
# The secrets each cloud's preview needs, besides PULUMI_ACCESS_TOKEN for the state.
CLOUD_SECRETS = {"aws": "AWS_ROLE_ARN", "openstack": "OPENSTACK_CLOUDS_YAML"}


def stacks(stack_dir: Path) -> list[dict[str, str]]:
    found = []
    for path in sorted(stack_dir.glob("Pulumi.*.yaml")):
        config = (yaml.safe_load(path.read_text()) or {}).get("config") or {}
        if config.get("aws:endpoints"):
            continue  # a local-emulator stack (stacks/Pulumi.local.yaml): nothing to preview
        found.append(
            {
                "stack": path.name.removeprefix("Pulumi.").removesuffix(".yaml"),
                "cloud": str(config.get(f"{PROJECT}:cloud", "")),
                "region": str(config.get("aws:region", "")),
            }
        )
    return found


def main() -> int:
    stack_dir = Path(sys.argv[1] if len(sys.argv) > 1 else "stacks")
    include = []
    for stack in stacks(stack_dir):
        missing = [
            name
            for name in ("PULUMI_ACCESS_TOKEN", CLOUD_SECRETS.get(stack["cloud"], ""))
            if name and not os.environ.get(name)
        ]
        if missing:
            # A notice, not a failure: forks and unconfigured repositories skip cleanly.
            print(f"::notice::skipping preview of {stack['stack']}: no {', '.join(missing)}")
            continue
        include.append(stack)
    outputs = f"matrix={json.dumps({'include': include})}\nany={str(bool(include)).lower()}\n"
    output_file = os.environ.get("GITHUB_OUTPUT")
    if output_file:
        with open(output_file, "a") as out:
            out.write(outputs)
    else:
        print(outputs, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
