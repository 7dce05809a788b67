"""Run containers and measure them: startup to healthy, memory idle and under load, workers
and the resident memory of one worker.

Containers use host networking (there is no bridge), so each one gets a free loopback port through
HOST/PORT in its environment. Startup is timed from the `docker run` call (create + start) to the
first HTTP 200 on the health path; every wait has a deadline and a container that exits early is
reported with its exit code and its last log lines.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import math
import os
import re
import socket
import statistics
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench import loadgen
from bench.build import LABEL
from bench.errors import BenchError, ContainerFailed
from bench.metrics import MIB, Limits
from bench.shell import log
from bench.units import bytes_size, parse_memory

if TYPE_CHECKING:
    import docker
    from docker.models.containers import Container

HOST = "127.0.0.1"
HEALTH_TIMEOUT = 60.0
POLL_INTERVAL = 0.05
LOG_LINES = 20
NO_LIMITS = Limits(None, None)


@dataclass(frozen=True)
class RunSpec:
    image: str
    run_id: str
    name: str  # container name prefix
    health_path: str = "/health"
    env: tuple[tuple[str, str], ...] = ()
    limits: Limits = NO_LIMITS
    health_timeout: float = HEALTH_TIMEOUT


@dataclass(frozen=True)
class Started:
    container_id: str
    port: int
    seconds: float


def free_port() -> int:
    """A port nothing listens on now (the server binds it a moment later; collisions are rare
    and show up as a clear never-healthy error, not a wrong number)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def _http_status(port: int, path: str, timeout: float = 1.0) -> int | None:
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        # Read the body before closing: closing with unread data resets the connection, which
        # servers log as errors (noise in the very logs we show when a container fails).
        response.read()
    except (OSError, http.client.HTTPException):
        return None
    else:
        return response.status
    finally:
        conn.close()


def _tail(container: Container, lines: int = LOG_LINES) -> str:
    try:
        data = container.logs(tail=lines)
    except Exception as exc:  # the container may already be gone; the message is best effort
        return f"(no logs: {exc})"
    return data.decode(errors="replace").rstrip()


def start(client: docker.DockerClient, spec: RunSpec, index: int) -> Started:
    """`docker run` one container and wait until it answers 200 on the health path."""
    port = free_port()
    environment = {**dict(spec.env), "HOST": HOST, "PORT": str(port)}
    kwargs: dict[str, Any] = {}
    if spec.limits.cpus:
        kwargs["nano_cpus"] = int(spec.limits.cpus * 1e9)
    if spec.limits.memory_bytes:
        kwargs["mem_limit"] = spec.limits.memory_bytes
    name = f"{spec.name}-{index}"
    t0 = time.monotonic()
    container = client.containers.run(
        spec.image,
        detach=True,
        name=name,
        network_mode="host",
        environment=environment,
        labels={LABEL: spec.run_id},
        **kwargs,
    )
    deadline = t0 + spec.health_timeout
    next_check = t0
    while True:
        status = _http_status(port, spec.health_path)
        now = time.monotonic()
        if status == 200:
            return Started(container.id or name, port, now - t0)
        if now >= next_check:
            # Checking the container costs an API call; do it a few times a second, not per poll.
            next_check = now + 0.5
            container.reload()
            if container.status in ("exited", "dead"):
                code = container.attrs.get("State", {}).get("ExitCode")
                raise ContainerFailed(
                    f"container {name} exited with code {code} before answering "
                    f"{spec.health_path} on port {port}",
                    exit_code=code,
                    log_tail=_tail(container),
                )
        if now >= deadline:
            raise ContainerFailed(
                f"container {name} did not answer 200 on http://{HOST}:{port}{spec.health_path} "
                f"within {spec.health_timeout:.0f} s (last status: {status or 'no answer'})",
                log_tail=_tail(container),
            )
        time.sleep(POLL_INTERVAL)


def remove(client: docker.DockerClient, container_id: str) -> None:
    import docker as docker_sdk

    with contextlib.suppress(docker_sdk.errors.NotFound):
        client.containers.get(container_id).remove(force=True)


def memory_usage(stats: Mapping[str, Any]) -> int:
    """Memory as `docker stats` shows it: usage minus inactive page cache (CLI 20.10+)."""
    mem = stats.get("memory_stats") or {}
    usage = int(mem.get("usage") or 0)
    detail = mem.get("stats") or {}
    for key in ("total_inactive_file", "inactive_file"):  # cgroup v1, then v2
        if key in detail and int(detail[key]) < usage:
            return usage - int(detail[key])
    return usage


def memory_limit(stats: Mapping[str, Any]) -> int | None:
    limit = (stats.get("memory_stats") or {}).get("limit")
    return int(limit) if limit else None


def sample_memory(container: Container) -> tuple[int, int | None]:
    stats = container.stats(stream=False, one_shot=True)
    return memory_usage(stats), memory_limit(stats)


# `docker top` runs ps on the engine's host (the slim images have no ps); RSS is in KiB.
TOP_PS_ARGS = "-eo pid,ppid,rss,args"


def worker_processes(top: Mapping[str, Any]) -> list[list[str]]:
    """The rows of `docker top` that are server processes serving requests.

    The server is the outermost python process; workers are its python children (uvicorn and
    gunicorn fork or spawn them), except multiprocessing's helper processes. A server without
    children serves by itself: it is the one worker.
    """
    titles = [t.upper() for t in top.get("Titles", [])]
    pid_i, ppid_i = titles.index("PID"), titles.index("PPID")
    cmd_i = titles.index("CMD") if "CMD" in titles else len(titles) - 1
    rows = {row[pid_i]: row for row in top.get("Processes", [])}

    def is_server(cmd: str) -> bool:
        helper = re.search(r"resource_tracker|semaphore_tracker|forkserver", cmd)
        return bool(re.search(r"python|uvicorn|gunicorn|hypercorn", cmd)) and not helper

    servers = {pid for pid, row in rows.items() if is_server(row[cmd_i])}
    roots = [pid for pid in servers if rows[pid][ppid_i] not in servers]
    children = [pid for pid in servers if rows[pid][ppid_i] in roots]
    return [rows[pid] for pid in sorted(children or roots, key=int)]


def count_workers(top: Mapping[str, Any]) -> int:
    """Server processes that serve requests, from `docker top` (see worker_processes)."""
    return len(worker_processes(top))


def worker_memory(top: Mapping[str, Any]) -> int | None:
    """Resident memory of one worker in bytes: the workers' median RSS, rounded up to a MiB.

    Needs an RSS column (`TOP_PS_ARGS`); None without one or without workers. RSS counts the
    pages a worker shares with the others (libraries, copy-on-write), so it errs on the high
    side: the figure sizes WORKERS=auto conservatively.
    """
    titles = [t.upper() for t in top.get("Titles", [])]
    if "RSS" not in titles:
        return None
    rss_i = titles.index("RSS")
    kib = [int(row[rss_i]) for row in worker_processes(top) if row[rss_i].isdigit()]
    if not kib:
        return None
    return math.ceil(statistics.median(kib) / 1024) * MIB


# --------------------------------------------------------------------------------------------
# limits


def _interpolate(value: Any) -> Any:
    """Compose's ${VAR}, ${VAR:-default} and ${VAR-default} in scalar values."""
    if not isinstance(value, str):
        return value

    def repl(m: re.Match[str]) -> str:
        name, sep, default = m.group(1), m.group(2), m.group(3) or ""
        current = os.environ.get(name)
        if current is None or (sep == ":-" and current == ""):
            return default
        return current

    return re.sub(r"\$\{(\w+)(?:(:?-)([^}]*))?\}", repl, value)


def compose_limits(path: Path, service: str | None) -> tuple[float | None, int | None, str]:
    """(cpus, memory bytes, service name) from deploy.resources.limits (or cpus/mem_limit)."""
    try:
        import yaml
    except ImportError as exc:
        raise BenchError(
            f"{path}: reading compose files needs PyYAML (pip install -e '.[bench]')"
        ) from exc

    try:
        data = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise BenchError(f"{path}: cannot read compose file: {exc}") from exc
    services = data.get("services") or {}
    if not services:
        raise BenchError(f"{path}: no services")
    name = service or next(iter(services))
    if name not in services:
        raise BenchError(f"{path}: no service {name!r} (has {', '.join(services)})")
    svc = services[name] or {}
    limits = ((svc.get("deploy") or {}).get("resources") or {}).get("limits") or {}
    cpus = _interpolate(limits.get("cpus", svc.get("cpus")))
    memory = _interpolate(limits.get("memory", svc.get("mem_limit")))
    return (
        float(cpus) if cpus not in (None, "") else None,
        parse_memory(memory) if memory not in (None, "") else None,
        name,
    )


def clamp_limits(
    cpus: float | None, memory: int | None, host_cpus: int, host_memory: int, source: str
) -> Limits:
    """The compose file's limits, lowered to what the engine's machine has (with a note)."""
    notes = []
    if cpus is not None and cpus > host_cpus:
        notes.append(f"{source}: cpus {cpus:g} clamped to the machine's {host_cpus}")
        cpus = float(host_cpus)
    if memory is not None and memory > host_memory:
        notes.append(
            f"{source}: memory {bytes_size(memory)} clamped to the machine's "
            f"{bytes_size(host_memory)}"
        )
        memory = host_memory
    return Limits(cpus=cpus, memory_bytes=memory, notes=tuple(notes))


# --------------------------------------------------------------------------------------------
# a whole runtime measurement


@dataclass(frozen=True)
class RuntimeResult:
    startups: tuple[float, ...]
    memory_idle_bytes: int | None
    memory_load_bytes: int | None
    memory_limit_bytes: int | None
    requests_per_second: float | None
    workers: int | None
    worker_memory_bytes: int | None = None  # RSS of one worker (worker_memory)


@dataclass(frozen=True)
class Plan:
    repeats: int = 5
    settle_seconds: float = 5.0
    load_seconds: float = 10.0
    concurrency: int = 16


def measure(
    client: docker.DockerClient,
    spec: RunSpec,
    plan: Plan,
    on_step: Callable[[str], None] = lambda _: None,
    started_ids: list[str] | None = None,
) -> RuntimeResult:
    """Startup `plan.repeats` times; the last container is kept for memory, workers and load.

    Every container created is recorded in `started_ids` first, so the caller can remove it
    whatever happens; this function removes the ones it is done with.
    """
    ids = started_ids if started_ids is not None else []
    startups: list[float] = []
    last: Started | None = None
    try:
        for i in range(plan.repeats):
            on_step(f"startup {i + 1}/{plan.repeats}")
            try:
                started = start(client, spec, i)
            finally:
                # The container exists even when start() failed; record it for removal.
                _record(client, f"{spec.name}-{i}", ids)
            startups.append(started.seconds)
            if last is not None:
                remove(client, last.container_id)
            last = started
        assert last is not None
        container = client.containers.get(last.container_id)
        on_step(f"settling {plan.settle_seconds:g} s")
        time.sleep(plan.settle_seconds)
        samples = [sample_memory(container) for _ in range(3)]
        idle = int(statistics.median(s[0] for s in samples))
        limit = samples[-1][1]
        workers = count_workers(container.top())
        on_step(f"load {plan.load_seconds:g} s x{plan.concurrency} on 127.0.0.1:{last.port}")
        peak, result = _under_load(container, last.port, spec.health_path, plan)
        _check_alive(container, "under load")
        # After the load: the workers have served requests, as a running service's have.
        per_worker = worker_memory(_top(container))
    except ContainerFailed as exc:
        exc.startups = tuple(startups)
        raise
    remove(client, last.container_id)
    log.info(
        "%s: rps %.0f (%d ok, %d failed), peak memory %s, %s per worker",
        spec.name,
        result.requests_per_second,
        result.ok,
        result.failed,
        bytes_size(peak),
        bytes_size(per_worker) if per_worker is not None else "?",
    )
    return RuntimeResult(
        startups=tuple(startups),
        memory_idle_bytes=idle,
        memory_load_bytes=peak,
        memory_limit_bytes=limit,
        requests_per_second=result.requests_per_second,
        workers=workers,
        worker_memory_bytes=per_worker,
    )


def _top(container: Container) -> Mapping[str, Any]:
    """`docker top` with an RSS column; plain `docker top` where the host's ps rejects -o (the
    workers are still counted, their memory is not)."""
    import docker as docker_sdk

    try:
        return container.top(ps_args=TOP_PS_ARGS)
    except docker_sdk.errors.APIError as exc:
        log.warning("docker top %s failed (%s); worker memory not measured", TOP_PS_ARGS, exc)
        return container.top()


def _check_alive(container: Container, when: str) -> None:
    """A server that died (e.g. killed for memory) must not pass as a measured one."""
    container.reload()
    if container.status in ("exited", "dead"):
        state = container.attrs.get("State", {})
        oom = " (killed: out of memory)" if state.get("OOMKilled") else ""
        raise ContainerFailed(
            f"container {container.name} exited with code {state.get('ExitCode')} {when}{oom}",
            exit_code=state.get("ExitCode"),
            log_tail=_tail(container),
        )


def _record(client: docker.DockerClient, name: str, ids: list[str]) -> None:
    import docker as docker_sdk

    with contextlib.suppress(docker_sdk.errors.NotFound):
        ids.append(str(client.containers.get(name).id))


def _under_load(
    container: Container, port: int, path: str, plan: Plan
) -> tuple[int, loadgen.LoadResult]:
    """Run the load while a thread samples memory; return the peak and the load result."""
    peak = [0]
    stop = threading.Event()

    def sampler() -> None:
        while not stop.is_set():
            with contextlib.suppress(Exception):
                peak[0] = max(peak[0], sample_memory(container)[0])
            stop.wait(0.25)

    thread = threading.Thread(target=sampler, daemon=True)
    thread.start()
    try:
        result = asyncio.run(loadgen.load(port, path, plan.load_seconds, plan.concurrency))
    finally:
        stop.set()
        thread.join(timeout=10)
    with contextlib.suppress(Exception):
        peak[0] = max(peak[0], sample_memory(container)[0])
    if result.ok == 0:
        raise ContainerFailed(f"no request succeeded under load ({result.failed} failed)")
    return peak[0], result
