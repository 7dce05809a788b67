"""Temporary edits to the working tree (source-change and dependency-change scenarios).

The original bytes are saved under `.dockperf/backups/` before the edit and written back in a
`finally`, so an exception or Ctrl-C restores the file; a backup left behind by a killed run is
restored at the start of the next one. A file someone else edited meanwhile is left alone.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path

from bench.shell import log


def _backup_paths(backups: Path, target: Path) -> tuple[Path, Path]:
    key = hashlib.sha256(str(target.resolve()).encode()).hexdigest()[:16]
    return backups / f"{key}.orig", backups / f"{key}.json"


@contextlib.contextmanager
def appended(target: Path, line: str, backups: Path) -> Iterator[None]:
    """Append one line to `target` for the duration of the block."""
    original = target.read_bytes()
    st = target.stat()
    backups.mkdir(parents=True, exist_ok=True)
    data, meta = _backup_paths(backups, target)
    data.write_bytes(original)
    changed = original + (b"" if original.endswith(b"\n") or not original else b"\n")
    changed += line.encode() + b"\n"
    meta.write_text(
        json.dumps(
            {
                "target": str(target.resolve()),
                "written": hashlib.sha256(changed).hexdigest(),
                "mtime_ns": st.st_mtime_ns,
                "atime_ns": st.st_atime_ns,
            }
        )
    )
    target.write_bytes(changed)
    try:
        yield
    finally:
        _restore(data, meta)


def _restore(data: Path, meta: Path) -> None:
    try:
        info = json.loads(meta.read_text())
    except FileNotFoundError:
        return  # already restored (by restore_leftovers, or a second finally)
    target = Path(info["target"])
    current = target.read_bytes() if target.exists() else b""
    if hashlib.sha256(current).hexdigest() != info["written"]:
        log.warning(
            "%s changed while bench ran; not restoring it (original kept in %s)", target, data
        )
        meta.unlink()
        return
    target.write_bytes(data.read_bytes())
    os.utime(target, ns=(info["atime_ns"], info["mtime_ns"]))
    data.unlink()
    meta.unlink()


def restore_leftovers(backups: Path) -> list[Path]:
    """Undo edits of a run that was killed before its `finally` ran."""
    restored = []
    if not backups.is_dir():
        return restored
    for meta in sorted(backups.glob("*.json")):
        data = meta.with_suffix(".orig")
        if not data.exists():
            meta.unlink()
            continue
        target = Path(json.loads(meta.read_text())["target"])
        log.warning("restoring %s, left edited by an interrupted bench run", target)
        _restore(data, meta)
        restored.append(target)
    return restored
