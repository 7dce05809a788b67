"""Locks that keep bench runs from stepping on each other on a shared machine.

- The build lock (one per machine) serialises BuildKit builds started by bench, by any process:
  Docker 20.10's BuildKit can panic and take the whole engine down when builds of overlapping
  graphs run concurrently ("panic: failed to get edge", moby/moby#42414, moby/buildkit#2303);
  parallel builds also distort each other's timings.
- The checkout lock (one per project) keeps two `bench run`s from editing the same working tree
  (the source- and dependency-change scenarios) at once.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path

from bench.errors import BenchError
from bench.shell import log


def _build_lock_path() -> Path:
    if os.geteuid() == 0:
        return Path("/run/dockperf/build.lock")
    base = os.environ.get("XDG_RUNTIME_DIR") or str(Path.home() / ".cache")
    return Path(base) / "dockperf" / "build.lock"


@contextlib.contextmanager
def build_lock(timeout: float) -> Iterator[float]:
    """Hold the machine's build lock; yields the seconds spent waiting for it."""
    path = _build_lock_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+") as handle:
        start = time.monotonic()
        told = False
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not told:
                    log.info("waiting for another bench build on this machine to finish (%s)", path)
                    told = True
                if time.monotonic() - start > timeout:
                    raise BenchError(
                        f"another bench build held {path} for more than {timeout:.0f} s"
                    ) from None
                time.sleep(0.2)
        try:
            yield time.monotonic() - start
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextlib.contextmanager
def checkout_lock(root: Path) -> Iterator[None]:
    """Hold the project's run lock, or fail at once saying which process has it."""
    path = root / ".dockperf" / "run.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            raise BenchError(
                f"another bench run (pid {holder}) is measuring {root}: it edits files there "
                "during its scenarios; wait for it to finish"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)
