"""Find a Docker engine (DOCKER_HOST, docker contexts), provision one when allowed, pick a client.

The docker SDK has no BuildKit, so builds go through a Docker CLI. Which CLI can build is measured,
not assumed: a client with the buildx plugin builds with `docker buildx build`; an older client
(20.10) has BuildKit built in behind `DOCKER_BUILDKIT=1`; a newer client without buildx cannot.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.errors import EngineError
from bench.shell import log, run

if TYPE_CHECKING:
    import docker

STATE_DIR = Path("/run/dockperf")
PIDFILE = STATE_DIR / "dockerd.pid"
LOGFILE = Path("/var/log/dockperf/dockerd.log")
DEFAULT_SOCKET = "unix:///var/run/docker.sock"
START_TIMEOUT = 60.0
PING_TIMEOUT = 5.0
APT_TIMEOUT = 900.0
# Traffic must stay on loopback: no bridge, no NAT rules; builds and containers use host networking.
DOCKERD_FLAGS = ("--bridge=none", "--iptables=false")

HOW_TO_GET_AN_ENGINE = (
    "start one (as root on Debian/Ubuntu `python -m bench engine` installs docker.io and starts "
    "dockerd --bridge=none --iptables=false), or point DOCKER_HOST / `docker context use` at one"
)


@dataclass(frozen=True)
class Engine:
    """A reachable engine and the CLI that builds with BuildKit against it."""

    host: str
    server_version: str
    client: str
    client_version: str
    builder: str  # "buildx" or "DOCKER_BUILDKIT=1"
    started: bool = False

    @property
    def docker(self) -> list[str]:
        return [self.client]

    @property
    def env(self) -> dict[str, str]:
        """Environment for CLI calls: BuildKit on, progress as plain text, no colour codes."""
        return {"DOCKER_BUILDKIT": "1", "BUILDKIT_PROGRESS": "plain", "NO_COLOR": "1"}

    def build_argv(self) -> list[str]:
        if self.builder == "buildx":
            return [self.client, "buildx", "build", "--load"]
        return [self.client, "build"]

    def describe(self) -> str:
        how = (
            "buildx plugin" if self.builder == "buildx" else "built-in BuildKit (DOCKER_BUILDKIT=1)"
        )
        return (
            f"engine {self.server_version} at {self.host}; builds with {self.client} "
            f"{self.client_version}, {how}"
        )


# --------------------------------------------------------------------------------------------
# SDK connection


def _sdk_kwargs() -> dict[str, Any]:
    """Where the Docker CLI would connect: DOCKER_HOST wins, then DOCKER_CONTEXT/currentContext.

    (The CLI resolves it in this order too: an explicit host selects the "default" context.)
    """
    if os.environ.get("DOCKER_HOST"):
        from docker.utils import kwargs_from_env

        return kwargs_from_env()
    from docker.context import ContextAPI

    try:
        kwargs = ContextAPI.kwargs_from_context()
    except Exception as exc:  # a broken ~/.docker config is the user's to fix; say which
        raise EngineError(f"cannot read the current docker context: {exc}") from exc
    return kwargs or {"base_url": DEFAULT_SOCKET}


def connect(timeout: float = 120.0) -> docker.DockerClient:
    """An SDK client for the engine the CLI would use; EngineError when it does not answer."""
    import docker as docker_sdk

    kwargs = _sdk_kwargs()
    try:
        client = docker_sdk.DockerClient(timeout=timeout, **kwargs)
        client.ping()
    except Exception as exc:
        raise EngineError(
            f"no Docker engine answers at {kwargs.get('base_url')}: {_short(exc)}; "
            + HOW_TO_GET_AN_ENGINE
        ) from exc
    return client


def _short(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]


def ping(timeout: float = PING_TIMEOUT) -> str | None:
    """The server version when an engine answers, else None."""
    try:
        client = connect(timeout=timeout)
    except EngineError:
        return None
    try:
        return str(client.version().get("Version", "unknown"))
    finally:
        client.close()


# --------------------------------------------------------------------------------------------
# choosing a client


def _candidate_clients() -> list[str]:
    seen: dict[str, str] = {}
    path_hit = shutil.which("docker")
    for candidate in (path_hit, "/usr/bin/docker", "/usr/local/bin/docker"):
        if candidate and Path(candidate).exists():
            seen.setdefault(str(Path(candidate).resolve()), candidate)
    return list(seen.values())


def _client_version(client: str) -> str:
    done = run([client, "version", "--format", "{{.Client.Version}}"], timeout=30, check=False)
    return done.stdout.strip().splitlines()[0] if done.stdout.strip() else "unknown"


def _probe_build(argv: list[str], env: dict[str, str]) -> tuple[bool, str]:
    """Build a two-file image FROM scratch; True when BuildKit did it (its progress format)."""
    tag = f"dockperf-probe:{os.getpid()}"
    with tempfile.TemporaryDirectory(prefix="dockperf-probe-") as ctx:
        Path(ctx, "probe.txt").write_text("probe\n")
        Path(ctx, "Dockerfile").write_text("FROM scratch\nCOPY probe.txt /probe.txt\n")
        done = run(
            [*argv, "--progress=plain", "--label", "dockperf.probe=1", "-t", tag, ctx],
            timeout=120,
            env=env,
            check=False,
        )
    run([argv[0], "image", "rm", "-f", tag], timeout=60, check=False)
    output = done.stdout + done.stderr
    # BuildKit's plain progress numbers its vertices ("#1 [internal] load build definition").
    ok = done.returncode == 0 and "[internal] load build definition" in output
    return ok, done.tail(3)


def pick_client(host: str, server_version: str, started: bool = False) -> Engine:
    """The first client that really builds with BuildKit against this engine."""
    tried: list[str] = []
    for client in _candidate_clients():
        version = _client_version(client)
        plugin = run([client, "buildx", "version"], timeout=30, check=False)
        if plugin.returncode == 0:
            engine = Engine(host, server_version, client, version, "buildx", started)
            ok, why = _probe_build(engine.build_argv(), engine.env)
            if ok:
                return engine
            tried.append(f"{client} {version} buildx: {why}")
        engine = Engine(host, server_version, client, version, "DOCKER_BUILDKIT=1", started)
        ok, why = _probe_build(engine.build_argv(), engine.env)
        if ok:
            return engine
        tried.append(f"{client} {version} with DOCKER_BUILDKIT=1: {why.splitlines()[-1:]}")
    raise EngineError(
        "no Docker client here can build with BuildKit ("
        + ("; ".join(tried) or "no docker client found")
        + "); install the buildx plugin or Debian's docker.io client (/usr/bin/docker)"
    )


# --------------------------------------------------------------------------------------------
# provisioning


def ensure_engine(provision: bool = True) -> Engine:
    """Find an engine (or start one, as root on Debian/Ubuntu) and a client that builds."""
    version = ping()
    host = str(_sdk_kwargs().get("base_url", DEFAULT_SOCKET))
    if version is not None:
        return pick_client(host, version)
    if not provision or not can_provision():
        raise EngineError(f"no Docker engine answers at {host}; " + HOW_TO_GET_AN_ENGINE)
    start_engine()
    version = ping()
    if version is None:
        raise EngineError(f"started dockerd but it does not answer; see {LOGFILE}")
    return pick_client(DEFAULT_SOCKET, version, started=True)


def can_provision() -> bool:
    """Root on Debian/Ubuntu, talking to the local default socket (never a remote DOCKER_HOST)."""
    if os.geteuid() != 0 or not Path("/etc/debian_version").exists():
        return False
    host = os.environ.get("DOCKER_HOST")
    return not host or host == DEFAULT_SOCKET


def install_packages() -> None:
    missing = [
        pkg
        for pkg, binary in (("docker.io", "dockerd"), ("debootstrap", "debootstrap"))
        if shutil.which(binary) is None
    ]
    if not missing:
        return
    log.warning(
        "installing %s with apt-get (needed for a local engine and base images)", " ".join(missing)
    )
    env = {"DEBIAN_FRONTEND": "noninteractive"}
    run(["apt-get", "update"], timeout=APT_TIMEOUT, env=env)
    run(
        ["apt-get", "install", "-y", "--no-install-recommends", *missing],
        timeout=APT_TIMEOUT,
        env=env,
    )


def start_engine() -> None:
    """Start dockerd with its own pidfile and log, and wait until it answers."""
    install_packages()
    if ping() is not None:  # the package's own service may have started one
        log.info("an engine answers after installing docker.io; using it")
        return
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    LOGFILE.parent.mkdir(parents=True, exist_ok=True)
    flags = list(DOCKERD_FLAGS)
    help_text = run(["dockerd", "--help"], timeout=30, check=False).stdout
    if "--ip6tables" in help_text:
        flags.append("--ip6tables=false")
    argv = ["dockerd", *flags, "--pidfile", str(PIDFILE)]
    log.warning("starting %s (log %s)", " ".join(argv), LOGFILE)
    with LOGFILE.open("ab") as out:
        # A new session, so the engine outlives this process and Ctrl-C here does not reach it.
        proc = subprocess.Popen(
            argv,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise EngineError(
                f"dockerd exited with {proc.returncode} while starting:\n" + _log_tail()
            )
        if ping(timeout=2) is not None:
            log.info("dockerd (pid %d) answers", proc.pid)
            return
        time.sleep(0.5)
    raise EngineError(f"dockerd did not answer within {START_TIMEOUT:.0f} s:\n" + _log_tail())


def _log_tail(lines: int = 15) -> str:
    try:
        return "\n".join(LOGFILE.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return f"(no log at {LOGFILE})"


def stop_engine(timeout: float = 30.0) -> str:
    """Stop the dockerd we started (by our pidfile only); return what happened."""
    try:
        pid = int(PIDFILE.read_text().strip())
    except (OSError, ValueError):
        return f"no engine started by bench ({PIDFILE} absent); nothing stopped"
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        PIDFILE.unlink(missing_ok=True)
        return f"engine pid {pid} from {PIDFILE} is not running; removed the stale pidfile"
    if not cmdline or not cmdline[0].endswith(b"dockerd"):
        return f"pid {pid} in {PIDFILE} is not dockerd; leaving it alone"
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not Path(f"/proc/{pid}").exists():
            PIDFILE.unlink(missing_ok=True)
            return f"stopped dockerd (pid {pid})"
        time.sleep(0.2)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    return f"dockerd (pid {pid}) ignored SIGTERM for {timeout:.0f} s; killed it"
