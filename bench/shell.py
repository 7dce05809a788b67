"""Subprocess helpers: every external command bench runs goes through here, with a timeout."""

from __future__ import annotations

import logging
import os
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bench.errors import BenchError

# Modules report what they are doing through this logger; the CLI decides where it goes.
log = logging.getLogger("bench")


@dataclass(frozen=True)
class Completed:
    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    def tail(self, lines: int = 20) -> str:
        text = (self.stdout + self.stderr).rstrip()
        return "\n".join(text.splitlines()[-lines:])


def run(
    argv: Sequence[str],
    *,
    timeout: float,
    env: Mapping[str, str] | None = None,
    check: bool = True,
    cwd: str | None = None,
    input_text: str | None = None,
) -> Completed:
    """Run a command to completion; a timeout or (with check) a non-zero exit is a BenchError."""
    full_env = {**os.environ, **(env or {})}
    try:
        proc = subprocess.run(
            list(argv),
            capture_output=True,
            text=True,
            timeout=timeout,
            env=full_env,
            cwd=cwd,
            input=input_text,
            check=False,
        )
    except FileNotFoundError as exc:
        raise BenchError(f"{argv[0]}: command not found") from exc
    except subprocess.TimeoutExpired as exc:
        raise BenchError(f"`{' '.join(argv)}` did not finish within {timeout:.0f} s") from exc
    done = Completed(tuple(argv), proc.returncode, proc.stdout, proc.stderr)
    if check and proc.returncode != 0:
        raise BenchError(f"`{' '.join(argv)}` failed (exit {proc.returncode}):\n{done.tail()}")
    return done
