"""One small backend per cloud. A backend turns a plan's groups and rules into that
cloud's Pulumi resources; it knows nothing about Clearwater."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

import pulumi

from clearwater_sg.plan import ExistingGroupPeer, GroupPeer, Peer, Plan


class Backend(Protocol):
    def create(
        self,
        plan: Plan,
        name: str,
        parent: pulumi.Resource,
        existing: Mapping[str, pulumi.Input[str]],
    ) -> dict[str, pulumi.Output[str]]:
        """Register every group, then every rule; return each group's id by group key.

        `existing` resolves the refs of groups from outside the plan to their ids.
        """
        ...


def referenced_group(
    peer: Peer, own: Mapping[str, pulumi.Output[str]], existing: Mapping[str, pulumi.Input[str]]
) -> pulumi.Input[str] | None:
    """The id of the group a rule's peer is, or None for an address peer."""
    if isinstance(peer, GroupPeer):
        return own[peer.group]
    if isinstance(peer, ExistingGroupPeer):
        return existing[peer.ref]
    return None
