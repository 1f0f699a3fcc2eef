"""Serve a real OpenStack Neutron API (no agents, sqlite) on loopback: noauth, or
behind a Keystone (``--keystone-url``, ``keystone_app.py``).

Run with the isolated Neutron venv made by ``scripts/neutron-venv.sh``::

    .venv-neutron/bin/python harness/neutron_app.py \\
        --port 9696 --state-dir /tmp/neutron-state \\
        [--quota-security-group 10] [--quota-security-group-rule 100]

This script is standalone: it imports nothing from the project (it runs under
a different interpreter with Neutron's own dependency set).

What it does:

* writes ``neutron.conf`` into the state dir (ML2 core plugin with no
  mechanism drivers, no service plugins, ``auth_strategy = noauth``, fake
  messaging transport, sqlite database, the given security-group quotas);
* builds the schema with ``BASEV2.metadata.create_all`` (``neutron-db-manage
  upgrade`` does not work on sqlite) and inserts the four default
  security-group-rule templates that the 2023.2 migration would have added;
* boots ``neutron.wsgi.api:application`` and serves it with ``wsgiref``, one
  request at a time, until SIGTERM/SIGINT.

When the socket is listening it prints ``NEUTRON READY http://127.0.0.1:PORT``
on stdout (callers may also poll ``GET /v2.0/security-groups``).

With noauth every request runs as admin; do not send ``X-Project-Id`` (Neutron
answers 400); put ``project_id`` in the request body to choose the owner.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import os
import sys
import textwrap
import uuid
import warnings
from typing import Any

from app_serving import exit_now, serve  # type: ignore[import-not-found]  # beside this script, on its sys.path

NEUTRON_DEFAULT_QUOTA_SECURITY_GROUP = 10
NEUTRON_DEFAULT_QUOTA_SECURITY_GROUP_RULE = 100

# The rule templates the alembic migration c33da356b165 ("security group
# default rules", 2023.2) inserts: every new group gets the two egress rules;
# a project's "default" group additionally gets ingress from itself.
_EGRESS_DESCRIPTION = "Legacy default SG rule for egress traffic"
_INGRESS_DESCRIPTION = "Legacy default SG rule for ingress traffic"
DEFAULT_RULE_TEMPLATES: list[dict[str, Any]] = [
    {
        "direction": "egress",
        "ethertype": "IPv4",
        "remote_group_id": None,
        "used_in_default_sg": True,
        "used_in_non_default_sg": True,
        "description": _EGRESS_DESCRIPTION,
    },
    {
        "direction": "egress",
        "ethertype": "IPv6",
        "remote_group_id": None,
        "used_in_default_sg": True,
        "used_in_non_default_sg": True,
        "description": _EGRESS_DESCRIPTION,
    },
    {
        "direction": "ingress",
        "ethertype": "IPv4",
        "remote_group_id": "PARENT",
        "used_in_default_sg": True,
        "used_in_non_default_sg": False,
        "description": _INGRESS_DESCRIPTION,
    },
    {
        "direction": "ingress",
        "ethertype": "IPv6",
        "remote_group_id": "PARENT",
        "used_in_default_sg": True,
        "used_in_non_default_sg": False,
        "description": _INGRESS_DESCRIPTION,
    },
]


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--state-dir", required=True)
    parser.add_argument(
        "--quota-security-group",
        type=int,
        default=NEUTRON_DEFAULT_QUOTA_SECURITY_GROUP,
    )
    parser.add_argument(
        "--quota-security-group-rule",
        type=int,
        default=NEUTRON_DEFAULT_QUOTA_SECURITY_GROUP_RULE,
    )
    parser.add_argument("--debug", action="store_true", help="Neutron debug logging")
    parser.add_argument(
        "--keystone-url",
        help="authenticate every request with this Keystone (identity v3); default: noauth",
    )
    parser.add_argument("--keystone-password", help="the Keystone admin user's password")
    ovn = parser.add_argument_group(
        "data plane", "ML2/OVN on MariaDB (harness/dataplane.py), instead of no driver on sqlite"
    )
    ovn.add_argument("--database-url", help="[database] connection (MariaDB over its socket)")
    ovn.add_argument("--ovn-nb", help="OVN northbound database connection (unix:PATH)")
    ovn.add_argument("--ovn-sb", help="OVN southbound database connection (unix:PATH)")
    ovn.add_argument("--chassis", help="this host's name: ovn-controller's chassis hostname")
    args = parser.parse_args(argv)
    given = [args.database_url, args.ovn_nb, args.ovn_sb, args.chassis]
    if any(given) and not all(given):
        parser.error("--database-url, --ovn-nb, --ovn-sb and --chassis go together")
    return args


def find_api_paste_ini() -> str:
    """The api-paste.ini that pip installs as data_files under sys.prefix."""
    candidates = [
        os.path.join(sys.prefix, "etc", "neutron", "api-paste.ini"),
        "/etc/neutron/api-paste.ini",
    ]
    for path in candidates:
        if os.path.isfile(path):
            return path
    raise SystemExit("neutron_app: api-paste.ini not found in " + ", ".join(candidates))


def write_config(args: argparse.Namespace, state_dir: str) -> str:
    """Write neutron.conf into the state dir; return the database URL."""
    database_url = args.database_url or f"sqlite:///{os.path.join(state_dir, 'neutron.sqlite')}"
    lock_dir = os.path.join(state_dir, "lock")
    os.makedirs(lock_dir, exist_ok=True)
    conf = textwrap.dedent(
        f"""\
        [DEFAULT]
        core_plugin = ml2
        service_plugins =
        auth_strategy = {"keystone" if args.keystone_url else "noauth"}
        transport_url = fake:/
        state_path = {state_dir}
        api_paste_config = {find_api_paste_ini()}
        bind_host = {args.host}
        bind_port = {args.port}
        debug = {str(args.debug).lower()}
        use_stderr = true
        {f"host = {args.chassis}" if args.chassis else ""}

        [database]
        connection = {database_url}

        [oslo_messaging_notifications]
        driver = noop

        [oslo_concurrency]
        lock_path = {lock_dir}

        [quotas]
        quota_security_group = {args.quota_security_group}
        quota_security_group_rule = {args.quota_security_group_rule}
        """
    )
    if args.ovn_nb:
        # ML2/OVN writes every network, port, group and rule into OVN's northbound
        # database as the API call makes it; ports bind to the one chassis.
        conf += textwrap.dedent(
            f"""
            [ml2]
            type_drivers = geneve,flat
            tenant_network_types = geneve
            mechanism_drivers = ovn
            extension_drivers = port_security

            [ml2_type_geneve]
            vni_ranges = 1:1000
            max_header_size = 38

            [securitygroup]
            enable_security_group = true

            [ovn]
            ovn_nb_connection = {args.ovn_nb}
            ovn_sb_connection = {args.ovn_sb}
            ovn_metadata_enabled = false
            enable_distributed_floating_ip = false
            """
        )
    else:
        conf += textwrap.dedent(
            """
            [ml2]
            type_drivers = flat
            tenant_network_types =
            mechanism_drivers =
            extension_drivers =
            """
        )
    if args.keystone_url:
        # keystonemiddleware's authtoken, as a deployment configures it.
        conf += textwrap.dedent(
            f"""
            [keystone_authtoken]
            www_authenticate_uri = {args.keystone_url}
            auth_url = {args.keystone_url}
            auth_type = password
            username = admin
            password = {args.keystone_password}
            project_name = admin
            user_domain_id = default
            project_domain_id = default
            # The catalog has public endpoints only, as keystone_app.py registers them.
            interface = public
            """
        )
    path = os.path.join(state_dir, "neutron.conf")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(conf)
    return database_url


def build_schema(database_url: str) -> None:
    """Create all tables and the default security-group-rule templates."""
    # Imported dynamically: these live in .venv-neutron only, so the project's
    # type checker (run in the project venv) must not try to resolve them.
    sa: Any = importlib.import_module("sqlalchemy")
    model_base: Any = importlib.import_module("neutron_lib.db.model_base")
    importlib.import_module("neutron.db.migration.models.head")  # registers all models

    engine = sa.create_engine(database_url)
    metadata = model_base.BASEV2.metadata
    metadata.create_all(engine)
    standardattr = metadata.tables["standardattributes"]
    templates = metadata.tables["securitygroupdefaultrules"]
    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    with engine.begin() as conn:
        if conn.execute(sa.select(sa.func.count()).select_from(templates)).scalar():
            return  # state dir reused: templates already there
        for template in DEFAULT_RULE_TEMPLATES:
            row = dict(template)
            description = row.pop("description")
            result = conn.execute(
                sa.insert(standardattr).values(
                    resource_type="securitygroupdefaultrules",
                    description=description,
                    revision_number=0,
                    created_at=now,
                    updated_at=now,
                )
            )
            assert result.inserted_primary_key is not None
            row["standard_attr_id"] = result.inserted_primary_key[0]
            row["id"] = str(uuid.uuid4())
            conn.execute(sa.insert(templates).values(**row))
    engine.dispose()


def load_application(conf_path: str) -> Any:
    # neutron.wsgi.api parses sys.argv[1:] with oslo.config at import time.
    sys.argv = [sys.argv[0], "--config-file", conf_path]
    os.environ.setdefault("OS_NEUTRON_CONFIG_FILES", "")
    api: Any = importlib.import_module("neutron.wsgi.api")
    if api.application is None:
        raise SystemExit("neutron_app: neutron.wsgi.api did not build an application")
    return api.application


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    state_dir = os.path.abspath(args.state_dir)
    os.makedirs(state_dir, exist_ok=True)
    warnings.filterwarnings("ignore")  # eventlet/oslo deprecation noise

    database_url = write_config(args, state_dir)
    build_schema(database_url)
    application = load_application(os.path.join(state_dir, "neutron.conf"))

    server = serve("neutron_app", args.port, application, args.host)
    print(f"NEUTRON READY http://{args.host}:{args.port}", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    exit_now(main(sys.argv[1:]))
