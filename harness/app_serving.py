"""What the OpenStack service scripts (`neutron_app.py`, `keystone_app.py`) share: a WSGI
server on loopback that logs each request in one line and stops with its launcher. It
runs under the OpenStack venv beside them, so it imports nothing from the project."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from types import FrameType
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server


def serve(name: str, port: int, application: Any, host: str = "127.0.0.1") -> WSGIServer:
    """`application` on host:port, one request at a time; its request log lines start with
    `name` (the engine bench counts them). SIGTERM, or the launcher's death, stops it."""

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            sys.stderr.write(f"{name}: {self.address_string()} {format % args}\n")

    server = make_server(host, port, application, handler_class=QuietHandler)

    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    parent = os.getppid()

    def watch() -> None:
        # A killed pytest cannot clean up: never leave a server behind.
        while os.getppid() == parent:
            time.sleep(1.0)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="parent-watchdog", daemon=True).start()
    return server


def exit_now(code: int) -> None:
    """Flush and leave at once: skip the interpreter's teardown of the OpenStack modules
    (about a second); the services commit their state per request, nothing else waits."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
