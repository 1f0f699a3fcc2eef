"""Prove an OpenStack stack file on a real data plane and print its reachability matrix.

    python -m harness.wire stacks/Pulumi.openstack-staging.yaml [--out DIR]
    make wire STACK=stacks/Pulumi.openstack-staging.yaml

Starts what the data-plane tests start (Open vSwitch, OVN, MariaDB; Keystone and Neutron
with ML2/OVN), deploys the stack file with the real engine to a fresh project, plugs a
node per role (two for a role that talks to its own group) and an outside host per
configured source and destination into network namespaces, probes every flow, judges
each against the port document (harness/doc_reader.py), and stops everything.

Prints the summary and the matrix (target and port against each kind of source); writes
`<stack>.md` (the same as Markdown, for a pull request) and `<stack>.svg` (a heat map)
into `--out`. Exits 1 when a flow differs from the document, listing each; 2 when the
stack cannot be proven here (not OpenStack; no root or packages: `make dataplane-setup`).
Needs root, `make dataplane-setup`, `make conformance-setup` and `make engine`.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from harness import PROJECT
from harness.dataplane import DataPlane, DataPlaneUnavailableError, require_data_plane
from harness.engine import stack_file_config
from harness.local_openstack import LocalOpenStack
from harness.proof import Proof, ProvenStack
from harness.reachability_matrix import markdown, matrix, svg, text


def report(proof: Proof, out: Path) -> str:
    """Write `<name>.md` and `<name>.svg` of a proof into `out`; return the text table."""
    result = matrix(proof)
    out.mkdir(parents=True, exist_ok=True)
    written = [out / f"{proof.name}.md", out / f"{proof.name}.svg"]
    written[0].write_text(markdown(result), encoding="utf-8")
    written[1].write_text(svg(result), encoding="utf-8")
    return f"{text(result)}\nwrote {written[0]} and {written[1]}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.wire", description=__doc__)
    parser.add_argument("stack_file", type=Path, help="an OpenStack stack file")
    parser.add_argument("--out", type=Path, default=Path("wire"), help="where to write")
    args = parser.parse_args(argv)
    name = args.stack_file.name.removeprefix("Pulumi.").removesuffix(".yaml")
    config = {
        key.removeprefix(f"{PROJECT}:"): value
        for key, value in stack_file_config(args.stack_file).items()
        if key.startswith(f"{PROJECT}:")
    }
    if config.get("cloud") != "openstack":
        print(
            f"{args.stack_file}: cloud is {config.get('cloud')!r}; only OpenStack has a data "
            "plane here (AWS's enforcement cannot run locally)",
            file=sys.stderr,
        )
        return 2
    try:
        require_data_plane()
    except DataPlaneUnavailableError as exc:
        print(exc, file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="wire-") as where, DataPlane() as plane:
        cloud = LocalOpenStack(plane).start()
        try:
            with ProvenStack(cloud, plane, Path(where), name, config) as stack:
                proof = stack.prove()
        finally:
            cloud.stop()
    print(report(proof, args.out))
    for mismatch in proof.mismatches:
        print(mismatch, file=sys.stderr)
    return 1 if proof.mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
