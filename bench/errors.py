"""The one error type bench raises for conditions the user must act on.

The CLI prints `BenchError` as a single line (no traceback) and exits 2; everything else is a bug.
"""

from __future__ import annotations


class BenchError(Exception):
    """A failure with a message meant for the user (what went wrong and what to do)."""


class EngineError(BenchError):
    """No engine is reachable, or the engine went away during a run."""


class BuildFailed(BenchError):
    """`docker build` exited non-zero; `log_tail` holds the last lines of its output."""

    def __init__(self, message: str, log_tail: str = "") -> None:
        super().__init__(message)
        self.log_tail = log_tail


class ContainerFailed(BenchError):
    """A container exited or never became healthy before its deadline."""

    def __init__(self, message: str, exit_code: int | None = None, log_tail: str = "") -> None:
        super().__init__(message)
        self.exit_code = exit_code
        self.log_tail = log_tail
        # Startup times measured before the failure (kept in the results, marked partial).
        self.startups: tuple[float, ...] = ()
