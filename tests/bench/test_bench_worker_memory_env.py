"""bench passes the worker memory it measured to the variant's later containers (run.py)."""

from __future__ import annotations

from pathlib import Path

from bench.config import VariantConfig
from bench.metrics import MIB, Limits, RuntimeMetrics
from bench.run import _measured_env, _State


class Notes:
    def __init__(self) -> None:
        self.notes: list[str] = []

    def phase(self, text: str) -> None:
        pass

    def detail(self, text: str) -> None:
        pass

    def note(self, text: str) -> None:
        self.notes.append(text)


def _state(per_worker: int | None, env: tuple[tuple[str, str], ...] = ()) -> _State:
    v = VariantConfig("optimized", Path("backend/Dockerfile"), Path("backend"), env=env)
    rt = RuntimeMetrics(None, None, None, None, 2, Limits(None, None), None, per_worker)
    return _State(v, runtime=rt)


def test_measured_worker_memory_becomes_worker_memory_mb() -> None:
    ui = Notes()
    assert _measured_env(_state(117 * MIB), ui) == (("WORKER_MEMORY_MB", "117"),)
    assert ui.notes == [
        "optimized: later containers run with WORKER_MEMORY_MB=117 (one worker's RSS, "
        "measured), so WORKERS=auto sizes from it"
    ]


def test_nothing_measured_or_set_by_the_variant() -> None:
    ui = Notes()
    assert _measured_env(_state(None), ui) == ()
    assert _measured_env(_State(_state(None).config), ui) == ()
    assert _measured_env(_state(117 * MIB, (("WORKER_MEMORY_MB", "200"),)), ui) == ()
    assert ui.notes == []
