"""A program the Pulumi CLI stops ends without a Python traceback.

When an update fails (a provider refuses a resource) or is cancelled, the CLI stops its
plugins, the language host and the program with it, with SIGINT (then a kill after five
seconds). The Python language host's runner (`pulumi-language-python-exec`) catches
`Exception`, not `KeyboardInterrupt`: a program still registering resources then died
printing a KeyboardInterrupt traceback of wherever it was waiting, which the CLI showed
among the update's diagnostics under the provider's own error (seen with the real engine:
tests/engine/test_guardrails.py). The error is the provider's; the traceback says nothing.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType


def _stopped(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(1)  # unwinds as KeyboardInterrupt would, and prints nothing


def exit_quietly_when_stopped() -> None:
    """Once, at the top of a program the Pulumi CLI runs: stopped by the CLI, it exits
    with status 1 and no traceback. Off the main thread (an Automation API inline program,
    which runs in its caller's process) it changes nothing."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, _stopped)
