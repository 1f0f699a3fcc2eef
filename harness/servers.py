"""Real-API oracles on loopback, for the conformance and engine tests and the bench.

* :class:`NeutronServer` runs a real OpenStack Neutron API (``neutron_app.py``
  under the isolated ``.venv-neutron`` interpreter) and :class:`NeutronClient`
  talks to it over HTTP (stdlib only). :class:`KeystoneServer` runs a real Keystone
  (``keystone_app.py``, same venv) whose catalog points at a Neutron that
  authenticates through it: the identity service pulumi-openstack logs in to.
* :class:`MotoServer` runs moto's EC2 emulator in a thread of this process and
  hands out boto3 EC2 clients pointed at it.

All bind to 127.0.0.1 only.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final, Self

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client

    from harness.dataplane import DataPlane

JSON = dict[str, Any]

REPO_ROOT: Final = Path(__file__).resolve().parents[1]
NEUTRON_APP: Final = Path(__file__).resolve().with_name("neutron_app.py")
KEYSTONE_APP: Final = Path(__file__).resolve().with_name("keystone_app.py")
DEFAULT_NEUTRON_PYTHON: Final = REPO_ROOT / ".venv-neutron" / "bin" / "python"
NEUTRON_VENV_SCRIPT: Final = "scripts/neutron-venv.sh"

# Neutron's own defaults for [quotas].
NEUTRON_DEFAULT_QUOTA_SECURITY_GROUP: Final = 10
NEUTRON_DEFAULT_QUOTA_SECURITY_GROUP_RULE: Final = 100

MOTO_REGION: Final = "us-east-1"
MOTO_ACCOUNT_ID: Final = "123456789012"


# --------------------------------------------------------------------------
# helpers


def free_loopback_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class NeutronVenvMissingError(FileNotFoundError):
    """The interpreter of the isolated Neutron venv is not there."""


def neutron_python() -> Path:
    """The interpreter that runs Neutron: ``$NEUTRON_PYTHON`` or ``.venv-neutron``.

    Raises :class:`NeutronVenvMissingError` with a how-to-fix message.
    """
    override = os.environ.get("NEUTRON_PYTHON")
    path = Path(override) if override else DEFAULT_NEUTRON_PYTHON
    if not path.exists():
        where = f"NEUTRON_PYTHON={override}" if override else str(path)
        raise NeutronVenvMissingError(
            f"Neutron interpreter not found ({where}). "
            f"Run `{NEUTRON_VENV_SCRIPT}` from the repository root to create "
            ".venv-neutron (pip install neutron==29.0.0, ~40 s, ~340 MB)."
        )
    return path


# --------------------------------------------------------------------------
# Neutron client


class NeutronError(Exception):
    """A non-2xx answer from Neutron.

    ``type`` is Neutron's exception class name from the ``NeutronError`` body,
    e.g. ``SecurityGroupRuleExists`` or ``OverQuota`` (``""`` if the body had
    none, e.g. a plain webob 404).
    """

    def __init__(self, status: int, type: str, message: str, detail: str = "") -> None:
        super().__init__(f"{status} {type}: {message}")
        self.status = status
        self.type = type
        self.message = message
        self.detail = detail

    @classmethod
    def from_body(cls, status: int, raw: bytes) -> NeutronError:
        text = raw.decode("utf-8", errors="replace")
        try:
            body = json.loads(text)
        except ValueError:
            return cls(status, "", text.strip())
        if isinstance(body, dict):
            err = body.get("NeutronError")
            if isinstance(err, dict):
                return cls(
                    status,
                    str(err.get("type") or ""),
                    str(err.get("message") or ""),
                    str(err.get("detail") or ""),
                )
            if "message" in body:
                return cls(status, "", str(body["message"]))
        return cls(status, "", text.strip())


class NeutronClient:
    """Minimal JSON client for Neutron's v2.0 API under ``auth_strategy = noauth``.

    Every request runs as admin. Never send ``X-Project-Id`` (Neutron answers
    400); ``project_id`` in a request body chooses the owner instead.
    """

    def __init__(self, url: str, timeout: float = 30.0) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        # Loopback only: never route through an environment proxy.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    # -- transport ---------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None = None,
        query: Mapping[str, str | Iterable[str]] | None = None,
    ) -> JSON:
        """Send one request; return the decoded JSON body (``{}`` if empty).

        Raises :class:`NeutronError` on a non-2xx status.
        """
        url = self.url + path
        if query:
            url += "?" + urllib.parse.urlencode(
                [
                    (key, item)
                    for key, value in query.items()
                    for item in ([value] if isinstance(value, str) else value)
                ]
            )
        data = None if body is None else json.dumps(body).encode("utf-8")
        req = urllib.request.Request(url, data=data, method=method)
        req.add_header("Accept", "application/json")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with self._opener.open(req, timeout=self.timeout) as resp:
                raw: bytes = resp.read()
        except urllib.error.HTTPError as exc:
            raise NeutronError.from_body(exc.code, exc.read()) from None
        if not raw.strip():
            return {}
        decoded = json.loads(raw)
        if decoded is None:  # e.g. PUT .../tags/{tag} answers 201 "null"
            return {}
        if not isinstance(decoded, dict):
            raise TypeError(f"{method} {path}: expected a JSON object, got {decoded!r}")
        return decoded

    # -- security groups ---------------------------------------------------

    def create_security_group(
        self,
        name: str,
        description: str = "",
        project_id: str | None = None,
        tags: Iterable[str] | None = None,
        stateful: bool | None = None,
    ) -> JSON:
        """Create a group (Neutron adds its default egress rules to it).

        Creating the first group of a project also creates that project's
        ``default`` group. ``tags`` are set with a second call.
        """
        sg: JSON = {"name": name, "description": description}
        if project_id is not None:
            sg["project_id"] = project_id
        if stateful is not None:
            sg["stateful"] = stateful
        group: JSON = self.request("POST", "/v2.0/security-groups", {"security_group": sg})[
            "security_group"
        ]
        if tags is not None:
            group["tags"] = self.set_tags(group["id"], tags)
        return group

    def get_security_group(self, group_id: str) -> JSON:
        group: JSON = self.request("GET", f"/v2.0/security-groups/{group_id}")["security_group"]
        return group

    def update_security_group(self, group_id: str, **fields: Any) -> JSON:
        group: JSON = self.request(
            "PUT", f"/v2.0/security-groups/{group_id}", {"security_group": fields}
        )["security_group"]
        return group

    def delete_security_group(self, group_id: str) -> None:
        self.request("DELETE", f"/v2.0/security-groups/{group_id}")

    def list_groups(self, project_id: str | None = None, **filters: str) -> list[JSON]:
        """List groups, optionally of one project (other filters: ``name=...``)."""
        query: dict[str, str] = dict(filters)
        if project_id is not None:
            query["project_id"] = project_id
        groups: list[JSON] = self.request("GET", "/v2.0/security-groups", query=query)[
            "security_groups"
        ]
        return groups

    # -- tags --------------------------------------------------------------

    def set_tags(self, group_id: str, tags: Iterable[str]) -> list[str]:
        """Replace all tags of a group (``PUT .../tags``); return the new tags."""
        result: list[str] = self.request(
            "PUT", f"/v2.0/security-groups/{group_id}/tags", {"tags": list(tags)}
        )["tags"]
        return result

    def add_tag(self, group_id: str, tag: str) -> None:
        """Add one tag (``PUT .../tags/{tag}``)."""
        self.request(
            "PUT", f"/v2.0/security-groups/{group_id}/tags/{urllib.parse.quote(tag, safe='')}"
        )

    def get_tags(self, group_id: str) -> list[str]:
        tags: list[str] = self.request("GET", f"/v2.0/security-groups/{group_id}/tags")["tags"]
        return tags

    # -- rules -------------------------------------------------------------

    def create_rule(self, **fields: Any) -> JSON:
        """Create one rule; fields as Neutron names them.

        ``security_group_id``, ``direction`` (ingress|egress), ``ethertype``
        (IPv4|IPv6), ``protocol``, ``port_range_min``, ``port_range_max``,
        ``remote_ip_prefix``, ``remote_group_id``, ``description``,
        ``project_id``. Raises :class:`NeutronError` (e.g. 409
        ``SecurityGroupRuleExists``, 409 ``OverQuota``).
        """
        rule: JSON = self.request(
            "POST", "/v2.0/security-group-rules", {"security_group_rule": fields}
        )["security_group_rule"]
        return rule

    def create_rules(self, rules: Iterable[Mapping[str, Any]]) -> list[JSON]:
        """Bulk-create rules in one request (``{"security_group_rules": [...]}``)."""
        created: list[JSON] = self.request(
            "POST",
            "/v2.0/security-group-rules",
            {"security_group_rules": [dict(rule) for rule in rules]},
        )["security_group_rules"]
        return created

    def get_rule(self, rule_id: str) -> JSON:
        rule: JSON = self.request("GET", f"/v2.0/security-group-rules/{rule_id}")[
            "security_group_rule"
        ]
        return rule

    def delete_rule(self, rule_id: str) -> None:
        self.request("DELETE", f"/v2.0/security-group-rules/{rule_id}")

    def list_rules(
        self,
        project_id: str | None = None,
        security_group_id: str | None = None,
        **filters: str,
    ) -> list[JSON]:
        query: dict[str, str] = dict(filters)
        if project_id is not None:
            query["project_id"] = project_id
        if security_group_id is not None:
            query["security_group_id"] = security_group_id
        rules: list[JSON] = self.request("GET", "/v2.0/security-group-rules", query=query)[
            "security_group_rules"
        ]
        return rules

    def delete_default_rules_of(self, group_id: str) -> list[JSON]:
        """Delete every rule the group has now (right after creation: the
        default egress rules); return the deleted rules."""
        rules = self.list_rules(security_group_id=group_id)
        for rule in rules:
            self.delete_rule(rule["id"])
        return rules

    # -- quotas ------------------------------------------------------------

    def get_quota(self, project_id: str) -> JSON:
        """Effective limits of a project (``GET /v2.0/quotas/{project_id}``)."""
        quota: JSON = self.request("GET", f"/v2.0/quotas/{project_id}")["quota"]
        return quota

    def get_quota_details(self, project_id: str) -> JSON:
        """``{resource: {"limit", "used", "reserved"}}`` of a project."""
        quota: JSON = self.request("GET", f"/v2.0/quotas/{project_id}/details")["quota"]
        return quota

    def update_quota(self, project_id: str, **limits: int) -> JSON:
        """Per-project override, e.g. ``update_quota(p, security_group_rule=5)``."""
        quota: JSON = self.request("PUT", f"/v2.0/quotas/{project_id}", {"quota": limits})["quota"]
        return quota


# --------------------------------------------------------------------------
# Neutron server


class Service:
    """A server started and stopped by its owner, or by a `with` block."""

    def start(self) -> Self:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class _AppServer(Service):
    """One of the OpenStack services (``*_app.py``) as a process on 127.0.0.1 for the
    duration of a ``with`` block: its own temporary state dir, its own process group
    (terminated with SIGTERM, then SIGKILL), ready once it prints ``<NAME> READY``."""

    app: Path
    ready: str

    def __init__(
        self, *, python: str | os.PathLike[str] | None, startup_timeout: float, port: int = 0
    ) -> None:
        self._python = Path(python) if python is not None else None
        self.startup_timeout = startup_timeout
        self._given_port = port
        self.port: int = 0
        self.state_dir: Path | None = None
        self.log_path: Path | None = None
        self.startup_seconds: float = 0.0
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        if not self.port:
            raise RuntimeError(f"{type(self).__name__} is not running")
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, lines: int = 40) -> str:
        if self.log_path is None or not self.log_path.exists():
            return "(no log)"
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def arguments(self) -> list[str]:
        """The app's arguments besides ``--port`` and ``--state-dir``."""
        return []

    def environment(self) -> dict[str, str]:
        """Variables the app needs besides the caller's (less its OS_* ones)."""
        return {}

    def is_serving(self) -> bool:
        """Whether the app answers (called once it has printed that it is ready)."""
        return True

    def on_ready(self) -> None:
        """Work to do once the app answers, before it counts as started."""

    # -- lifecycle ---------------------------------------------------------

    def start(self) -> Self:
        python = self._python if self._python is not None else neutron_python()
        if not python.exists():
            raise NeutronVenvMissingError(
                f"OpenStack interpreter not found: {python}. Run `{NEUTRON_VENV_SCRIPT}`."
            )
        self.state_dir = Path(tempfile.mkdtemp(prefix=f"{self.app.stem}-"))
        self.log_path = self.state_dir / "app.log"
        try:
            # The port is probed then handed over, so another process could
            # grab it in between: retry on that (rare) race.
            for attempt in range(3):
                self.port = self._given_port or free_loopback_port()
                if self._launch(python) or attempt == 2 or self._given_port:
                    break
                self._stop_process()
        except BaseException:
            self.stop()
            raise
        return self

    def _launch(self, python: Path) -> bool:
        """Start the process and wait for it; False if the port was taken."""
        assert self.state_dir is not None and self.log_path is not None
        cmd = [str(python), str(self.app), "--port", str(self.port)]
        cmd += ["--state-dir", str(self.state_dir / "state"), *self.arguments()]
        env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
        env["PYTHONUNBUFFERED"] = "1"
        env.update(self.environment())
        started = time.monotonic()
        with open(self.log_path, "ab") as log:
            self._proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=self.state_dir,
                start_new_session=True,  # own process group: kill it whole
            )
        deadline = started + self.startup_timeout
        while True:
            code = self._proc.poll()
            if code is not None:
                if "Address already in use" in self.log_tail(400):
                    return False
                raise RuntimeError(
                    f"{self.app.name} exited with code {code} during startup; "
                    f"last lines of its log:\n{self.log_tail()}"
                )
            if self.ready in self.log_tail(400) and self.is_serving():
                break
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"{self.app.name} not ready on {self.url} after "
                    f"{self.startup_timeout:.1f} s; last lines of its log:\n{self.log_tail()}"
                )
            time.sleep(0.1)
        self.on_ready()
        self.startup_seconds = time.monotonic() - started
        return True

    def _stop_process(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=10)
        # Whatever is left of the group (children), and the leader if stuck.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()

    def stop(self) -> None:
        self._stop_process()
        self.port = 0
        if self.state_dir is not None:
            shutil.rmtree(self.state_dir, ignore_errors=True)
            self.state_dir = None
            self.log_path = None


class NeutronServer(_AppServer):
    """A live Neutron API on 127.0.0.1 for the duration of a ``with`` block.

    >>> with NeutronServer(quota_security_group_rule=8) as neutron:
    ...     neutron.client.create_security_group("sg", project_id="p1")

    With ``keystone`` it authenticates every request with that Keystone (and
    ``client``, which speaks noauth, is not for it); otherwise it runs noauth. With
    ``dataplane`` (started first) it runs the ML2/OVN mechanism driver on that data
    plane's OVN and MariaDB, instead of no driver on sqlite.
    """

    app = NEUTRON_APP
    ready = "NEUTRON READY"

    def __init__(
        self,
        quota_security_group: int = NEUTRON_DEFAULT_QUOTA_SECURITY_GROUP,
        quota_security_group_rule: int = NEUTRON_DEFAULT_QUOTA_SECURITY_GROUP_RULE,
        *,
        python: str | os.PathLike[str] | None = None,
        startup_timeout: float = 60.0,
        debug: bool = False,
        port: int = 0,
        keystone: KeystoneServer | None = None,
        dataplane: DataPlane | None = None,
    ) -> None:
        super().__init__(python=python, startup_timeout=startup_timeout, port=port)
        self.quota_security_group = quota_security_group
        self.quota_security_group_rule = quota_security_group_rule
        self.debug = debug
        self.keystone = keystone
        self.dataplane = dataplane
        self._client: NeutronClient | None = None

    @property
    def client(self) -> NeutronClient:
        if self._client is None:
            raise RuntimeError("NeutronServer is not running")
        return self._client

    def arguments(self) -> list[str]:
        args = ["--quota-security-group", str(self.quota_security_group)]
        args += ["--quota-security-group-rule", str(self.quota_security_group_rule)]
        if self.keystone is not None:
            args += ["--keystone-url", self.keystone.identity_url]
            args += ["--keystone-password", self.keystone.password]
        if self.dataplane is not None:
            args += ["--database-url", self.dataplane.database_url]
            args += ["--ovn-nb", self.dataplane.nb_connection]
            args += ["--ovn-sb", self.dataplane.sb_connection]
            args += ["--chassis", self.dataplane.chassis]
        return args + (["--debug"] if self.debug else [])

    def environment(self) -> dict[str, str]:
        # ML2/OVN's hash ring needs the API worker count, which wsgiref does not give:
        # neutron.common.wsgi_utils reads it from here.
        return {"ASGI_WORKERS": "1"} if self.dataplane is not None else {}

    def is_serving(self) -> bool:
        try:
            NeutronClient(self.url, timeout=5.0).request("GET", "/")  # the version list
        except (NeutronError, OSError):
            return False
        return True

    def on_ready(self) -> None:
        if self.keystone is None:
            # The first API request pays ~1 s of lazy initialisation (policy,
            # extensions); take it here, with a query that creates nothing.
            NeutronClient(self.url).list_rules(id="warm-up")
            self._client = NeutronClient(self.url)

    def requests_logged(self) -> list[str]:
        """Every API request served so far, as ``METHOD /path`` (from the request log)."""
        if self.log_path is None or not self.log_path.exists():
            return []
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return re.findall(r'^neutron_app: \S+ "(\S+ \S+) HTTP', text, flags=re.MULTILINE)

    def stop(self) -> None:
        super().stop()
        self._client = None


class KeystoneServer(_AppServer):
    """A live Keystone (identity v3) whose catalog's ``network`` endpoint is
    ``network_url``, with the ``admin`` user, project and role of its bootstrap."""

    app = KEYSTONE_APP
    ready = "KEYSTONE READY"
    password = "clearwater-engine-tests"

    def __init__(
        self, network_url: str, *, python: str | os.PathLike[str] | None = None, port: int = 0
    ) -> None:
        super().__init__(python=python, startup_timeout=120.0, port=port)
        self.network_url = network_url

    @property
    def identity_url(self) -> str:
        """Known before the server runs when its port was given: Neutron, started beside
        it in another thread, may ask first (LocalOpenStack.start)."""
        port = self._given_port or self.port
        if not port:
            raise RuntimeError("KeystoneServer is not running and was given no port")
        return f"http://127.0.0.1:{port}/v3"

    def arguments(self) -> list[str]:
        return ["--password", self.password, "--network-url", self.network_url]


# --------------------------------------------------------------------------
# moto (EC2)


class _RequestLog:
    """A WSGI middleware that notes each request before the app serves it, as
    ``<service> <Action>`` for the query APIs (EC2, STS: the action is in the form body or
    the query string; the service in the signature's credential scope), else
    ``<METHOD> <path>``."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.served: list[str] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)  # the app reads it again
        fields = urllib.parse.parse_qs(body.decode("utf-8", errors="replace"))
        fields |= urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))
        signed = environ.get("HTTP_AUTHORIZATION", "")
        scope = re.search(r"Credential=[^/]*/[^/]*/[^/]*/([^/]+)/", signed)
        if "Action" in fields and scope:
            self.served.append(f"{scope.group(1)} {fields['Action'][0]}")
        else:
            self.served.append(f"{environ.get('REQUEST_METHOD')} {environ.get('PATH_INFO')}")
        return self.app(environ, start_response)


class MotoServer(Service):
    """moto's server (every AWS service it emulates, EC2 and STS among them) on a free
    127.0.0.1 port, in a thread of this process, as moto's ``ThreadedMotoServer`` runs
    it, with a log of the requests it served (:meth:`requests_served`).

    moto keeps its state in process-global backends: a ``mock_aws`` used
    elsewhere in the same process shares it. :meth:`reset` clears it.
    """

    def __init__(self, region: str = MOTO_REGION, *, quiet: bool = True) -> None:
        self.region = region
        self.quiet = quiet
        self.port: int = 0
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._log: _RequestLog | None = None
        self._werkzeug_level: int | None = None

    @property
    def url(self) -> str:
        if not self.port:
            raise RuntimeError("MotoServer is not running")
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Self:
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )
        from werkzeug.serving import make_server

        if self.quiet:
            werkzeug = logging.getLogger("werkzeug")
            self._werkzeug_level = werkzeug.level
            werkzeug.setLevel(logging.WARNING)
        self._log = _RequestLog(DomainDispatcherApplication(create_backend_app))
        # Port 0: the OS picks a free port at bind time (no race).
        self._server = make_server(
            "127.0.0.1", 0, self._log, threaded=True, request_handler=MotoRequestHandler
        )
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self.port = 0
        if self._werkzeug_level is not None:
            logging.getLogger("werkzeug").setLevel(self._werkzeug_level)
            self._werkzeug_level = None

    def requests_served(self) -> list[str]:
        """Every request served so far, in order: ``ec2 CreateSecurityGroup``, ``sts
        GetCallerIdentity``, ``POST /moto-api/reset``..."""
        return list(self._log.served) if self._log is not None else []

    def reset(self) -> None:
        """Drop every resource in every moto backend (``POST /moto-api/reset``)."""
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        req = urllib.request.Request(self.url + "/moto-api/reset", data=b"", method="POST")
        with opener.open(req, timeout=30) as resp:
            resp.read()

    def ec2_client(self) -> EC2Client:
        """A boto3 EC2 client on this server (fake credentials, no proxy)."""
        import boto3
        from botocore.config import Config

        client: EC2Client = boto3.client(
            "ec2",
            region_name=self.region,
            endpoint_url=self.url,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            aws_session_token="testing",
            config=Config(
                retries={"max_attempts": 1, "mode": "standard"},
                proxies={"http": "", "https": ""},
            ),
        )
        return client

    def create_vpc(
        self, cidr_block: str = "10.0.0.0/16", *, ipv6: bool = False, name: str | None = None
    ) -> str:
        """Create a VPC (optionally with an Amazon-provided IPv6 block); return its id."""
        ec2 = self.ec2_client()
        if name is not None:
            vpc = ec2.create_vpc(
                CidrBlock=cidr_block,
                AmazonProvidedIpv6CidrBlock=ipv6,
                TagSpecifications=[
                    {"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": name}]}
                ],
            )
        else:
            vpc = ec2.create_vpc(CidrBlock=cidr_block, AmazonProvidedIpv6CidrBlock=ipv6)
        vpc_id: str = vpc["Vpc"]["VpcId"]
        return vpc_id
