"""A program the Pulumi CLI stops (`clearwater_sg.interrupt`): SIGINT, as the CLI sends it
to a program still running after an update failed, ends it with status 1 and nothing on
stderr, where Python would print a KeyboardInterrupt traceback; off the main thread (an
Automation API inline program, in its caller's process) nothing changes. With the real
CLI: tests/engine/test_guardrails.py."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading

import pytest

from clearwater_sg import exit_quietly_when_stopped

WAITING = """
import os, signal, sys, time
{setup}
print("waiting", flush=True)
time.sleep(30)
"""


def _stopped(setup: str) -> subprocess.CompletedProcess[str]:
    program = WAITING.format(setup=setup)
    with subprocess.Popen(
        [sys.executable, "-c", program], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        assert process.stdout is not None and process.stdout.readline() == "waiting\n"
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def test_a_stopped_program_exits_without_a_traceback() -> None:
    quiet = _stopped(
        "from clearwater_sg import exit_quietly_when_stopped\nexit_quietly_when_stopped()"
    )
    assert (quiet.returncode, quiet.stderr) == (1, "")
    loud = _stopped("")
    assert "KeyboardInterrupt" in loud.stderr, "the test no longer shows what it guards against"


def test_off_the_main_thread_nothing_changes() -> None:
    before = signal.getsignal(signal.SIGINT)
    thread = threading.Thread(target=exit_quietly_when_stopped)
    thread.start()
    thread.join()
    assert signal.getsignal(signal.SIGINT) is before


@pytest.fixture(autouse=True)
def _keep_the_test_runners_handler() -> object:
    handler = signal.getsignal(signal.SIGINT)
    yield handler
    signal.signal(signal.SIGINT, handler)
