"""WORKERS=auto under real container limits: the workers uvicorn starts are the ones reported.

backend/scripts/docker-entrypoint.sh sizes the pool from the cgroup's CPU quota and memory limit.
Each case runs a tiny image (python:3.13-slim + uvicorn + the entrypoint + a ten-line ASGI app,
so it builds in seconds) under `--cpus`/`--memory`, reads the count the entrypoint printed,
counts the worker processes that actually run inside the container, and checks both against
the count the limits imply.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = pytest.mark.docker

REPO = Path(__file__).resolve().parents[2]
ENTRYPOINT = REPO / "backend" / "scripts" / "docker-entrypoint.sh"
UVICORN_PIN = "uvicorn==0.32.1"  # the backend's pin: the flags the entrypoint passes must exist
REPORT_RE = re.compile(r"dockperf-entrypoint: workers=(\d+) \(cpu_limit=")
START_TIMEOUT = 60.0
# Mirrors the entrypoint's default: room for the supervisor and the resource tracker.
MEMORY_RESERVE_MB = 40

TINY_APP = """\
async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            await send({"type": message["type"] + ".complete"})
            if message["type"] == "lifespan.shutdown":
                return
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})
"""

TINY_DOCKERFILE = f"""\
FROM python:3.13-slim
RUN --mount=type=cache,target=/root/.cache/pip,sharing=locked pip install {UVICORN_PIN}
COPY --chmod=0755 docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
COPY tiny.py /app/tiny.py
WORKDIR /app
ENV APP_MODULE=tiny:app UVICORN_LOOP=asyncio UVICORN_HTTP=h11 ACCESS_LOG=0
ENTRYPOINT ["docker-entrypoint.sh"]
"""

# Run inside the container: PID 1 is uvicorn (the entrypoint execs it). With several workers
# it is a supervisor whose workers are multiprocessing "spawn" children; with one it serves
# itself. The resource tracker is also a child of PID 1 but not a worker.
COUNT_WORKERS = """\
import os
def cmd(pid):
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        return f.read().replace(b"\\0", b" ").decode()
def ppid(pid):
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[1])
pids = [int(p) for p in os.listdir("/proc") if p.isdigit()]
spawned = [p for p in pids if p != 1 and ppid(p) == 1 and "multiprocessing.spawn" in cmd(p)]
print(len(spawned) if spawned else (1 if "uvicorn" in cmd(1) else 0))
"""


@dataclass(frozen=True)
class Limits:
    cpus: float | None
    memory_mb: int | None
    worker_memory_mb: int = 120
    workers_per_cpu: int = 1

    def expected(self, host_cpus: int) -> int:
        cpu = min(self.cpus, host_cpus) if self.cpus is not None else host_cpus
        workers = math.ceil(round(cpu * 1000) * self.workers_per_cpu / 1000)
        if self.memory_mb is not None:
            workers = min(workers, (self.memory_mb - MEMORY_RESERVE_MB) // self.worker_memory_mb)
        return max(1, workers)


CASES = {
    # CPU quota below one core: nproc would say every host core, the quota says one.
    "half-cpu": Limits(cpus=0.5, memory_mb=None),
    # A fractional quota rounds up, and the memory limit (512 MB / 120) does not bind.
    "1.5-cpus-512m": Limits(cpus=1.5, memory_mb=512),
    # Memory binds: (300 - 40) // 100 = 2 workers although 3 CPUs' worth are asked for.
    "memory-bound": Limits(cpus=1.0, memory_mb=300, worker_memory_mb=100, workers_per_cpu=3),
    # Several workers per CPU of quota, memory permitting.
    "3-per-cpu": Limits(cpus=1.0, memory_mb=1024, worker_memory_mb=60, workers_per_cpu=3),
    # No limits at all: nproc is the fallback.
    "unlimited": Limits(cpus=None, memory_mb=None),
}


def _fail_or_skip(reason: str) -> None:
    # In CI a missing engine is a broken machine, not a reason to pass quietly.
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason)
    pytest.skip(reason)


@dataclass(frozen=True)
class Docker:
    argv: list[str]
    build_argv: list[str]
    env: dict[str, str]

    def run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*self.argv, *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**os.environ, **self.env},
            check=False,
        )


@pytest.fixture(scope="module")
def docker() -> Docker:
    try:
        from bench.baseimages import ensure_one
        from bench.dockerd import ensure_engine
        from bench.errors import BenchError
    except ImportError as exc:  # the bench extra (docker SDK) is not installed
        _fail_or_skip(f"bench's engine helpers are unavailable: {exc}")
        raise
    in_ci = os.environ.get("CI", "").lower() == "true"
    try:
        engine = ensure_engine(provision=in_ci)
    except BenchError as exc:
        _fail_or_skip(f"no Docker engine: {exc}")
        raise
    try:
        ensure_one("python:3.13-slim", engine.docker, engine.env)
    except BenchError as exc:
        pytest.fail(f"cannot make python:3.13-slim available: {exc}")
    return Docker(engine.docker, engine.build_argv(), engine.env)


@pytest.fixture(scope="module")
def tiny_image(docker: Docker, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    context = tmp_path_factory.mktemp("tiny-image")
    (context / "Dockerfile").write_text(TINY_DOCKERFILE)
    (context / "tiny.py").write_text(TINY_APP)
    shutil.copy(ENTRYPOINT, context / "docker-entrypoint.sh")
    tag = f"dockperf-test-entrypoint:{uuid.uuid4().hex[:12]}"
    build = subprocess.run(
        [*docker.build_argv, "--network", "host", "-t", tag, str(context)],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, **docker.env},
        check=False,
    )
    assert build.returncode == 0, build.stderr[-3000:]
    try:
        yield tag
    finally:
        docker.run("image", "rm", "-f", tag)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_workers(docker: Docker, name: str, port: int) -> tuple[int, str]:
    """The reported count, once the server answers and every worker has finished starting."""
    deadline = time.monotonic() + START_TIMEOUT
    logs = ""
    while time.monotonic() < deadline:
        state = docker.run("inspect", "--format", "{{.State.Running}}", name).stdout.strip()
        logs = docker.run("logs", name).stderr
        if state != "true":
            pytest.fail(f"container {name} stopped:\n{logs[-2000:]}")
        match = REPORT_RE.search(logs)
        if match:
            reported = int(match.group(1))
            if logs.count("Application startup complete") >= reported and _answers(port):
                return reported, logs
        time.sleep(0.2)
    pytest.fail(f"container {name} not ready within {START_TIMEOUT:.0f} s:\n{logs[-2000:]}")


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(b"GET / HTTP/1.0\r\nHost: localhost\r\n\r\n")
            return sock.recv(64).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


@pytest.mark.parametrize("case", list(CASES))
def test_auto_workers_match_limits(docker: Docker, tiny_image: str, case: str) -> None:
    limits = CASES[case]
    host_cpus = int(
        docker.run(
            "run", "--rm", "--network", "host", "--entrypoint", "nproc", tiny_image
        ).stdout.strip()
    )
    if limits.cpus is not None and limits.cpus > host_cpus:
        pytest.skip(f"needs {limits.cpus} CPUs, the engine has {host_cpus}")
    port = _free_port()
    name = f"dockperf-test-workers-{uuid.uuid4().hex[:10]}"
    argv = ["run", "-d", "--name", name, "--network", "host"]
    if limits.cpus is not None:
        argv += ["--cpus", str(limits.cpus)]
    if limits.memory_mb is not None:
        # Equal swap limit: without it, v1 lets the cgroup spill over and the limit means less.
        argv += ["--memory", f"{limits.memory_mb}m", "--memory-swap", f"{limits.memory_mb}m"]
    argv += [
        "-e", "HOST=127.0.0.1",
        "-e", f"PORT={port}",
        "-e", "WORKERS=auto",
        "-e", f"WORKER_MEMORY_MB={limits.worker_memory_mb}",
        "-e", f"WORKERS_PER_CPU={limits.workers_per_cpu}",
        tiny_image,
    ]  # fmt: skip
    started = docker.run(*argv)
    assert started.returncode == 0, started.stderr
    try:
        reported, logs = _wait_for_workers(docker, name, port)
        counted = docker.run("exec", name, "python", "-c", COUNT_WORKERS)
        assert counted.returncode == 0, counted.stderr
        running = int(counted.stdout.strip())
        assert running == reported, logs
        assert reported == limits.expected(host_cpus), logs
        # Only flags uvicorn accepts: it would have exited at start otherwise.
        assert "No such option" not in logs
    finally:
        docker.run("rm", "-f", name)
