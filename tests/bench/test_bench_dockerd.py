"""Engine bookkeeping that needs no engine: who may provision, and what `--stop` may stop."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bench import dockerd


def test_remote_docker_host_is_never_provisioned(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "tcp://build-host.example:2376")
    assert dockerd.can_provision() is False


def test_local_default_socket_may_be_provisioned_as_root_on_debian(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    expected = Path("/etc/debian_version").exists() and dockerd.os.geteuid() == 0
    assert dockerd.can_provision() is expected


def test_docker_host_wins_over_contexts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "unix:///tmp/dockperf-test.sock")
    monkeypatch.setenv("DOCKER_CONTEXT", "some-context")
    assert dockerd._sdk_kwargs()["base_url"] == "unix:///tmp/dockperf-test.sock"


def test_stop_without_our_pidfile(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(dockerd, "PIDFILE", tmp_path / "dockerd.pid")
    assert dockerd.stop_engine() == (
        f"no engine started by bench ({tmp_path / 'dockerd.pid'} absent); nothing stopped"
    )


def test_stop_leaves_a_process_that_is_not_dockerd_alone(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    pidfile = tmp_path / "dockerd.pid"
    monkeypatch.setattr(dockerd, "PIDFILE", pidfile)
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        pidfile.write_text(f"{proc.pid}\n")
        assert (
            dockerd.stop_engine() == f"pid {proc.pid} in {pidfile} is not dockerd; leaving it alone"
        )
        assert proc.poll() is None
    finally:
        proc.kill()
        proc.wait()


def test_stale_pidfile_is_removed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    pidfile = tmp_path / "dockerd.pid"
    monkeypatch.setattr(dockerd, "PIDFILE", pidfile)
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    pidfile.write_text(f"{proc.pid}\n")
    assert dockerd.stop_engine() == (
        f"engine pid {proc.pid} from {pidfile} is not running; removed the stale pidfile"
    )
    assert not pidfile.exists()
