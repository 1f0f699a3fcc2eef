"""Offline render: run the real stack program for a stack file under the SDK's mock
engine and print, as tables, the groups and rules it would create.

    python -m clearwater_sg.render stacks/Pulumi.aws-prod.yaml
"""

from __future__ import annotations

import argparse
import runpy
import sys
from collections.abc import Sequence
from pathlib import Path

import pulumi

from clearwater_sg.component import components_of
from clearwater_sg.inventory import Inventory, inventory
from clearwater_sg.offline import Recording, run_program
from clearwater_sg.quota import QuotaCheck, RuleUse, quota_checks
from clearwater_sg.settings import options_from_config
from clearwater_sg.stackfile import StackConfig, StackFileError, load_stack


def render_stack(stack_file: Path) -> tuple[StackConfig, Recording]:
    """Run the project's `__main__.py` for this stack file; what it registered."""
    stack = load_stack(stack_file)
    program = stack.project_dir / "__main__.py"

    def run_main() -> None:
        runpy.run_path(str(program), run_name="__main__")

    return stack, run_program(
        run_main,
        project=stack.project,
        stack=stack.stack,
        config=stack.config,
    )


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]
    line = "  ".join(f"{{:<{width}}}" for width in widths)
    out = [line.format(*headers), line.format(*("-" * width for width in widths))]
    out += [line.format(*row) for row in rows]
    return "\n".join(text.rstrip() for text in out)


def quota_of(stack: StackConfig, found: Inventory) -> list[QuotaCheck]:
    """The registered resources counted against the stack's limits."""
    prefix = f"{stack.project}:"
    options = options_from_config(
        {
            key.removeprefix(prefix): value
            for key, value in stack.config.items()
            if key.startswith(prefix)
        },
        stack.project,
    )
    families = {"IPv4": (4,), "IPv6": (6,), "any": (4, 6)}
    uses = [RuleUse(rule.group, rule.direction, families[rule.family]) for rule in found.rules]
    return quota_checks(options.cloud, options.limits, [g.role for g in found.groups], uses)


def format_quota(checks: list[QuotaCheck]) -> str:
    return table(
        ("LIMIT", "USED", "ALLOWED", "WHERE"),
        [(check.limit, str(check.used), str(check.allowed), check.where) for check in checks],
    )


def format_inventory(stack: StackConfig, found: Inventory) -> str:
    ingress = [rule for rule in found.rules if rule.direction == "ingress"]
    parts = [
        f"Stack {stack.stack}: {len(found.groups)} security groups, {len(ingress)} ingress "
        f"and {len(found.rules) - len(ingress)} egress rules",
        "",
        table(
            ("ROLE", "NAME", "DESCRIPTION"),
            [(group.role, group.name, group.description) for group in found.groups],
        ),
        "",
        table(
            ("GROUP", "DIR", "FAMILY", "PROTO", "PORTS", "FROM/TO", "DESCRIPTION"),
            [
                (
                    rule.group,
                    rule.direction,
                    rule.family,
                    rule.protocol,
                    rule.ports,
                    rule.peer,
                    rule.description,
                )
                for rule in found.rules
            ],
        ),
        "",
        format_quota(quota_of(stack, found)),
    ]
    return "\n".join(parts)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m clearwater_sg.render",
        description="Print the security groups and rules a stack would create, offline.",
    )
    parser.add_argument("stack_files", nargs="+", type=Path, metavar="STACK_FILE")
    args = parser.parse_args(argv)
    for index, stack_file in enumerate(args.stack_files):
        try:
            stack, recording = render_stack(stack_file)
        except (StackFileError, pulumi.RunError) as exc:
            print(f"{stack_file}: {exc}", file=sys.stderr)
            return 1
        if index:
            print()
        print(format_inventory(stack, inventory(recording)))
        if recording.root is not None:
            for component in components_of(recording.root):
                for rule, why in component.not_created:
                    print(f"\nNot created: {rule.group} {rule.line} ({rule.description}): {why}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
