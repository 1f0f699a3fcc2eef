"""The offline CLI: render a stack's security groups without the Pulumi CLI, like
`cdk synth`, for review.

No Pulumi CLI, credentials or state: the stack program runs under the SDK's mock engine
and what it registers is rendered as a terminal table (with the quota pre-flight),
Markdown tables, a Mermaid flow diagram, or JSON.

    python -m offline stacks/Pulumi.aws-prod.yaml                       # `make render`
    python -m offline stacks/Pulumi.*.yaml --format json --out build/synth
    python -m offline --update-snapshots --update-readme                # `make snapshots`
    python -m offline --update-snapshots --update-readme --check        # CI
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import pulumi

from clearwater_sg.stack_file import StackFileError, find_project_dir
from offline.formats import FORMATS, to_json, to_markdown, to_mermaid, to_table
from offline.generated import (
    REFRESH_COMMAND,
    Generated,
    MarkerError,
    readme,
    replaced_groups,
    snapshots,
)
from offline.synth import Synth, SynthError, synthesize

RENDERERS: dict[str, Callable[[Synth], str]] = {
    "table": to_table,
    "markdown": to_markdown,
    "mermaid": to_mermaid,
    "json": to_json,
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    refreshing = args.update_snapshots or args.update_readme
    if not args.stack_files and not refreshing:
        parser.error("give STACK_FILE(s), or --update-snapshots / --update-readme")
    if len(args.stack_files) > 1 and args.format in ("mermaid", "json") and args.out is None:
        parser.error(f"several stacks in {args.format} need --out DIR (one file per stack)")
    if args.check and not refreshing:
        parser.error("--check goes with --update-snapshots and/or --update-readme")
    try:
        if args.stack_files:
            _render(args.stack_files, args.format, args.out)
        if refreshing:
            return _refresh(args.project_dir, args.update_snapshots, args.update_readme, args.check)
    except (StackFileError, MarkerError, SynthError, pulumi.RunError) as exc:
        print(f"offline: {exc}", file=sys.stderr)
        return 1
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m offline",
        description="Render the security groups a stack would create, offline, for review.",
    )
    parser.add_argument("stack_files", nargs="*", type=Path, metavar="STACK_FILE")
    parser.add_argument("--format", choices=list(FORMATS), default="table")
    parser.add_argument(
        "--out", type=Path, metavar="DIR", help="write DIR/<stack>.<md|mmd|json> instead"
    )
    parser.add_argument(
        "--update-snapshots",
        action="store_true",
        help="rewrite snapshots/<stack>.json for every stack file of the project",
    )
    parser.add_argument(
        "--update-readme",
        action="store_true",
        help="regenerate the README's synth:matrix and synth:diagram blocks",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="with --update-*: change nothing, print diffs and exit 1 if anything is stale",
    )
    parser.add_argument(
        "--project-dir",
        type=Path,
        default=None,
        help="the directory of Pulumi.yaml (default: found from the current directory)",
    )
    return parser


def _render(stack_files: Sequence[Path], fmt: str, out: Path | None) -> None:
    renderer = RENDERERS[fmt]
    for index, stack_file in enumerate(stack_files):
        try:
            synth = synthesize(stack_file)
        except pulumi.RunError as exc:
            raise pulumi.RunError(f"{stack_file}: {exc}") from None
        text = renderer(synth)
        if out is not None:
            out.mkdir(parents=True, exist_ok=True)
            (out / f"{synth.stack}.{FORMATS[fmt]}").write_text(text)
            continue
        sys.stdout.write(("\n" if index else "") + text)


def _refresh(project_dir: Path | None, snaps: bool, readme_too: bool, check: bool) -> int:
    root = project_dir or find_project_dir(Path.cwd())
    files: list[Generated] = []
    if snaps:
        files += snapshots(root)
    if readme_too:
        files.append(readme(root))
    stale = [generated for generated in files if not generated.is_current()]
    for replacement in (line for generated in stale for line in replaced_groups(generated)):
        print(f"WARNING {replacement}: nodes lose the group while it is replaced")
    if check:
        for generated in stale:
            sys.stdout.write(generated.diff())
        if stale:
            print(f"offline: {len(stale)} generated file(s) are stale; run `{REFRESH_COMMAND}`")
            return 1
        return 0
    for generated in stale:
        generated.write()
        print(f"{'removed' if generated.content is None else 'updated'} {generated.path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
