"""Read a deployment's security groups and rules from Neutron with openstacksdk.

Credentials are openstacksdk's own: `openstack.connect()` reads OS_* variables or an
entry of clouds.yaml (OS_CLOUD, the stack's `openstack:cloud`, or --os-cloud). A
standalone Neutron without Keystone (`auth_strategy = noauth`) is reached with
`--os-endpoint URL`, or with OS_AUTH_TYPE=none, OS_ENDPOINT and
OS_NETWORK_ENDPOINT_OVERRIDE.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from clearwater_sg.live.compare import LiveError, LiveGroup, LiveRule
from clearwater_sg.permission import AddressGroup, PrefixList, neutron_permission
from clearwater_sg.quota import LimitsUnreadableError, ProjectUse

if TYPE_CHECKING:
    from openstack.connection import Connection

CREDENTIALS_HELP = (
    "openstacksdk found no usable OpenStack credentials ({cause}). Source the project's "
    "openrc (OS_AUTH_URL, OS_USERNAME, OS_PASSWORD, OS_PROJECT_NAME, ...), or set "
    "OS_CLOUD (or the stack's openstack:cloud, or --os-cloud) to an entry of clouds.yaml "
    "(./clouds.yaml, ~/.config/openstack/clouds.yaml or /etc/openstack/clouds.yaml)"
)


@dataclass(frozen=True)
class OpenStackSettings:
    cloud: str | None = None  # an entry of clouds.yaml; None: OS_CLOUD or OS_* variables
    region: str | None = None
    endpoint: str | None = None  # a keystone-less Neutron (auth_strategy = noauth)
    project_id: str | None = None  # the project the groups must belong to

    @classmethod
    def from_stack(cls, config: Mapping[str, str], **overrides: str | None) -> OpenStackSettings:
        """The stack's `openstack:cloud`, `openstack:region` and `openstack:tenantId` (the
        provider's project), with `overrides` on top."""
        settings = {
            "cloud": config.get("openstack:cloud"),
            "region": config.get("openstack:region"),
            "project_id": config.get("openstack:tenantId"),
        }
        settings.update({key: value for key, value in overrides.items() if value is not None})
        return cls(**settings)


def connect(settings: OpenStackSettings) -> Connection:
    """A connection, or a LiveError naming what is missing."""
    try:
        import keystoneauth1.exceptions
        import openstack
        import openstack.exceptions
    except ImportError:
        raise LiveError(
            "reading OpenStack needs openstacksdk: pip install 'clearwater-sg[live-openstack]' "
            "(or openstacksdk)"
        ) from None
    try:
        if settings.endpoint is not None:
            return openstack.connect(
                auth_type="none",
                auth={"endpoint": settings.endpoint},
                network_endpoint_override=settings.endpoint,
                region_name=settings.region,
                load_yaml_config=False,
                load_envvars=False,
            )
        return openstack.connect(cloud=settings.cloud, region_name=settings.region)
    except keystoneauth1.exceptions.ClientException as exc:
        raise LiveError(CREDENTIALS_HELP.format(cause=exc)) from None
    except openstack.exceptions.ConfigException as exc:
        raise LiveError(CREDENTIALS_HELP.format(cause=exc)) from None


def _failure(exc: Exception, doing: str) -> LiveError:
    """A LiveError for a call that failed, naming the cause and the fix."""
    import keystoneauth1.exceptions

    status = getattr(exc, "status_code", None) or getattr(exc, "http_status", None)
    if status in (401, 403):
        return LiveError(
            f"OpenStack refused the credentials while {doing} ({status}): check them, and "
            "that the user may read the project's security groups (and, to prune, delete "
            "their rules)"
        )
    if isinstance(exc, keystoneauth1.exceptions.AuthPluginException):
        return LiveError(CREDENTIALS_HELP.format(cause=exc))
    unreachable = (
        keystoneauth1.exceptions.ConnectionError,
        keystoneauth1.exceptions.DiscoveryFailure,
    )
    if isinstance(exc, unreachable):
        return LiveError(
            f"could not reach OpenStack while {doing}: {str(exc).rstrip('.')}; check "
            "--os-endpoint (or the clouds.yaml entry of --os-cloud / openstack:cloud, or "
            "OS_AUTH_URL)"
        )
    return LiveError(f"OpenStack failed while {doing}: {exc}")


class OpenStackReader:
    """The deployment's groups in one project, and every rule in them."""

    cloud = "openstack"

    def __init__(self, conn: Connection, project_id: str | None = None) -> None:
        self.conn = conn
        self.project_id = project_id or self._current_project()

    def _current_project(self) -> str | None:
        """The token's project; None without a token (noauth), or when authentication
        fails here (the first read then reports it)."""
        import keystoneauth1.exceptions
        import openstack.exceptions

        try:
            project = self.conn.current_project_id
        except (keystoneauth1.exceptions.ClientException, openstack.exceptions.SDKException):
            return None
        return str(project) if project else None

    def _network(self) -> Any:
        """openstacksdk's network proxy; finding Neutron's endpoint is its first request,
        and its failure (an endpoint that does not answer) a LiveError like any other."""
        import keystoneauth1.exceptions
        import openstack.exceptions

        try:
            return self.conn.network
        except (openstack.exceptions.SDKException, keystoneauth1.exceptions.ClientException) as exc:
            raise _failure(exc, "finding Neutron's endpoint") from None

    def _call(self, doing: str, call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """`call(...)`, a listing read whole, its failures as LiveErrors (but NotFound,
        which callers explain)."""
        import keystoneauth1.exceptions
        import openstack.exceptions

        try:
            result = call(*args, **kwargs)
            return list(result) if isinstance(result, Iterator) else result
        except openstack.exceptions.NotFoundException:
            raise
        except (openstack.exceptions.SDKException, keystoneauth1.exceptions.ClientException) as exc:
            raise _failure(exc, doing) from None

    def groups(self, given: Mapping[str, str], names: Mapping[str, str]) -> list[LiveGroup]:
        """The groups of `given` (key -> id), each checked to exist (and to be in the
        project, when it is known); then for every other key of `names` (key -> planned
        name) the project's group of that name, if there is exactly one."""
        import openstack.exceptions

        network = self._network()
        found: list[LiveGroup] = []
        for key, group_id in given.items():
            try:
                group = self._call(
                    f"reading group {group_id}", network.get_security_group, group_id
                )
            except openstack.exceptions.NotFoundException:
                raise LiveError(
                    f"security group {group_id} (given for {key}) does not exist, or this "
                    "user cannot see it; check the id, e.g. with `pulumi stack output "
                    "securityGroupIds` or `openstack security group list`"
                ) from None
            if self.project_id is not None and group.project_id != self.project_id:
                raise LiveError(
                    f"security group {group_id} (given for {key}) belongs to project "
                    f"{group.project_id}, not to {self.project_id}: give the id of the {key} "
                    "group in this project, or connect to the project it is in"
                )
            found.append(_group(key, group, "given"))
        for key, name in names.items():
            if key in given:
                continue
            query: dict[str, str] = {"name": name}
            if self.project_id is not None:
                query["project_id"] = self.project_id
            named = self._call(f"listing groups named {name}", network.security_groups, **query)
            if len(named) > 1:
                where = f"project {self.project_id}" if self.project_id else "every project"
                raise LiveError(
                    f"{len(named)} security groups are named {name} in {where} "
                    f"({', '.join(sorted(g.id for g in named))}); say which is the {key} "
                    f"group with --group {key}=ID (or --project-id)"
                )
            found.extend(_group(key, group, "name") for group in named)
        return found

    def rules(self, groups: list[LiveGroup]) -> list[LiveRule]:
        """Every rule of `groups`, peers named by group key where they are one of them."""
        keys = {group.id: group.key for group in groups}
        rules: list[LiveRule] = []
        for group in groups:
            listed = self._call(
                f"listing the rules of {group.id}",
                self._network().security_group_rules,
                security_group_id=group.id,
            )
            rules.extend(_rule(rule, keys) for rule in listed if rule.security_group_id in keys)
        return sorted(rules, key=lambda rule: (rule.permission.sort_key(), rule.id))

    def delete_rules(self, group_id: str, direction: str, rule_ids: Sequence[str]) -> None:
        """Delete rules by their ids (Neutron needs neither group nor direction); one
        already gone is no failure: reading back tells."""
        for rule_id in rule_ids:
            self._call(
                f"deleting rule {rule_id} of {group_id}",
                self._network().delete_security_group_rule,
                rule_id,
            )

    def project_use(self, own_groups: set[str], own_rules: set[str]) -> ProjectUse:
        """The project's security-group quotas (Neutron's quota details: limit, used,
        reserved) and its groups, less the stack's own (`own_groups`, `own_rules`: ids).

        Raises LimitsUnreadableError when Neutron will not give the quota details (403, or no
        quota-details API); LiveError for any other failure."""
        import keystoneauth1.exceptions
        import openstack.exceptions

        project = self.project_id
        if project is None:
            raise LiveError(
                "the project is unknown (no token names one, as with a keystone-less "
                "Neutron): set openstack:tenantId in the stack to the project's id"
            )
        doing = f"reading the quota details of project {project}"
        try:
            quota = self._network().get_quota(project, details=True)
        except openstack.exceptions.HttpException as exc:
            if exc.status_code in (403, 404):  # not allowed; no quota-details API
                raise LimitsUnreadableError(f"Neutron answered {exc.status_code}") from None
            raise _failure(exc, doing) from None
        except (openstack.exceptions.SDKException, keystoneauth1.exceptions.ClientException) as exc:
            raise _failure(exc, doing) from None
        listed = self._call(
            f"listing the groups of project {project}",
            self._network().security_groups,
            project_id=project,
        )
        holders, own_held = [], 0
        for group in listed:
            rule_ids = {str(rule["id"]) for rule in group.security_group_rules or ()}
            own_held += len(rule_ids & own_rules)
            if group.id not in own_groups:
                holders.append((str(group.name), len(rule_ids - own_rules)))
        groups, rules = quota.security_groups, quota.security_group_rules
        held = len([group for group in listed if group.id in own_groups])
        return ProjectUse(
            project=project,
            group_limit=_limit(groups),
            rule_limit=_limit(rules),
            other_groups=_in_use(groups) - held,
            other_rules=_in_use(rules) - own_held,
            holders=tuple(holders),
            default_group=any(group.name == "default" for group in listed),
        )

    def holds(self, listed: PrefixList | AddressGroup) -> tuple[str, ...] | None:
        """The addresses of a Neutron address group; None when it cannot be read (a
        prefix list is AWS's)."""
        import openstack.exceptions

        if not isinstance(listed, AddressGroup):
            return None
        try:
            group = self._call(
                f"reading address group {listed.id}", self._network().get_address_group, listed.id
            )
        except (LiveError, openstack.exceptions.NotFoundException):
            return None
        return tuple(str(address) for address in group.addresses or ())


def _limit(detail: Mapping[str, int]) -> int | None:
    """A quota detail's limit; None for Neutron's -1, unlimited."""
    limit = int(detail["limit"])
    return None if limit < 0 else limit


def _in_use(detail: Mapping[str, int]) -> int:
    """What a quota detail says is taken: used, and reserved by requests in flight."""
    return int(detail["used"]) + int(detail.get("reserved", 0))


def _group(key: str, group: Any, found_by: str) -> LiveGroup:
    return LiveGroup(
        key=key,
        id=str(group.id),
        name=str(group.name),
        found_by=found_by,
        fields={
            "name": group.name,
            "description": group.description or "",
            "tags": tuple(sorted(group.tags or ())),
        },
    )


# A provider input of a rule -> openstacksdk's attribute of the rule Neutron stored.
_INPUTS = {
    "securityGroupId": "security_group_id",
    "direction": "direction",
    "ethertype": "ether_type",
    "protocol": "protocol",
    "portRangeMin": "port_range_min",
    "portRangeMax": "port_range_max",
    "remoteIpPrefix": "remote_ip_prefix",
    "remoteGroupId": "remote_group_id",
    "remoteAddressGroupId": "remote_address_group_id",
}


def _rule(rule: Any, keys: Mapping[str, str]) -> LiveRule:
    description = rule.description or ""
    return LiveRule(
        id=str(rule.id),
        permission=neutron_permission(
            {name: getattr(rule, attribute) for name, attribute in _INPUTS.items()}, keys
        ),
        description=description,
        fields={
            "description": description,
            "protocol": rule.protocol or None,
            "remoteIpPrefix": rule.remote_ip_prefix or None,
        },
        delete_command=f"openstack security group rule delete {rule.id}",
    )
