"""The one error type for bad input."""

from __future__ import annotations


class InputError(Exception):
    """Bad input: the CLI prints `path:line: message` (or `path: message`) and exits 2."""

    def __init__(self, path: str, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.path = path
        self.message = message
        self.line = line

    def __str__(self) -> str:
        if self.line:
            return f"{self.path}:{self.line}: {self.message}"
        return f"{self.path}: {self.message}"
