"""Scenario edits are always undone: on success, on error, and after a killed run."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bench import mutate


def _file(tmp_path: Path) -> Path:
    target = tmp_path / "requirements-app.txt"
    target.write_bytes(b"fastapi==0.110.0\n")
    os.utime(target, ns=(1_000_000_000, 2_000_000_000))
    return target


def test_appended_then_restored_with_mtime(tmp_path: Path) -> None:
    target = _file(tmp_path)
    backups = tmp_path / "backups"
    with mutate.appended(target, "# bench 0", backups):
        assert target.read_bytes() == b"fastapi==0.110.0\n# bench 0\n"
    assert target.read_bytes() == b"fastapi==0.110.0\n"
    assert target.stat().st_mtime_ns == 2_000_000_000
    assert list(backups.iterdir()) == []


def test_restored_when_the_block_raises(tmp_path: Path) -> None:
    target = _file(tmp_path)
    with pytest.raises(KeyboardInterrupt), mutate.appended(target, "# x", tmp_path / "b"):
        raise KeyboardInterrupt
    assert target.read_bytes() == b"fastapi==0.110.0\n"


def test_missing_final_newline(tmp_path: Path) -> None:
    target = tmp_path / "main.py"
    target.write_bytes(b"x = 1")
    with mutate.appended(target, "# y", tmp_path / "b"):
        assert target.read_bytes() == b"x = 1\n# y\n"
    assert target.read_bytes() == b"x = 1"


def test_leftover_from_a_killed_run_is_restored(tmp_path: Path) -> None:
    target = _file(tmp_path)
    backups = tmp_path / "backups"
    cm = mutate.appended(target, "# killed", backups)
    cm.__enter__()  # simulate a run killed with SIGKILL: the finally never runs
    assert target.read_bytes().endswith(b"# killed\n")
    assert mutate.restore_leftovers(backups) == [target.resolve()]
    assert target.read_bytes() == b"fastapi==0.110.0\n"
    assert list(backups.iterdir()) == []


def test_someone_elses_edit_is_not_overwritten(tmp_path: Path) -> None:
    target = _file(tmp_path)
    backups = tmp_path / "backups"
    with mutate.appended(target, "# bench", backups):
        target.write_bytes(b"fastapi==0.111.0\n")  # another engineer saved the file meanwhile
    assert target.read_bytes() == b"fastapi==0.111.0\n"
    assert [p.suffix for p in backups.iterdir()] == [".orig"]  # the original is kept


def test_no_backups_dir() -> None:
    assert mutate.restore_leftovers(Path("/nonexistent/dockperf")) == []
