"""`python -m clearwater_sg.live adopt|drift|prune`: the command line.

Exit status: 0 done (adopt: the import file is written; drift: the cloud holds exactly
the plan; prune: nothing to delete, or every rule deleted and gone), 1 drift found (prune:
a dry run found rules to delete), 2 an error (the message names the problem and the
fix), a deletion that did not take, or a crash: never 1, so a scheduled drift job never
mistakes a failure for a report.
"""

from __future__ import annotations

import argparse
import codecs
import json
import sys
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TextIO

import pulumi

from clearwater_sg.live.compare import (
    Comparison,
    Expected,
    LiveError,
    Reader,
    compare,
    expected,
    import_document,
    read_live,
    reader_for,
)
from clearwater_sg.live.prune import delete_and_confirm, pruning
from clearwater_sg.live.report import (
    EXIT_DRIFT,
    EXIT_ERROR,
    EXIT_OK,
    markdown_adopt,
    markdown_drift,
    print_adopt,
    print_drift,
    print_prune,
    prune_report,
    prune_status,
    report,
)
from clearwater_sg.options import DeploymentOptions
from clearwater_sg.stack_config import options_from_config

PROJECT = "clearwater-sg"  # the project namespace of the program's config keys
COMMAND = "clearwater-sg-live"  # the console script pyproject.toml installs
__all__ = ["EXIT_DRIFT", "EXIT_ERROR", "EXIT_OK", "main", "run"]

_USAGE = """\
Adopt an existing deployment's security groups into the Pulumi program, check a
deployment for drift, or prune the rules nobody planned, by reading the groups and rules
the cloud really holds.

The deployment is a stack file (--stack-file stacks/Pulumi.prod.yaml) or its config
keys (--config cloud=aws --config vpcId=vpc-... --stack prod). Its groups are the ids
you give (--group ellis=sg-..., or --group-ids with the JSON of `pulumi stack output
securityGroupIds --json`); every planned group without an id is looked up by its
planned name (in the stack's VPC on AWS, in the project on OpenStack).
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        # The installed command, or the module run with python -m.
        prog=COMMAND if Path(sys.argv[0]).name == COMMAND else "python -m clearwater_sg.live",
        description=_USAGE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    adopt = commands.add_parser(
        "adopt",
        help="write a `pulumi import --file` document for the groups and rules that exist",
        description="Match every live rule to a planned rule by what it permits and write "
        "the `pulumi import --file` document for what matches; print what `pulumi up` "
        "will then create, what no planned rule asks for, and what is kept.",
    )
    drift = commands.add_parser(
        "drift",
        help="compare the cloud with the plan both ways; exit 1 on any difference",
        description="Compare the deployment's groups and rules with the plan both ways: "
        "planned rules that are missing, rules nobody planned, and changed names, "
        "descriptions and tags. Exit 0 when there is no difference, 1 when there is.",
    )
    prune = commands.add_parser(
        "prune",
        help="delete the rules drift calls unplanned (a dry run without --yes)",
        description="Show the rules of the deployment's groups that no planned rule asks "
        "for, as drift finds them; with --yes delete them and read the groups back to "
        "confirm. Never a planned rule, never a group of existingGroups unless "
        "--include-existing-groups. Exit 0 when there is nothing to delete or every rule "
        "was deleted and is gone, 1 when a dry run found rules to delete, 2 on an error "
        "or a deletion that did not take.",
    )
    for command in (adopt, drift, prune):
        _deployment_arguments(command)
        pruning_only = command is prune
        command.add_argument(
            "--format",
            choices=("text", "json") if pruning_only else ("text", "markdown", "json"),
            default="text",
            help="text for people (default); or one JSON document for a CI job: the rules "
            "to delete and skipped, and after --yes what is gone"
            if pruning_only
            else "text for people (default); Markdown for a pull request or a CI job's "
            "summary; or one JSON document for a CI job: groups and rules kept, missing "
            "and unplanned, the unplanned rules open to the world, and every field change",
        )
    prune.add_argument(
        "--yes",
        action="store_true",
        help="delete the rules shown (without it nothing is changed)",
    )
    prune.add_argument(
        "--include-existing-groups",
        action="store_true",
        help="also delete the unplanned rules of the groups the stack gives in "
        "existingGroups: their owner's rules, and a cloud's default egress, go too",
    )
    adopt.add_argument(
        "--out",
        "-o",
        type=Path,
        help="where to write the import document (default: adopt-<stack>.json)",
    )
    adopt.add_argument(
        "--component-urn",
        metavar="URN",
        help="the URN of a component the stack already has; the document then names it "
        "in its nameTable instead of asking `pulumi import` to create it",
    )
    return parser


def _deployment_arguments(parser: argparse.ArgumentParser) -> None:
    which = parser.add_argument_group("the deployment")
    source = which.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--stack-file", type=Path, metavar="PATH", help="the stack's Pulumi.<stack>.yaml"
    )
    source.add_argument(
        "--config",
        action="append",
        metavar="KEY=VALUE",
        help="a config key as `pulumi config set` takes it (repeat; lists and maps as "
        "JSON); provider keys such as aws:region too",
    )
    which.add_argument("--stack", help="the stack name (required with --config)")
    which.add_argument(
        "--component",
        default="clearwater",
        help="the component's name in the program (default: clearwater, the bundled program's)",
    )
    which.add_argument(
        "--group",
        action="append",
        default=[],
        metavar="KEY=ID",
        help="the live group of a planned group key (a role, e.g. ellis=sg-0123..., "
        "all-nodes=...); repeat",
    )
    which.add_argument(
        "--group-ids",
        type=Path,
        metavar="FILE",
        help="a JSON map of group key to id, e.g. `pulumi stack output securityGroupIds --json`",
    )
    aws = parser.add_argument_group("AWS (default: the stack's aws: settings, then boto3's)")
    aws.add_argument("--region")
    aws.add_argument("--endpoint-url", metavar="URL", help="another EC2 endpoint")
    aws.add_argument("--profile", help="a profile of ~/.aws/config")
    openstack = parser.add_argument_group(
        "OpenStack (default: OS_* variables, or OS_CLOUD's entry of clouds.yaml)"
    )
    openstack.add_argument("--os-cloud", metavar="NAME", help="an entry of clouds.yaml")
    openstack.add_argument(
        "--os-endpoint",
        metavar="URL",
        help="a Neutron API without Keystone (auth_strategy = noauth)",
    )
    openstack.add_argument(
        "--project-id", help="the project the groups belong to (default: the token's)"
    )


@dataclass(frozen=True)
class LoadedStack:
    options: DeploymentOptions
    stack: str
    provider_config: dict[str, str]  # "aws:region", "openstack:cloud", ...: as text


def load_stack_settings(args: argparse.Namespace) -> LoadedStack:
    if args.stack_file is not None:
        try:
            from clearwater_sg.stack_file import StackFileError, load_stack
        except ImportError:
            raise LiveError(
                "--stack-file reads YAML with PyYAML: pip install 'clearwater-sg[live-aws]' "
                "or 'clearwater-sg[live-openstack]' (or PyYAML); or pass the keys with --config"
            ) from None
        try:
            stack = load_stack(args.stack_file)
        except (StackFileError, OSError) as exc:
            raise LiveError(str(exc)) from None
        namespace, values, name = stack.project, stack.config, args.stack or stack.stack
    else:
        if not args.stack:
            raise LiveError("--config needs --stack NAME: the default group names contain it")
        namespace, name, values = PROJECT, args.stack, {}
        for item in args.config:
            key, sep, value = item.partition("=")
            if not sep or not key:
                raise LiveError(f"--config {item!r}: write KEY=VALUE, e.g. cloud=aws")
            values[key if ":" in key else f"{namespace}:{key}"] = value
    raw = {
        key.removeprefix(f"{namespace}:"): value
        for key, value in values.items()
        if key.startswith(f"{namespace}:")
    }
    try:
        options = options_from_config(raw, namespace)
    except pulumi.RunError as exc:
        raise LiveError(str(exc)) from None
    provider = {key: value for key, value in values.items() if not key.startswith(f"{namespace}:")}
    return LoadedStack(options=options, stack=name, provider_config=provider)


def _text_of(path: Path) -> str:
    """A file's text in UTF-8, or in UTF-16 with its byte-order mark (what PowerShell 5's
    `Out-File` and `>` write)."""
    raw = path.read_bytes()
    for mark, codec in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if raw.startswith(mark):
            return raw.decode(codec)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LiveError(
            f"--group-ids {path}: not UTF-8 or UTF-16 text (byte {exc.start}); save it as "
            "UTF-8, e.g. `pulumi stack output securityGroupIds --json > ids.json`"
        ) from None


def given_ids(args: argparse.Namespace) -> dict[str, str]:
    ids: dict[str, str] = {}
    if args.group_ids is not None:
        try:
            loaded = json.loads(_text_of(args.group_ids))
        except (OSError, json.JSONDecodeError) as exc:
            raise LiveError(f"--group-ids {args.group_ids}: {exc}") from None
        if isinstance(loaded, dict) and isinstance(loaded.get("securityGroupIds"), dict):
            loaded = loaded["securityGroupIds"]  # the whole `pulumi stack output --json`
        if not isinstance(loaded, dict) or not all(isinstance(v, str) for v in loaded.values()):
            raise LiveError(f"--group-ids {args.group_ids}: expected a JSON map of key to id")
        ids.update(loaded)
    for item in args.group:
        key, sep, group_id = item.partition("=")
        if not sep or not key or not group_id:
            raise LiveError(f"--group {item!r}: write KEY=ID, e.g. ellis=sg-0123456789abcdef0")
        ids[key] = group_id
    return ids


def make_reader(args: argparse.Namespace, stack: LoadedStack, planned: Expected) -> Reader:
    aws_flags = {
        "--region": args.region,
        "--endpoint-url": args.endpoint_url,
        "--profile": args.profile,
    }
    os_flags = {
        "--os-cloud": args.os_cloud,
        "--os-endpoint": args.os_endpoint,
        "--project-id": args.project_id,
    }
    other = os_flags if planned.cloud == "aws" else aws_flags
    wrong = [flag for flag, value in other.items() if value]
    if wrong:
        raise LiveError(f"{wrong[0]} does not apply to this stack: its cloud is {planned.cloud}")
    aws = {"region": args.region, "endpoint_url": args.endpoint_url, "profile": args.profile}
    openstack = {
        "cloud": args.os_cloud,
        "endpoint": args.os_endpoint,
        "project_id": args.project_id,
    }
    return reader_for(planned, stack.provider_config, aws, openstack)


# -- the commands --------------------------------------------------------------------


def run(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Run the CLI; the exit status. Errors go to stderr as one `error: ...` line."""
    out = sys.stdout if out is None else out
    args = build_parser().parse_args(argv)
    try:
        stack = load_stack_settings(args)
        ids = given_ids(args)
        planned = expected(stack.options, stack.stack, args.component)
        reader = make_reader(args, stack, planned)
        comparison = compare(planned, read_live(planned, reader, ids))
        if args.command == "prune":
            return _prune(args, comparison, reader, ids, out)
        if args.command == "drift":
            if args.format == "json":
                print(json.dumps(report(comparison), indent=2), file=out)
                return EXIT_OK if comparison.in_sync else EXIT_DRIFT
            if args.format == "markdown":
                text, status = markdown_drift(comparison)
                out.write(text)
                return status
            return print_drift(comparison, out)
        out_file = args.out or Path(f"adopt-{stack.stack}.json")
        document = import_document(comparison, args.component_urn)
        try:
            out_file.write_text(json.dumps(document, indent=2) + "\n")
        except OSError as exc:
            raise LiveError(f"cannot write {out_file}: {exc}") from None
        if args.format == "json":
            written = report(comparison) | {"importFile": str(out_file)}
            print(json.dumps(written, indent=2), file=out)
        elif args.format == "markdown":
            out.write(markdown_adopt(comparison, out_file))
        else:
            print_adopt(comparison, out_file, out)
        return EXIT_OK
    except LiveError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except Exception as exc:  # a bug: never let it read as "drift found"
        traceback.print_exc()
        print(
            f"error: {type(exc).__name__}: {exc} (a bug in clearwater-sg; please report)",
            file=sys.stderr,
        )
        return EXIT_ERROR


def _prune(
    args: argparse.Namespace,
    comparison: Comparison,
    reader: Reader,
    ids: dict[str, str],
    out: TextIO,
) -> int:
    """Show what prune deletes; with --yes delete it and read the groups back."""
    selected = pruning(comparison, args.include_existing_groups)
    confirmation = None
    if args.yes and selected.to_delete:
        read_back = partial(read_live, comparison.expected, reader, ids)
        confirmation = delete_and_confirm(selected, reader, read_back)
    if args.format == "json":
        print(json.dumps(prune_report(selected, confirmation), indent=2), file=out)
    else:
        print_prune(selected, out, confirmation)
    if confirmation is not None and confirmation.failure is not None:
        print(f"error: prune did not finish: {confirmation.failure}", file=sys.stderr)
    return prune_status(selected, confirmation)


def main(argv: Sequence[str] | None = None) -> None:
    sys.exit(run(argv))
