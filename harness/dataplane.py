"""A real data plane behind Neutron's security groups, on this machine: Open vSwitch with
its userspace (netdev) datapath, OVN's northbound and southbound databases, ovn-northd and
one chassis (ovn-controller), and MariaDB for Neutron with the ML2/OVN mechanism driver
(sqlite deadlocks under ML2/OVN's background hash-ring thread). Neutron then turns every
security group and rule it stores into OVN ACLs, which ovn-controller compiles into
OpenFlow on the bridge; the nodes are network namespaces plugged into that bridge the way
os-vif plugs a VM.

Everything is private to one :class:`DataPlane`: a run directory (databases, sockets,
pidfiles, one log per daemon), a network namespace that holds the bridge and the host end
of every node's veth (so no interface of the machine's own namespace is touched, and two
data planes on one machine never meet), and namespaces named after this process. No daemon
opens a TCP port: the databases listen on unix sockets, MariaDB with `--skip-networking`.
No namespace has a default route: nothing can be sent anywhere but to the test's own
addresses.

The daemons run in the foreground as children of this process, each killed with it
(PR_SET_PDEATHSIG); :meth:`DataPlane.stop` ends each by its pid and deletes the
namespaces, and a later start deletes the namespaces of a run whose process is gone.

Needs root and the Debian packages `scripts/dataplane-setup.sh` installs (`make
dataplane-setup`).
"""

from __future__ import annotations

import contextlib
import ctypes
import ipaddress
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Self

from harness.servers import Service

SETUP_COMMAND: Final = "make dataplane-setup"
# The programs the data plane runs, each with the Debian package that ships it.
PROGRAMS: Final = {
    "ovsdb-tool": "openvswitch-common",
    "ovsdb-server": "openvswitch-common",
    "ovs-vswitchd": "openvswitch-switch",
    "ovs-vsctl": "openvswitch-switch",
    "ovn-northd": "ovn-central",
    "ovn-nbctl": "ovn-common",
    "ovn-controller": "ovn-host",
    "mariadbd": "mariadb-server",
    "mariadb-install-db": "mariadb-server",
    "mariadb": "mariadb-client",
    "ethtool": "ethtool",
    "ip": "iproute2",
}
OVS_SCHEMA: Final = Path("/usr/share/openvswitch/vswitch.ovsschema")
OVN_SCHEMAS: Final = {
    "nb": Path("/usr/share/ovn/ovn-nb.ovsschema"),
    "sb": Path("/usr/share/ovn/ovn-sb.ovsschema"),
}
# Every namespace of a run starts with this and the pid of the process that made it.
NAMESPACE_PREFIX: Final = "cwdp"
BRIDGE: Final = "br-int"
DATABASE: Final = "neutron"
DATABASE_USER: Final = "neutron"
DATABASE_PASSWORD: Final = "neutron"
_PR_SET_PDEATHSIG: Final = 1


class DataPlaneUnavailableError(RuntimeError):
    """This machine cannot run the data plane (not root, or packages missing); the message
    says how to fix it."""


def missing_programs() -> dict[str, str]:
    """The programs the data plane needs that are not installed, each with its package."""
    return {name: package for name, package in PROGRAMS.items() if _which(name) is None}


def require_data_plane() -> None:
    """Raise :class:`DataPlaneUnavailableError` unless this process can run a data plane."""
    if os.geteuid() != 0:
        raise DataPlaneUnavailableError(
            "the data plane needs root (network namespaces, Open vSwitch): run the tests as root"
        )
    missing = missing_programs()
    if missing:
        packages = " ".join(sorted(set(missing.values())))
        raise DataPlaneUnavailableError(
            f"the data plane needs {', '.join(sorted(missing))} (Debian packages {packages}): "
            f"run `{SETUP_COMMAND}` as root"
        )


def _which(name: str) -> str | None:
    # Daemons live in /usr/sbin, which a non-login PATH may lack.
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin:/usr/bin")


def _program(name: str) -> str:
    path = _which(name)
    if path is None:
        raise DataPlaneUnavailableError(f"{name} not found: run `{SETUP_COMMAND}` as root")
    return path


def die_with_parent() -> None:
    """In the child before exec: be killed when the process that started it dies, so a
    killed test run leaves no daemon behind."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def run(*argv: str, stdin: str | None = None, env: dict[str, str] | None = None) -> str:
    """Run a command to completion; its stdout, or an error with its stderr."""
    program, *rest = argv
    done = subprocess.run(
        [_program(program), *rest],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr.strip()}")
    return done.stdout


def namespaces() -> list[str]:
    """Every network namespace on the machine, by name."""
    listed = run("ip", "netns", "list")
    return [line.split()[0] for line in listed.splitlines() if line.strip()]


def remove_abandoned_namespaces() -> list[str]:
    """Delete the namespaces of data planes whose process is gone (a run killed before it
    could clean up); return their names. Namespaces of running processes are left alone."""
    removed = []
    for name in namespaces():
        match = re.fullmatch(rf"{NAMESPACE_PREFIX}(\d+)-.*", name)
        if match and not Path(f"/proc/{match.group(1)}").exists():
            with contextlib.suppress(RuntimeError):
                run("ip", "netns", "delete", name)
                removed.append(name)
    return removed


@dataclass
class Daemon:
    """One daemon of the data plane, in the foreground, with its log."""

    name: str
    process: subprocess.Popen[bytes]
    log: Path

    def log_tail(self, lines: int = 30) -> str:
        if not self.log.exists():
            return "(no log)"
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def stop(self, timeout: float = 5.0) -> None:
        """SIGTERM to its process group (its own session), SIGKILL to what is left."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=timeout)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()


@dataclass(frozen=True)
class Interface:
    """One interface of a node: the Neutron port it plugs (its id and MAC), the addresses
    the namespace gives it, and the network's MTU."""

    port_id: str
    mac: str
    addresses: tuple[ipaddress.IPv4Interface | ipaddress.IPv6Interface, ...]
    mtu: int = 1500


@dataclass
class Namespace:
    """A node: a network namespace whose interfaces are veths plugged into the bridge."""

    name: str
    interfaces: dict[str, Interface] = field(default_factory=dict)
    bridge_ports: list[str] = field(default_factory=list)  # the veths' ends on the bridge

    def command(self, *argv: str) -> list[str]:
        """`argv` run inside this namespace."""
        return [_program("ip"), "netns", "exec", self.name, *argv]


class DataPlane(Service):
    """OVS (netdev) + OVN + MariaDB for one Neutron, started and stopped together.

    >>> with DataPlane() as plane:
    ...     plane.nb_connection, plane.database_url   # for Neutron's [ovn] and [database]
    """

    def __init__(self, *, startup_timeout: float = 60.0) -> None:
        self.startup_timeout = startup_timeout
        self.run_dir: Path | None = None
        self.tag = f"{NAMESPACE_PREFIX}{os.getpid()}-{os.urandom(2).hex()}"
        # The chassis's hostname: Neutron binds ports to it (binding:host_id).
        self.chassis = self.tag
        self.hypervisor = f"{self.tag}-hv"
        self._daemons: list[Daemon] = []
        self._nodes: dict[str, Namespace] = {}
        self._veths = 0
        self._plugged = 0
        self._hypervisor_made = False
        self._installing: Daemon | None = None

    # -- where things are ----------------------------------------------------

    def _path(self, *parts: str) -> Path:
        if self.run_dir is None:
            raise RuntimeError("DataPlane is not running")
        return self.run_dir.joinpath(*parts)

    @property
    def ovs_db(self) -> str:
        return f"unix:{self._path('ovs', 'db.sock')}"

    @property
    def nb_connection(self) -> str:
        return f"unix:{self._path('ovn', 'nb.sock')}"

    @property
    def sb_connection(self) -> str:
        return f"unix:{self._path('ovn', 'sb.sock')}"

    @property
    def database_socket(self) -> Path:
        return self._path("mysql", "mysqld.sock")

    @property
    def database_url(self) -> str:
        """Neutron's [database] connection: MariaDB over its unix socket, with PyMySQL."""
        return (
            f"mysql+pymysql://{DATABASE_USER}:{DATABASE_PASSWORD}@localhost/{DATABASE}"
            f"?unix_socket={self.database_socket}&charset=utf8mb4"
        )

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        for tool, folder in (("OVS", "ovs"), ("OVN", "ovn")):
            for kind in ("RUNDIR", "LOGDIR", "DBDIR", "SYSCONFDIR"):
                # Without OVN_RUNDIR ovn-northd dies binding /var/run/ovn/ovn-northd.N.ctl.
                env[f"{tool}_{kind}"] = str(self._path(folder))
        return env

    # -- lifecycle -------------------------------------------------------------

    def start(self) -> Self:
        require_data_plane()
        remove_abandoned_namespaces()
        self.run_dir = Path(tempfile.mkdtemp(prefix="dataplane-"))
        try:
            for folder in ("ovs", "ovn", "mysql"):
                self._path(folder).mkdir()
            run("ip", "netns", "add", self.hypervisor)
            self._hypervisor_made = True
            run("ip", "-n", self.hypervisor, "link", "set", "lo", "up")
            self._start_mariadb_install()
            self._start_ovs()
            self._start_ovn()
            self._start_mariadb()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Unplug every node, stop every daemon by its pid, delete the namespaces and the
        run directory. Safe to call twice, and after a failed start."""
        for namespace in list(self._nodes.values()):
            self.unplug(namespace)
        for daemon in reversed(self._daemons):
            daemon.stop()
        self._daemons.clear()
        if self._hypervisor_made:
            with contextlib.suppress(RuntimeError):
                run("ip", "netns", "delete", self.hypervisor)
            self._hypervisor_made = False
        if self.run_dir is not None:
            shutil.rmtree(self.run_dir, ignore_errors=True)
            self.run_dir = None

    def pids(self) -> list[int]:
        """The pid of every daemon still running."""
        return [d.process.pid for d in self._daemons if d.process.poll() is None]

    def daemon_logs(self, lines: int = 20) -> str:
        """The last lines of every daemon's log, for a failure message."""
        return "\n".join(f"== {d.name}\n{d.log_tail(lines)}" for d in self._daemons)

    # -- daemons -------------------------------------------------------------------

    def _spawn(self, name: str, argv: Sequence[str], *, in_hypervisor: bool = False) -> Daemon:
        log = self._path("logs", f"{name}.out")
        log.parent.mkdir(exist_ok=True)
        command = [_program(argv[0]), *argv[1:]]
        if in_hypervisor:
            command = [_program("ip"), "netns", "exec", self.hypervisor, *command]
        with open(log, "ab") as out:
            process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=self._env(),
                start_new_session=True,  # a Ctrl-C of the tests reaches them only through stop()
                preexec_fn=die_with_parent,
            )
        daemon = Daemon(name, process, log)
        self._daemons.append(daemon)
        return daemon

    def _wait_for(self, what: str, ready: Path, daemon: Daemon) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while not ready.exists():
            if daemon.process.poll() is not None:
                raise RuntimeError(
                    f"{daemon.name} exited with {daemon.process.returncode} before {what}:\n"
                    f"{daemon.log_tail()}"
                )
            if time.monotonic() > deadline:
                raise TimeoutError(f"{daemon.name}: no {what} after {self.startup_timeout} s")
            time.sleep(0.05)

    def _ovsdb_server(self, name: str, database: Path, socket: Path) -> None:
        daemon = self._spawn(
            name,
            [
                "ovsdb-server",
                str(database),
                f"--remote=punix:{socket}",
                f"--unixctl={socket.with_suffix('.ctl')}",
                f"--pidfile={socket.with_suffix('.pid')}",
                f"--log-file={socket.with_suffix('.log')}",
            ],
        )
        self._wait_for("socket", socket, daemon)

    def vsctl(self, *args: str) -> str:
        # A bounded wait: ovs-vsctl otherwise waits forever for a dead ovs-vswitchd.
        return run("ovs-vsctl", f"--db={self.ovs_db}", "--timeout=30", *args)

    def nbctl(self, *args: str) -> str:
        return run("ovn-nbctl", f"--db={self.nb_connection}", *args)

    def appctl(self, *args: str) -> str:
        """A command to ovs-vswitchd (`ovs-appctl`), e.g. `dpctl/dump-conntrack`."""
        return run("ovs-appctl", "-t", str(self._path("ovs", "vswitchd.ctl")), *args)

    def forget_connections(self) -> None:
        """Empty the datapath's connection tracker. OVS 3.1.0's userspace tracker aborts
        (conntrack.c: `conn->conn_type == CT_CONN_TYPE_DEFAULT` in conn_update_state) when a
        new connection reuses the addresses and ports of one it still tracks with OVN's
        NAT entries, as later probe rounds do: each round starts from an empty tracker."""
        self.appctl("dpctl/flush-conntrack")

    def check_alive(self) -> None:
        """Raise, with the last lines of its log, if a daemon has died."""
        for daemon in self._daemons:
            if daemon.name != "mariadb-install-db" and daemon.process.poll() is not None:
                raise RuntimeError(
                    f"{daemon.name} died ({daemon.process.returncode}):\n{daemon.log_tail()}"
                )

    def _start_ovs(self) -> None:
        database = self._path("ovs", "conf.db")
        run("ovsdb-tool", "create", str(database), str(OVS_SCHEMA))
        self._ovsdb_server("ovsdb-server", database, self._path("ovs", "db.sock"))
        self.vsctl("--no-wait", "init")
        # In the hypervisor namespace: the bridge's own device and the datapath's live there.
        vswitchd = self._spawn(
            "ovs-vswitchd",
            [
                "ovs-vswitchd",
                self.ovs_db,
                f"--unixctl={self._path('ovs', 'vswitchd.ctl')}",
                f"--pidfile={self._path('ovs', 'vswitchd.pid')}",
                f"--log-file={self._path('ovs', 'vswitchd.log')}",
            ],
            in_hypervisor=True,
        )
        self._wait_for("control socket", self._path("ovs", "vswitchd.ctl"), vswitchd)
        # This kernel has no openvswitch module: the userspace datapath, whose connection
        # tracker is OVS's own.
        self.vsctl("add-br", BRIDGE, "--", "set", "bridge", BRIDGE, "datapath_type=netdev")

    def _start_ovn(self) -> None:
        for db in ("nb", "sb"):
            database = self._path("ovn", f"{db}.db")
            run("ovsdb-tool", "create", str(database), str(OVN_SCHEMAS[db]))
            self._ovsdb_server(f"ovn-{db}", database, self._path("ovn", f"{db}.sock"))
        northd = self._spawn(
            "ovn-northd",
            [
                "ovn-northd",
                f"--ovnnb-db={self.nb_connection}",
                f"--ovnsb-db={self.sb_connection}",
                f"--unixctl={self._path('ovn', 'northd.ctl')}",
                f"--pidfile={self._path('ovn', 'northd.pid')}",
                f"--log-file={self._path('ovn', 'northd.log')}",
            ],
        )
        self._wait_for("control socket", self._path("ovn", "northd.ctl"), northd)
        self.vsctl(
            "set",
            "open_vswitch",
            ".",
            f"external_ids:system-id={self.chassis}",
            f"external_ids:hostname={self.chassis}",
            f"external_ids:ovn-remote={self.sb_connection}",
            "external_ids:ovn-encap-type=geneve",
            "external_ids:ovn-encap-ip=127.0.0.1",
            f"external_ids:ovn-bridge={BRIDGE}",
        )
        controller = self._spawn(
            "ovn-controller",
            [
                "ovn-controller",
                self.ovs_db,
                f"--pidfile={self._path('ovn', 'controller.pid')}",
                f"--log-file={self._path('ovn', 'controller.log')}",
            ],
            in_hypervisor=True,
        )
        self._wait_for("pidfile", self._path("ovn", "controller.pid"), controller)

    def _start_mariadb_install(self) -> None:
        # Started first: it takes the longest, and the OVS and OVN steps run meanwhile.
        self._installing = self._spawn(
            "mariadb-install-db",
            [
                _program("mariadb-install-db"),
                "--no-defaults",
                "--user=root",
                f"--datadir={self._path('mysql', 'data')}",
                "--auth-root-authentication-method=socket",
                "--skip-test-db",
            ],
        )

    def _start_mariadb(self) -> None:
        installing = self._installing
        assert installing is not None
        if installing.process.wait(timeout=self.startup_timeout) != 0:
            raise RuntimeError(f"mariadb-install-db failed:\n{installing.log_tail()}")
        daemon = self._spawn(
            "mariadbd",
            [
                "mariadbd",
                "--no-defaults",
                "--user=root",
                f"--datadir={self._path('mysql', 'data')}",
                f"--socket={self.database_socket}",
                f"--pid-file={self._path('mysql', 'mysqld.pid')}",
                "--skip-networking",
                f"--log-error={self._path('mysql', 'error.log')}",
                "--innodb-buffer-pool-size=128M",
                # A test database thrown away after the run: no fsync per commit.
                "--innodb-flush-log-at-trx-commit=0",
                "--innodb-doublewrite=0",
                "--skip-log-bin",
            ],
        )
        self._wait_for("socket", self.database_socket, daemon)
        self.sql(
            f"CREATE DATABASE {DATABASE} CHARACTER SET utf8mb4;"
            f"CREATE USER '{DATABASE_USER}'@'localhost' IDENTIFIED BY '{DATABASE_PASSWORD}';"
            f"GRANT ALL ON {DATABASE}.* TO '{DATABASE_USER}'@'localhost';"
        )

    def sql(self, statements: str) -> str:
        return run(
            "mariadb",
            "--no-defaults",
            f"--socket={self.database_socket}",
            "--user=root",
            "--batch",
            stdin=statements,
        )

    # -- nodes ---------------------------------------------------------------------

    def plug(self, node: str, interfaces: Iterable[Interface]) -> Namespace:
        """A namespace for `node` with one veth per interface, `eth0`, `eth1`... inside,
        whose other end is on the bridge as the Neutron port (`iface-id`), so that
        ovn-controller claims it and Neutron marks the port ACTIVE."""
        self._plugged += 1
        name = f"{self.tag}-{self._plugged}-{node}"  # two test beds may both have a sprout-1
        namespace = Namespace(name)
        run("ip", "netns", "add", name)
        self._nodes[name] = namespace
        script = ["link set lo up"]
        for index, interface in enumerate(interfaces):
            inside = f"eth{index}"
            self._veths += 1
            outside = f"v{self._veths}"
            run(
                "ip", "-n", self.hypervisor, "link", "add", outside, "mtu", str(interface.mtu),
                "type", "veth", "peer", "name", inside, "netns", name, "mtu", str(interface.mtu),
            )  # fmt: skip
            script.append(f"link set {inside} address {interface.mac}")
            for address in interface.addresses:
                nodad = " nodad" if address.version == 6 else ""
                script.append(f"address add {address} dev {inside}{nodad}")
            script.append(f"link set {inside} up")
            # The userspace datapath reads the veth over AF_PACKET, where the kernel leaves
            # TX checksums to a NIC that is not there: its conntrack then drops the packet.
            run("ip", "netns", "exec", name, "ethtool", "-K", inside, "tx", "off")
            run("ip", "netns", "exec", self.hypervisor, "ethtool", "-K", outside, "tx", "off")
            run("ip", "-n", self.hypervisor, "link", "set", outside, "up")
            self.vsctl(
                "add-port", BRIDGE, outside, "--",
                "set", "Interface", outside, f"external_ids:iface-id={interface.port_id}",
            )  # fmt: skip
            namespace.interfaces[inside] = interface
            namespace.bridge_ports.append(outside)
        run("ip", "-n", name, "-batch", "-", stdin="\n".join(script) + "\n")
        return namespace

    def unplug(self, namespace: Namespace) -> None:
        """Delete a node's namespace (its veths go with it) and their ports on the bridge."""
        if self._nodes.pop(namespace.name, None) is None:
            return
        with contextlib.suppress(RuntimeError):
            run("ip", "netns", "delete", namespace.name)
        words = [
            word
            for port in namespace.bridge_ports
            for word in ("--", "--if-exists", "del-port", BRIDGE, port)
        ]
        if words:
            with contextlib.suppress(RuntimeError):
                self.vsctl("--no-wait", *words[1:])  # one transaction
