"""Reading a deployment from Neutron (`clearwater_sg.live.openstack`), through `python -m
clearwater_sg.live` with openstacksdk against a live Neutron: no usable credentials, a
group that does not exist or belongs to another project, each one message, exit status
2."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from clearwater_sg.live.cli import EXIT_ERROR
from harness.servers import NeutronServer
from tests.live.helpers import LIVE_MARKS, cli, openstack_config_args

pytestmark = LIVE_MARKS


def test_missing_openstack_credentials(
    os_env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, report, err = cli(capsys, "drift", *openstack_config_args())
    assert (code, report) == (EXIT_ERROR, "")
    assert err.startswith("error: openstacksdk found no usable OpenStack credentials"), err
    assert "OS_CLOUD" in err and "clouds.yaml" in err


def test_unknown_openstack_group(
    neutron: NeutronServer,
    project_id: str,
    tmp_path: Path,
    os_env: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    missing = str(uuid.uuid4())
    where = ["--os-endpoint", neutron.url, "--project-id", project_id]
    code, _, err = cli(
        capsys, "adopt", *openstack_config_args(), *where, "--group", f"bono={missing}"
    )
    assert code == EXIT_ERROR
    assert f"error: security group {missing} (given for bono) does not exist" in err

    other = neutron.client.create_security_group("bono", project_id=uuid.uuid4().hex)["id"]
    code, _, err = cli(
        capsys, "adopt", *openstack_config_args(), *where, "--group", f"bono={other}"
    )
    assert code == EXIT_ERROR
    assert "(given for bono) belongs to project" in err and f"not to {project_id}" in err
