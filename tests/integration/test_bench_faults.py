"""bench's faults against the real engine: each gives a clear message, partial results written
atomically and marked partial, and nothing left behind (every container and image is labelled
with the run id, so "nothing left" is checked by that label).

The dead engine is real too: bench talks to the engine through a socket relay that the test
closes mid-run, which is what a crashed dockerd looks like from the client side.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench import build, config, runtime
from bench import run as bench_run
from bench.dockerd import Engine
from bench.errors import BuildFailed, ContainerFailed

pytestmark = pytest.mark.docker

TINY = Path(__file__).resolve().parents[1] / "bench" / "fixtures" / "tiny"
ROOT = Path(__file__).resolve().parents[2]


def _project(tmp_path: Path, variant_extra: str = "", dockerfile: str | None = None) -> Path:
    project = tmp_path / "project"
    shutil.copytree(TINY, project / "svc")
    if dockerfile is not None:
        (project / "svc/Dockerfile").write_text(dockerfile)
    (project / "pyproject.toml").write_text(
        "[tool.dockperf.bench]\n"
        "variants = [{ name = 'tiny', dockerfile = 'svc/Dockerfile',"
        f" source_file = 'svc/src/server.py'{variant_extra} }}]\n"
    )
    return project


def _labelled(client, run_id: str) -> tuple[list, list]:
    selector = {"label": f"dockperf.bench={run_id}"}
    return (
        client.containers.list(all=True, filters=selector),
        client.images.list(all=True, filters=selector),
    )


def _quick(tmp_path: Path, run_id: str, **kw: object) -> bench_run.Options:
    base = {
        "repeat": 1,
        "startup_repeat": 1,
        "settle_seconds": 0.2,
        "load_seconds": 0.5,
        "concurrency": 2,
        "output_dir": tmp_path / "reports",
        "run_id": run_id,
        "health_timeout": 30.0,
    }
    return bench_run.Options(**{**base, **kw})  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def tiny_image(docker_engine: Engine, docker_client, python_base: str) -> Iterator[str]:
    spec = build.BuildSpec(
        context=TINY,
        dockerfile=TINY / "Dockerfile",
        tag="dockperf-test/tiny:faults",
        run_id="pytest-faults",
        timeout=300,
    )
    yield build.build(docker_engine, spec).image_id
    bench_run.cleanup(docker_client, "pytest-faults")


# --- build failure -----------------------------------------------------------------------------


def test_build_failure_raises_with_buildkit_error(
    docker_engine: Engine, python_base: str, tmp_path: Path
) -> None:
    (tmp_path / "Dockerfile").write_text(
        "FROM python:3.13-slim\nRUN echo about to fail && exit 3\n"
    )
    spec = build.BuildSpec(
        context=tmp_path,
        dockerfile=tmp_path / "Dockerfile",
        tag="dockperf-test/fail:1",
        run_id="pytest-buildfail",
        timeout=120,
    )
    with pytest.raises(BuildFailed) as info:
        build.build(docker_engine, spec)
    assert str(info.value) == (
        f"build of {tmp_path / 'Dockerfile'} failed: executor failed running "
        "[/bin/sh -c echo about to fail && exit 3]: exit code: 3"
    )
    assert "about to fail" in info.value.log_tail


def test_build_timeout_stops_the_build(
    docker_engine: Engine, python_base: str, tmp_path: Path
) -> None:
    (tmp_path / "Dockerfile").write_text("FROM python:3.13-slim\nRUN sleep 60\n")
    spec = build.BuildSpec(
        context=tmp_path,
        dockerfile=tmp_path / "Dockerfile",
        tag="dockperf-test/slow:1",
        run_id="pytest-buildslow",
        timeout=3,
        no_cache=True,
    )
    start = time.monotonic()
    with pytest.raises(BuildFailed, match="did not finish within 3 s"):
        build.build(docker_engine, spec)
    assert time.monotonic() - start < 25


def test_failed_variant_is_partial_and_written(
    docker_engine: Engine, docker_client, python_base: str, tmp_path: Path
) -> None:
    project = _project(tmp_path, dockerfile="FROM python:3.13-slim\nRUN exit 7\n")
    outcome = bench_run.run(config.load(project), _quick(tmp_path, "pytest-variantfail"))
    data = json.loads((tmp_path / "reports/metrics.json").read_text())
    v = data["variants"]["tiny"]
    assert v["partial"] is True
    assert v["errors"][0].startswith(
        "build of " + str(project / "svc/Dockerfile") + " failed: executor failed running "
        "[/bin/sh -c exit 7]: exit code: 7"
    )
    assert v["build"] is None and v["image"] is None and v["runtime"] is None
    assert outcome.interrupted is False and outcome.fatal is None
    assert "❌ fail" in (tmp_path / "reports/bench.md").read_text()
    assert sorted(p.name for p in (tmp_path / "reports").iterdir()) == ["bench.md", "metrics.json"]
    assert _labelled(docker_client, "pytest-variantfail") == ([], [])


# --- containers that never become healthy ------------------------------------------------------


def test_never_healthy_times_out_with_a_clear_message(docker_client, tiny_image: str) -> None:
    spec = runtime.RunSpec(
        image=tiny_image,
        run_id="pytest-faults-rt",
        name="dockperf-test-unhealthy",
        env=(("HEALTH_STATUS", "503"),),
        health_timeout=3,
    )
    start = time.monotonic()
    try:
        with pytest.raises(ContainerFailed) as info:
            runtime.start(docker_client, spec, 0)
        elapsed = time.monotonic() - start
        assert 3 <= elapsed < 10
        assert "did not answer 200 on http://127.0.0.1:" in str(info.value)
        assert str(info.value).endswith("/health within 3 s (last status: 503)")
        assert "tiny: listening on 127.0.0.1:" in info.value.log_tail
    finally:
        bench_run.cleanup(docker_client, "pytest-faults-rt")
        assert _labelled(docker_client, "pytest-faults-rt") == ([], [])


def test_container_exiting_reports_exit_code_and_logs(docker_client, tiny_image: str) -> None:
    spec = runtime.RunSpec(
        image=tiny_image,
        run_id="pytest-faults-rt",
        name="dockperf-test-exits",
        env=(("FAIL_AT_START", "3"),),
        health_timeout=30,
    )
    try:
        with pytest.raises(ContainerFailed) as info:
            runtime.start(docker_client, spec, 0)
        assert info.value.exit_code == 3
        assert info.value.log_tail == "tiny: failing at start as asked"
        assert str(info.value).startswith(
            "container dockperf-test-exits-0 exited with code 3 before answering /health"
        )
    finally:
        bench_run.cleanup(docker_client, "pytest-faults-rt")
        assert _labelled(docker_client, "pytest-faults-rt") == ([], [])


def test_never_healthy_variant_keeps_build_results(
    docker_engine: Engine, docker_client, python_base: str, tmp_path: Path
) -> None:
    project = _project(tmp_path, ", env = { HEALTH_STATUS = '500' }")
    opts = _quick(tmp_path, "pytest-unhealthy", health_timeout=2.0, scenarios=("warm",))
    bench_run.run(config.load(project), opts)
    v = json.loads((tmp_path / "reports/metrics.json").read_text())["variants"]["tiny"]
    assert v["partial"] is True
    assert "within 2 s (last status: 500)" in v["errors"][0]
    assert "last log lines:\ntiny: listening on 127.0.0.1:" in v["errors"][0]
    assert len(v["build"]["warm"]["runs"]) == 1
    assert v["image"]["layer_count"] == 8
    assert v["runtime"] is None
    assert _labelled(docker_client, "pytest-unhealthy") == ([], [])


# --- Ctrl-C --------------------------------------------------------------------------------


def test_sigint_during_a_run_cleans_up_and_keeps_partial_results(
    docker_engine: Engine, docker_client, python_base: str, tmp_path: Path
) -> None:
    # The container takes 60 s to listen, so SIGINT arrives while bench waits for health.
    project = _project(tmp_path, ", env = { STARTUP_DELAY = '60' }")
    source = (project / "svc/src/server.py").read_bytes()
    reports = tmp_path / "reports"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bench",
            "run",
            "--project",
            str(project),
            "--run-id",
            "pytest-sigint",
            "--output-dir",
            str(reports),
            "--repeat",
            "1",
            "--startup-repeat",
            "1",
            "--no-provision",
            "--health-timeout",
            "120",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and proc.poll() is None:
            if _labelled(docker_client, "pytest-sigint")[0]:
                break
            time.sleep(0.5)
        assert proc.poll() is None, proc.communicate()
        assert _labelled(docker_client, "pytest-sigint")[0], "no container appeared in time"
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert "interrupted" in err
    data = json.loads((reports / "metrics.json").read_text())
    v = data["variants"]["tiny"]
    assert v["partial"] is True
    assert v["errors"] == ["interrupted by SIGINT"]
    assert set(v["build"]) == {"cold", "warm", "source_change", "deps_change", "steps"}
    assert v["runtime"] is None
    assert (project / "svc/src/server.py").read_bytes() == source
    assert _labelled(docker_client, "pytest-sigint") == ([], [])


def test_sigint_during_a_build_restores_the_edited_file(
    docker_engine: Engine, docker_client, python_base: str, tmp_path: Path
) -> None:
    # A build that takes long after the source copy: SIGINT lands inside the source_change build.
    dockerfile = (TINY / "Dockerfile").read_text() + "RUN sleep 30\n"
    project = _project(tmp_path, dockerfile=dockerfile)
    source = project / "svc/src/server.py"
    original = source.read_bytes()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bench",
            "run",
            "--project",
            str(project),
            "--run-id",
            "pytest-sigint-build",
            "--output-dir",
            str(tmp_path / "reports"),
            "--repeat",
            "1",
            "--scenario",
            "source_change",
            "--no-provision",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and source.read_bytes() == original:
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.2)
        assert source.read_bytes() != original, "the source file was never edited"
        time.sleep(2)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert source.read_bytes() == original
    assert not list((project / ".dockperf/backups").iterdir())
    v = json.loads((tmp_path / "reports/metrics.json").read_text())["variants"]["tiny"]
    assert (v["partial"], v["errors"], v["build"]) == (True, ["interrupted by SIGINT"], None)
    assert _labelled(docker_client, "pytest-sigint-build") == ([], [])


# --- engine unreachable or dying -------------------------------------------------------------


def test_unreachable_engine_is_a_clear_error(tmp_path: Path) -> None:
    project = _project(tmp_path)
    sock = tmp_path / "nothing.sock"
    env = {**os.environ, "DOCKER_HOST": f"unix://{sock}"}
    env.pop("DOCKER_CONTEXT", None)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "run",
            "--project",
            str(project),
            "--no-provision",
            "--output-dir",
            str(tmp_path / "reports"),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )
    assert done.returncode == 2
    assert f"bench: error: no Docker engine answers at unix://{sock}" in done.stderr
    assert "point DOCKER_HOST" in done.stderr
    assert "Traceback" not in done.stderr
    v = json.loads((tmp_path / "reports/metrics.json").read_text())["variants"]["tiny"]
    assert v["partial"] is True
    assert v["errors"][0].startswith(f"no Docker engine answers at unix://{sock}")


class _Relay:
    """A unix-socket relay to the real engine; `kill()` makes the engine vanish for clients."""

    def __init__(self, path: Path, upstream: str) -> None:
        self.path, self.upstream = path, upstream
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(str(path))
        self.server.listen(64)
        self.conns: list[socket.socket] = []
        self.dead = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.dead:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            up = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            up.connect(self.upstream)
            self.conns += [client, up]
            for a, b in ((client, up), (up, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def kill(self) -> None:
        self.dead = True
        self.server.close()
        self.path.unlink(missing_ok=True)
        for conn in self.conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()


def test_engine_dying_mid_run_is_fatal_but_results_are_kept(
    docker_engine: Engine, docker_client, python_base: str, tmp_path: Path
) -> None:
    upstream = docker_client.api.base_url  # http+docker://localhost for the default socket
    real = "/var/run/docker.sock"
    if not upstream.startswith("http+docker://") or not Path(real).exists():
        pytest.skip("the relay needs the engine on the local unix socket")
    relay = _Relay(tmp_path / "relay.sock", real)
    project = _project(tmp_path, ", env = { STARTUP_DELAY = '60' }")
    env = {**os.environ, "DOCKER_HOST": f"unix://{relay.path}"}
    env.pop("DOCKER_CONTEXT", None)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bench",
            "run",
            "--project",
            str(project),
            "--run-id",
            "pytest-enginedies",
            "--output-dir",
            str(tmp_path / "reports"),
            "--repeat",
            "1",
            "--startup-repeat",
            "1",
            "--scenario",
            "warm",
            "--no-provision",
            "--health-timeout",
            "120",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and proc.poll() is None:
            if _labelled(docker_client, "pytest-enginedies")[0]:
                break
            time.sleep(0.5)
        assert proc.poll() is None, proc.communicate()
        relay.kill()
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
        bench_run.cleanup(docker_client, "pytest-enginedies")  # the engine itself lives on
    assert proc.returncode == 2, err
    assert "the Docker engine stopped answering" in err
    assert "Traceback" not in err
    v = json.loads((tmp_path / "reports/metrics.json").read_text())["variants"]["tiny"]
    assert v["partial"] is True
    assert v["errors"][0].startswith("the Docker engine stopped answering")
    assert len(v["build"]["warm"]["runs"]) == 1
