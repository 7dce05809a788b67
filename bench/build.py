"""BuildKit builds through the Docker CLI, timed from outside, with the progress parsed.

Wall time is measured around the CLI process (what a developer waits for); per-step durations and
cache hits come from `--progress=plain`. Builds use host networking: there is no bridge.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench import locks, progress
from bench.dockerd import Engine
from bench.errors import BuildFailed
from bench.shell import log, run

BUILD_TIMEOUT = 1800.0
LABEL = "dockperf.bench"


@dataclass(frozen=True)
class BuildSpec:
    context: Path
    dockerfile: Path
    tag: str
    run_id: str
    target: str | None = None
    no_cache: bool = False
    build_args: tuple[tuple[str, str], ...] = ()
    timeout: float = BUILD_TIMEOUT


@dataclass(frozen=True)
class BuildResult:
    seconds: float
    image_id: str
    steps: tuple[progress.Step, ...]


def argv_for(engine: Engine, spec: BuildSpec, iidfile: Path) -> list[str]:
    argv = [
        *engine.build_argv(),
        "--progress=plain",
        "--network=host",
        "--file",
        str(spec.dockerfile),
        "--tag",
        spec.tag,
        "--label",
        f"{LABEL}={spec.run_id}",
        "--iidfile",
        str(iidfile),
    ]
    if spec.target:
        argv += ["--target", spec.target]
    if spec.no_cache:
        argv.append("--no-cache")
    for key, value in spec.build_args:
        argv += ["--build-arg", f"{key}={value}"]
    argv.append(str(spec.context))
    return argv


def clear_cache_mounts(engine: Engine) -> None:
    """Drop BuildKit's RUN --mount=type=cache contents, so a cold build starts with empty caches.

    `--no-cache` only skips the layer cache; cache mounts survive it. The type filter works on
    Docker 20.10's builder and on buildx.
    """
    prune = [engine.client, "builder", "prune", "--force", "--filter", "type=exec.cachemount"]
    if engine.builder == "buildx":
        prune = [engine.client, "buildx", "prune", "--force", "--filter", "type=exec.cachemount"]
    with locks.build_lock(BUILD_TIMEOUT):  # never prune under another build's feet
        run(prune, timeout=300, env=engine.env)


def build(
    engine: Engine,
    spec: BuildSpec,
    on_line: Callable[[str], None] | None = None,
) -> BuildResult:
    """Run one build; BuildFailed (with BuildKit's error and the log's tail) when it fails.

    Builds are serialised machine-wide (bench.locks); the time spent waiting is not counted.
    """
    # The wait for another build is bounded by how long a build may take, not by this build's
    # own deadline: a short --timeout must not fail just because the machine was busy.
    with locks.build_lock(BUILD_TIMEOUT):
        return _build(engine, spec, on_line)


def _build(
    engine: Engine,
    spec: BuildSpec,
    on_line: Callable[[str], None] | None,
) -> BuildResult:
    tail: deque[str] = deque(maxlen=40)
    lines: list[str] = []
    with tempfile.TemporaryDirectory(prefix="dockperf-build-") as tmp:
        iidfile = Path(tmp) / "iid"
        argv = argv_for(engine, spec, iidfile)
        log.debug("%s", " ".join(argv))
        start = time.monotonic()
        proc = subprocess.Popen(
            argv,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **engine.env},
            text=True,
            errors="replace",
            # Its own process group: Ctrl-C is handled by us (we stop the build), and a timeout
            # can kill the CLI without killing ourselves.
            start_new_session=True,
        )

        def pump() -> None:
            assert proc.stdout is not None
            for line in proc.stdout:
                lines.append(line)
                tail.append(line.rstrip("\n"))
                if on_line is not None:
                    on_line(line)

        reader = threading.Thread(target=pump, daemon=True)
        reader.start()
        try:
            proc.wait(timeout=spec.timeout)
        except subprocess.TimeoutExpired:
            _stop(proc)
            raise BuildFailed(
                f"build of {spec.dockerfile} did not finish within {spec.timeout:.0f} s",
                "\n".join(tail),
            ) from None
        except BaseException:
            _stop(proc)
            raise
        seconds = time.monotonic() - start
        reader.join(timeout=10)
        parsed = progress.parse(lines)
        if proc.returncode != 0:
            reason = parsed.error or (tail[-1] if tail else f"exit {proc.returncode}")
            raise BuildFailed(
                f"build of {spec.dockerfile} failed: {reason}", "\n".join(list(tail)[-15:])
            )
        image_id = iidfile.read_text().strip() if iidfile.exists() else ""
    return BuildResult(seconds=seconds, image_id=image_id, steps=parsed.steps)


def _stop(proc: subprocess.Popen[str]) -> None:
    """Stop the CLI; closing its session makes BuildKit cancel the solve in the daemon."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGINT)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=15)
    log.info("stopped the build (pid %d)", proc.pid)
