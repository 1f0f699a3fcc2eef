"""The live pre-flight (`preflight: live`): before the component registers anything, it
reads the groups of `existingGroups` from the cloud, with the stack's own cloud settings
(its `aws:` or `openstack:` config, then the cloud SDK's usual credentials) and the
readers of adopt and drift, and refuses, naming each rule by its id, with the fix:

- a planned rule an existing group holds already, which this stack did not make: the
  cloud would refuse the duplicate halfway through `pulumi up`;
- with `egress: restricted`, an outbound rule of an existing group that the plan does not
  have (the allow-all egress a cloud gives a group made by hand): the nodes could send
  what the plan says is closed;
- an existing group that is this deployment's own (its planned name, tagged
  `clearwater:role`), which the component would delete.

Rules this stack made on its last update (`clearwater_sg.previous`) are its own, never
duplicates. The live quota checks of a later release grow here.
"""

from __future__ import annotations

from collections.abc import Mapping

import pulumi.runtime.config as runtime_config

from clearwater_sg.backends import tag_texts
from clearwater_sg.component import Prepared
from clearwater_sg.live.compare import (
    Comparison,
    Live,
    LiveError,
    LiveGroup,
    compare,
    expected_of,
    reader_for,
)
from clearwater_sg.options import DeploymentOptions, Egress
from clearwater_sg.previous import Previous

_PROVIDERS = ("aws", "openstack")
ADOPT = "python -m clearwater_sg.live adopt --stack-file <the stack file>"


def provider_config() -> dict[str, str]:
    """The stack's provider settings, as text (`aws:region`, `openstack:cloud`, ...)."""
    keys = set(runtime_config.get_config_env()) | set(runtime_config.CONFIG.get())
    return {
        key: str(value)
        for key in sorted(keys)
        if key.partition(":")[0] in _PROVIDERS and (value := runtime_config.get_config(key))
    }


def live_refusals(
    options: DeploymentOptions,
    prepared: Prepared,
    previous: Previous,
    component: str,
    stack: str,
    config: Mapping[str, str] | None = None,
) -> list[str]:
    """What the cloud holds that `pulumi up` would fail on or that breaks what the plan
    says, each as a refusal; [] when there is none."""
    given = options.existing_groups
    outputs = [key for key, group_id in given.items() if not isinstance(group_id, str)]
    if outputs:
        return [
            f"preflight: live reads existing groups by id before anything is registered; "
            f"existingGroups.{key} is an Output, known only during the update: give its id, "
            "or use preflight: offline"
            for key in outputs
        ]
    if not given:
        return []
    planned = expected_of(prepared, options, stack, component)
    try:
        reader = reader_for(planned, provider_config() if config is None else config)
        groups = reader.groups({key: str(group_id) for key, group_id in given.items()}, {})
        rules = [rule for rule in reader.rules(groups) if rule.id not in previous.rule_ids]
    except LiveError as exc:
        return [f"preflight: live could not read the existing groups: {exc}"]
    comparison = compare(planned, Live(groups=tuple(groups), rules=tuple(rules)))
    ids = {key: str(group_id) for key, group_id in given.items()}
    refusals = _duplicates(comparison, ids) + _own_groups(groups, prepared)
    if options.egress is Egress.RESTRICTED:
        refusals += _outbound(comparison, ids)
    return refusals


def _duplicates(comparison: Comparison, ids: Mapping[str, str]) -> list[str]:
    return [
        f"existing group {kept.planned.permission.group} ({ids[kept.planned.permission.group]}) "
        f"holds rule {kept.live.id} already [{kept.live.permission.describe()}], which the "
        f"plan creates as {kept.planned.resource.name}: the cloud would refuse the "
        f"duplicate halfway through `pulumi up`. Adopt it ({ADOPT}, then `pulumi import "
        "--file` of what it writes), or delete it"
        for kept in comparison.rules_kept
    ]


def _outbound(comparison: Comparison, ids: Mapping[str, str]) -> list[str]:
    return [
        f"egress: restricted: existing group {rule.permission.group} "
        f"({ids[rule.permission.group]}) lets out what the plan does not: rule {rule.id} "
        f"[{rule.permission.describe()}]. Remove it ({rule.delete_command}), or declare it "
        "as an egress extra rule with its reason"
        for rule in comparison.rules_left_alone
        if rule.permission.direction == "egress"
    ]


def _own_groups(groups: list[LiveGroup], prepared: Prepared) -> list[str]:
    """Existing groups named and tagged as this deployment's own groups are."""
    keys = {group.key for group in (*prepared.plan.groups, *prepared.plan.existing)}
    found = []
    for group in groups:
        # With generated names (AWS) the name is the planned one, a dash and AWS's suffix.
        fields = group.fields
        name = str(fields.get("namePrefix") or fields.get("name") or "").removesuffix("-")
        own = name.removeprefix(f"{prepared.name_prefix}-")
        tags = tag_texts(group.fields.get("tags"))
        if own != name and own in keys and any(t.startswith("clearwater:role=") for t in tags):
            found.append(
                f"existingGroups.{group.key}: {group.id} is named {name} and tagged "
                f"clearwater:role: it is this deployment's own {own} group, which the "
                "component creates (the stack's state may not know it any more; the cloud "
                f"does). Remove {group.key} from existingGroups, and bring the group back "
                f"under the stack with {ADOPT}"
            )
    return found
