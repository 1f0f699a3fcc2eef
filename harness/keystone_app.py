"""Serve a real OpenStack Keystone (identity v3, sqlite, fernet tokens) on loopback.

Run with the isolated OpenStack venv made by ``scripts/neutron-venv.sh``::

    .venv-neutron/bin/python harness/keystone_app.py \\
        --port 5000 --state-dir /tmp/keystone-state --password secret \\
        --network-url http://127.0.0.1:9696

Standalone, like ``neutron_app.py``: it imports nothing from the project. It writes
``keystone.conf``, runs ``keystone-manage`` as an operator would (``db_sync``,
``fernet_setup``, ``credential_setup``, ``bootstrap`` of the ``admin`` user, project and
role with the identity endpoint), then serves ``keystone.server.wsgi`` with ``wsgiref``
and registers the ``network`` service with its public endpoint at ``--network-url``, so
that a client finds Neutron through the catalog. When that is done it prints
``KEYSTONE READY http://127.0.0.1:PORT/v3``.
"""

from __future__ import annotations

import argparse
import getpass
import grp
import importlib
import json
import os
import subprocess
import sys
import textwrap
import threading
import time
import urllib.request
from typing import Any

from app_serving import exit_now, serve  # type: ignore[import-not-found]  # beside this script, on its sys.path

REGION = "RegionOne"


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--state-dir", required=True)
    parser.add_argument("--password", required=True, help="the admin user's password")
    parser.add_argument("--network-url", required=True, help="Neutron's URL for the catalog")
    return parser.parse_args(argv)


def write_config(state_dir: str) -> str:
    keys = {name: os.path.join(state_dir, name) for name in ("fernet", "receipts", "credential")}
    conf = textwrap.dedent(
        f"""\
        [DEFAULT]
        use_stderr = true

        [database]
        connection = sqlite:///{os.path.join(state_dir, "keystone.sqlite")}

        [token]
        provider = fernet

        [fernet_tokens]
        key_repository = {keys["fernet"]}

        [fernet_receipts]
        key_repository = {keys["receipts"]}

        [credential]
        key_repository = {keys["credential"]}
        """
    )
    path = os.path.join(state_dir, "keystone.conf")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(conf)
    return path


def manage(conf: str, *args: str) -> None:
    """One `keystone-manage` step, as an operator runs it."""
    tool = os.path.join(os.path.dirname(sys.executable), "keystone-manage")
    subprocess.run([tool, "--config-file", conf, *args], check=True, stdout=sys.stderr)


def set_up(conf: str, url: str, password: str) -> None:
    user, group = getpass.getuser(), grp.getgrgid(os.getgid()).gr_name
    manage(conf, "db_sync")
    manage(conf, "fernet_setup", "--keystone-user", user, "--keystone-group", group)
    manage(conf, "credential_setup", "--keystone-user", user, "--keystone-group", group)
    manage(
        conf,
        "bootstrap",
        "--bootstrap-password",
        password,
        "--bootstrap-region-id",
        REGION,
        "--bootstrap-public-url",
        url,
    )


def _call(method: str, url: str, body: dict[str, Any], token: str | None = None) -> Any:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["X-Auth-Token"] = token
    request = urllib.request.Request(url, json.dumps(body).encode(), headers, method=method)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(request, timeout=30) as response:
        return response.headers.get("X-Subject-Token"), json.load(response)


def register_network(url: str, password: str, network_url: str) -> None:
    """The `network` service and its public endpoint, as `openstack endpoint create` does."""
    scope = {"project": {"name": "admin", "domain": {"id": "default"}}}
    identity = {
        "methods": ["password"],
        "password": {"user": {"name": "admin", "domain": {"id": "default"}, "password": password}},
    }
    token, _ = _call("POST", f"{url}/auth/tokens", {"auth": {"identity": identity, "scope": scope}})
    _, service = _call(
        "POST", f"{url}/services", {"service": {"type": "network", "name": "neutron"}}, token
    )
    endpoint = {
        "service_id": service["service"]["id"],
        "interface": "public",
        "region_id": REGION,
        "url": network_url,
    }
    _call("POST", f"{url}/endpoints", {"endpoint": endpoint}, token)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    state_dir = os.path.abspath(args.state_dir)
    os.makedirs(state_dir, exist_ok=True)
    url = f"http://127.0.0.1:{args.port}/v3"
    conf = write_config(state_dir)
    set_up(conf, url, args.password)

    os.environ["OS_KEYSTONE_CONFIG_FILES"] = conf
    sys.argv = sys.argv[:1]  # keystone parses the command line with oslo.config
    wsgi: Any = importlib.import_module("keystone.server.wsgi")
    application = wsgi.initialize_public_application()
    server = serve("keystone_app", args.port, application)
    serving = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2})
    serving.daemon = True
    serving.start()
    register_network(url, args.password, args.network_url)
    print(f"KEYSTONE READY {url}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
        server.server_close()
    return 0


if __name__ == "__main__":
    exit_now(main(sys.argv[1:]))
