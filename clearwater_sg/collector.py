"""Keep evaluation cost linear in the number of deployments a program creates.

A Pulumi program keeps every resource it registers alive until it ends, and Python's
cyclic garbage collector rescans all of them at each full collection: fifty deployments
in one program cost far more than fifty times one. Objects that survive a collection
are, in such a program, the registered resources and what they hold; moving them to the
collector's permanent generation (`gc.freeze`) takes them out of later scans, while new
garbage is still collected.
"""

from __future__ import annotations

import gc
from typing import Any


def _freeze_survivors(phase: str, info: dict[str, Any]) -> None:
    if phase == "stop" and info["generation"] >= 1:
        gc.freeze()


def spare_registered_resources() -> None:
    """Once, at the top of a program that registers many resources: objects that survive
    a collection are not scanned again. Calling it again changes nothing."""
    if _freeze_survivors not in gc.callbacks:
        gc.callbacks.append(_freeze_survivors)
