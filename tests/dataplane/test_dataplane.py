"""The data plane's daemons and namespaces (harness/dataplane.py): everything it starts it
stops, by pid, even when starting fails half-way; a killed run's namespaces are removed by
the next; a machine without the packages gets the command that installs them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from harness import dataplane
from harness.dataplane import DataPlane, DataPlaneUnavailableError, namespaces, run


def _alive(pid: int) -> bool:
    return Path(f"/proc/{pid}").exists()


def test_without_root_the_fix_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    with pytest.raises(DataPlaneUnavailableError, match="needs root"):
        dataplane.require_data_plane()


def test_missing_packages_are_named_with_the_command_that_installs_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(dataplane, "_which", lambda name: None if "ovn" in name else "/bin/x")
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    with pytest.raises(DataPlaneUnavailableError) as raised:
        dataplane.require_data_plane()
    assert str(raised.value) == (
        "the data plane needs ovn-controller, ovn-nbctl, ovn-northd (Debian packages "
        "ovn-central ovn-common ovn-host): run `make dataplane-setup` as root"
    )


@pytest.mark.dataplane
def test_stop_ends_every_daemon_and_namespace_it_started() -> None:
    plane = DataPlane().start()
    pids = plane.pids()
    run_dir = plane.run_dir
    assert len(pids) >= 6 and plane.hypervisor in namespaces()
    assert "br-int" in plane.vsctl("list-br")
    plane.stop()
    assert not any(_alive(pid) for pid in pids)
    assert not [name for name in namespaces() if name.startswith(plane.tag)]
    assert run_dir is not None and not run_dir.exists()
    plane.stop()  # twice is harmless


@pytest.mark.dataplane
def test_a_start_that_fails_half_way_leaves_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self: DataPlane) -> None:
        raise RuntimeError("OVN would not start")

    monkeypatch.setattr(DataPlane, "_start_ovn", broken)
    plane = DataPlane()
    with pytest.raises(RuntimeError, match="OVN would not start"):
        plane.start()
    assert not [name for name in namespaces() if name.startswith(plane.tag)]
    assert plane.run_dir is None and plane.pids() == []


@pytest.mark.dataplane
def test_the_namespaces_of_a_run_whose_process_is_gone_are_removed() -> None:
    gone = next(pid for pid in range(3_999_999, 3_000_000, -1) if not _alive(pid))
    abandoned = f"cwdp{gone}-dead-1-sprout-1"
    mine = f"cwdp{os.getpid()}-live-1-sprout-1"
    for name in (abandoned, mine):
        run("ip", "netns", "add", name)
    try:
        removed = dataplane.remove_abandoned_namespaces()
        assert abandoned in removed and mine not in removed
        assert mine in namespaces() and abandoned not in namespaces()
    finally:
        for name in (abandoned, mine):
            if name in namespaces():
                run("ip", "netns", "delete", name)
