"""One small backend per cloud. A backend turns a plan's groups and rules into that
cloud's Pulumi resources; it knows nothing about Clearwater."""

from __future__ import annotations

from typing import Protocol

import pulumi

from clearwater_sg.plan import Plan


class Backend(Protocol):
    def create(
        self, plan: Plan, name: str, parent: pulumi.Resource
    ) -> dict[str, pulumi.Output[str]]:
        """Register every group, then every rule; return each group's id by group key."""
        ...
