"""The checkout and build locks, held by a second real process."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench import locks
from bench.errors import BenchError

HOLD = """
import sys, time
from pathlib import Path
from bench import locks
with {lock}:
    print("held", flush=True)
    time.sleep(float(sys.argv[1]))
"""


def _holder(lock: str, seconds: float) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD.format(lock=lock), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline() == "held\n"
    return proc


def test_second_run_on_the_same_checkout_is_refused(tmp_path: Path) -> None:
    proc = _holder(f"locks.checkout_lock(Path({str(tmp_path)!r}))", 30)
    try:
        with pytest.raises(BenchError) as info, locks.checkout_lock(tmp_path):
            pass
        assert str(info.value) == (
            f"another bench run (pid {proc.pid}) is measuring {tmp_path}: it edits files there "
            "during its scenarios; wait for it to finish"
        )
    finally:
        proc.kill()
        proc.wait()
    with locks.checkout_lock(tmp_path):  # free again once the holder is gone
        assert (tmp_path / ".dockperf/run.lock").read_text() != ""


def _build_holder(path: Path, seconds: float) -> subprocess.Popen[str]:
    code = HOLD.format(lock="locks.build_lock(60)").replace(
        "from bench import locks",
        f"from bench import locks\nlocks._build_lock_path = lambda: Path({str(path)!r})",
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stdout.readline() == "held\n"
    return proc


def test_builds_wait_for_each_other(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = tmp_path / "build.lock"
    monkeypatch.setattr(locks, "_build_lock_path", lambda: path)
    proc = _build_holder(path, 1.5)
    try:
        start = time.monotonic()
        with locks.build_lock(30) as waited:
            # the wait is reported, so it can be left out of the build's time
            assert 0.5 < waited <= time.monotonic() - start
    finally:
        proc.kill()
        proc.wait()


def test_build_lock_wait_is_bounded(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = tmp_path / "build.lock"
    monkeypatch.setattr(locks, "_build_lock_path", lambda: path)
    proc = _build_holder(path, 30)
    try:
        with pytest.raises(BenchError) as info, locks.build_lock(0.5):
            pass
        assert str(info.value) == f"another bench build held {path} for more than 0 s"
    finally:
        proc.kill()
        proc.wait()
