"""What the tests and the bench both run, none of it shipped: local clouds (moto's EC2,
Keystone, Neutron), the real engine's workspace, the independent reading of Clearwater's
port document, the largest configuration, and the bundled program run offline with a
configuration."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from clearwater_sg.stack_file import config_string
from offline.runner import Recording, run_project

PROJECT_DIR = Path(__file__).resolve().parent.parent
PROJECT = "clearwater-sg"
# The repository's own copy of Clearwater's port document: a user's clone has nothing beside it.
DOC = PROJECT_DIR / "reference" / "Clearwater_IP_Port_Usage.rst"
VPC = "vpc-0123456789abcdef0"
ALL_ROLES = ["ellis", "bono", "sprout", "dime", "homer", "vellum", "app-server"]


def aws(**config: object) -> dict[str, object]:
    return {"cloud": "aws", "vpcId": VPC, **config}


def openstack(**config: object) -> dict[str, object]:
    return {"cloud": "openstack", **config}


def run_main(
    config: Mapping[str, object], stack: str = "dev", recording: Recording | None = None
) -> Recording:
    """Run __main__.py with `config` given as the stack file would (keys without namespace)."""
    full = {
        (key if ":" in key else f"{PROJECT}:{key}"): config_string(value)
        for key, value in config.items()
    }
    return run_project(PROJECT_DIR, project=PROJECT, stack=stack, config=full, recording=recording)
