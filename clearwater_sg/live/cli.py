"""`python -m clearwater_sg.live adopt|drift`: the command line.

Exit status: 0 done (adopt: the import file is written; drift: the cloud holds exactly
the plan), 1 drift found, 2 an error (the message names the problem and the fix), or a
crash: never 1, so a scheduled drift job never mistakes a failure for a report.
"""

from __future__ import annotations

import argparse
import codecs
import json
import sys
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import pulumi

from clearwater_sg.live.compare import (
    Comparison,
    Expected,
    LiveError,
    LiveRule,
    PlannedRule,
    Reader,
    compare,
    expected,
    import_document,
    read_live,
)
from clearwater_sg.options import DeploymentOptions
from clearwater_sg.stack_config import options_from_config

PROJECT = "clearwater-sg"  # the project namespace of the program's config keys
COMMAND = "clearwater-sg-live"  # the console script pyproject.toml installs
EXIT_OK, EXIT_DRIFT, EXIT_ERROR = 0, 1, 2

_USAGE = """\
Adopt an existing deployment's security groups into the Pulumi program, or check a
deployment for drift, by reading the groups and rules the cloud really holds.

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
    for command in (adopt, drift):
        _deployment_arguments(command)
        command.add_argument(
            "--format",
            choices=("text", "json"),
            default="text",
            help="text for people (default), or one JSON document for a CI job: "
            "groups and rules kept, missing and unplanned, and every field change",
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
    if planned.cloud == "aws":
        from clearwater_sg.live.aws import AwsReader, AwsSettings, ec2_client

        settings = AwsSettings.from_stack(
            stack.provider_config,
            region=args.region,
            endpoint_url=args.endpoint_url,
            profile=args.profile,
        )
        assert planned.vpc_id is not None
        return AwsReader(ec2_client(settings), planned.vpc_id, planned.generated_names)
    from clearwater_sg.live.openstack import OpenStackReader, OpenStackSettings, connect

    os_settings = OpenStackSettings.from_stack(
        stack.provider_config,
        cloud=args.os_cloud,
        endpoint=args.os_endpoint,
        project_id=args.project_id,
    )
    return OpenStackReader(connect(os_settings), os_settings.project_id)


# -- output --------------------------------------------------------------------------


def _where(planned: Expected) -> str:
    place = f", VPC {planned.vpc_id}" if planned.vpc_id else ""
    return f"stack {planned.stack!r} ({planned.cloud}{place}), component {planned.component!r}"


def _rule_line(rule: PlannedRule) -> str:
    return f"{rule.resource.name}  [{rule.permission.describe()}]"


def _live_line(rule: LiveRule) -> str:
    said = f' "{rule.description}"' if rule.description else ""
    return f"{rule.id}  [{rule.permission.describe()}]{said}"


def _groups(comparison: Comparison, out: TextIO) -> None:
    print("Groups:", file=out)
    kept = {k.planned.key: k for k in comparison.groups_kept}
    for group in comparison.expected.groups:
        if group.key in kept:
            live = kept[group.key].live
            how = "given" if live.found_by == "given" else "found by name"
            print(f"  keep    {group.key:<12} {live.id}  {live.name} ({how})", file=out)
        else:
            print(
                f"  create  {group.key:<12} {group.name} (no id given, no group of that name)",
                file=out,
            )
    for key, group_id in comparison.expected.existing.items():
        print(
            f"  rules   {key:<12} {group_id}  (existingGroups: not created, not imported)", file=out
        )


def _changes(comparison: Comparison, out: TextIO, heading: str) -> None:
    changed = comparison.changed
    if not changed:
        return
    print(f"{heading} ({len(changed)}):", file=out)
    for kept in changed:
        print(f"  {kept.planned.resource.name} ({kept.live.id}):", file=out)
        for change in kept.changes:
            print(f"    {change.describe()}", file=out)


def print_adopt(comparison: Comparison, out_file: Path, out: TextIO) -> None:
    planned = comparison.expected
    print(
        f"Adopting {_where(planned)}: {len(planned.groups)} groups and "
        f"{len(planned.rules)} rules planned.",
        file=out,
    )
    _groups(comparison, out)
    print(f"Rules to keep, imported ({len(comparison.rules_kept)}):", file=out)
    for kept in comparison.rules_kept:
        print(f"  keep    {kept.live.id}  {_rule_line(kept.planned)}", file=out)
    print(f"Rules to create, planned and not found ({len(comparison.rules_missing)}):", file=out)
    for rule in comparison.rules_missing:
        print(f"  create  {_rule_line(rule)}", file=out)
    unplanned = comparison.rules_to_delete
    print(
        f"Rules to delete, found and asked for by no planned rule ({len(unplanned)})"
        + (
            ": not imported, so `pulumi up` leaves them in place; remove them:"
            if unplanned
            else ":"
        ),
        file=out,
    )
    for found in unplanned:
        print(f"  delete  {_live_line(found)}\n          {found.delete_command}", file=out)
    if comparison.rules_left_alone:
        print(
            f"Rules of existing groups that no planned rule asks for "
            f"({len(comparison.rules_left_alone)}): their owner's; `pulumi up` leaves them, "
            "and drift reports them:",
            file=out,
        )
        for found in comparison.rules_left_alone:
            print(f"  leave   {_live_line(found)}", file=out)
    _changes(comparison, out, "Changes the first `pulumi up` makes to kept resources")
    replaced = [
        k.planned.resource.name for k in comparison.changed if any(c.replaces for c in k.changes)
    ]
    if replaced:
        print(
            f"Warning: the first `pulumi up` replaces {len(replaced)} of the imported resources "
            f"({', '.join(replaced)}): a replaced group is deleted and created anew, and a "
            "replaced rule is gone for a moment; change the cloud or the stack first if "
            "that must not happen.",
            file=out,
        )
    for line in planned.not_created:
        print(f"Not created on this cloud: {line}", file=out)
    imported = len(comparison.groups_kept) + len(comparison.rules_kept)
    print(
        f"Wrote {out_file}: {len(comparison.groups_kept)} groups and "
        f"{len(comparison.rules_kept)} rules to import ({imported} resources), under "
        f"component {planned.component!r}.",
        file=out,
    )
    protect = "" if planned.protect else " --protect=false"
    print("Next:", file=out)
    print(f"  pulumi import --file {out_file}{protect} --generate-code=false", file=out)
    if comparison.rules_to_delete:
        print("  (delete the rules listed above with the commands shown)", file=out)
    print("  pulumi preview --diff", file=out)
    for note in _import_notes(planned):
        print(f"Note: {note}", file=out)


def _import_notes(planned: Expected) -> list[str]:
    if planned.cloud == "aws":
        return [
            "revokeRulesOnDelete is not read back on import; the first `pulumi up` sets "
            "it on every group in the state (an update that makes no EC2 call)."
        ]
    return [
        "deleteDefaultRules is not read back on import; the component ignores changes to "
        "it (it acts only when a group is created), so no imported group is replaced."
    ]


def print_drift(comparison: Comparison, out: TextIO) -> int:
    planned = comparison.expected
    if comparison.in_sync:
        print(
            f"No drift in {_where(planned)}: {len(planned.groups)} groups and {len(planned.rules)} "
            "rules as planned, and no other rule in those groups"
            + (f" or in its {len(planned.existing)} existing groups." if planned.existing else "."),
            file=out,
        )
        return EXIT_OK
    count = (
        len(comparison.groups_missing)
        + len(comparison.rules_missing)
        + len(comparison.rules_unplanned)
        + len(comparison.changed)
    )
    print(f"Drift in {_where(planned)}: {count} differences.", file=out)
    for group in comparison.groups_missing:
        print(f"  missing group  {group.key}: no group named {group.name}", file=out)
    for rule in comparison.rules_missing:
        print(f"  missing    {_rule_line(rule)}", file=out)
    for unplanned in comparison.rules_to_delete:
        print(f"  unplanned  {_live_line(unplanned)}", file=out)
    for unplanned in comparison.rules_left_alone:
        print(
            f"  unplanned  {_live_line(unplanned)} (existing group: `pulumi up` leaves it)",
            file=out,
        )
    for kept in comparison.changed:
        print(f"  changed    {kept.planned.resource.name} ({kept.live.id}):", file=out)
        for change in kept.changes:
            print(f"               {change.describe()}", file=out)
    return EXIT_DRIFT


def report(comparison: Comparison) -> dict[str, object]:
    """The comparison as JSON: what each command prints in text, for programs."""
    planned = comparison.expected
    kept_groups = {k.planned.key: k for k in comparison.groups_kept}
    left_alone = comparison.rules_left_alone
    return {
        "stack": planned.stack,
        "cloud": planned.cloud,
        "component": planned.component,
        "inSync": comparison.in_sync,
        "groups": [
            {"key": g.key, "resource": g.resource.name, "name": g.name}
            | (
                {"action": "keep", "id": kept_groups[g.key].live.id}
                if g.key in kept_groups
                else {"action": "create"}
            )
            for g in planned.groups
        ]
        + [
            {"key": key, "id": group_id, "action": "existing"}
            for key, group_id in planned.existing.items()
        ],
        "rulesKept": [
            {
                "resource": k.planned.resource.name,
                "id": k.live.id,
                "permits": k.live.permission.describe(),
            }
            for k in comparison.rules_kept
        ],
        "rulesMissing": [
            {"resource": r.resource.name, "permits": r.permission.describe()}
            for r in comparison.rules_missing
        ],
        "rulesUnplanned": [
            {
                "id": r.id,
                "permits": r.permission.describe(),
                "description": r.description,
                "inExistingGroup": r in left_alone,
            }
            for r in comparison.rules_unplanned
        ],
        "changes": [
            {
                "resource": k.planned.resource.name,
                "id": k.live.id,
                "field": c.field,
                "live": _json_value(c.live),
                "planned": _json_value(c.planned),
                "replaces": c.replaces,
            }
            for k in comparison.changed
            for c in k.changes
        ],
        "notCreated": list(planned.not_created),
    }


def _json_value(value: object) -> object:
    return list(value) if isinstance(value, tuple) else value


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
        as_json = args.format == "json"
        if args.command == "drift":
            if as_json:
                print(json.dumps(report(comparison), indent=2), file=out)
                return EXIT_OK if comparison.in_sync else EXIT_DRIFT
            return print_drift(comparison, out)
        out_file = args.out or Path(f"adopt-{stack.stack}.json")
        document = import_document(comparison, args.component_urn)
        try:
            out_file.write_text(json.dumps(document, indent=2) + "\n")
        except OSError as exc:
            raise LiveError(f"cannot write {out_file}: {exc}") from None
        if as_json:
            written = report(comparison) | {"importFile": str(out_file)}
            print(json.dumps(written, indent=2), file=out)
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


def main(argv: Sequence[str] | None = None) -> None:
    sys.exit(run(argv))
