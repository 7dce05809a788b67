"""Rich progress for long steps, on stderr; used by the CLI only."""

from __future__ import annotations

import logging
from types import TracebackType

from rich.console import Console
from rich.logging import RichHandler
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn


class RichUi:
    """One spinner line per phase (with elapsed time) and a detail line under it."""

    def __init__(self) -> None:
        self.console = Console(stderr=True)
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            TextColumn("[dim]{task.fields[detail]}"),
            console=self.console,
            transient=False,
        )
        self._task: int | None = None

    def __enter__(self) -> RichUi:
        self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._finish()
        self._progress.stop()

    def _finish(self) -> None:
        if self._task is not None:
            self._progress.update(self._task, detail="", completed=1, total=1)
            self._task = None

    def phase(self, text: str) -> None:
        self._finish()
        self._task = self._progress.add_task(escape(text), total=None, detail="")

    def detail(self, text: str) -> None:
        if self._task is not None:
            self._progress.update(self._task, detail=escape(text))

    def note(self, text: str) -> None:
        # Messages quote build output (`[/bin/sh -c ...]`): plain text, never rich markup.
        self._progress.console.print(f"[yellow]note:[/] {escape(text)}", highlight=False)


def setup_logging(verbose: bool, console: Console | None = None) -> None:
    """bench's logger to stderr through rich; with the progress's console, lines do not tear it."""
    handler = RichHandler(
        console=console or Console(stderr=True), show_path=False, show_time=False, markup=False
    )
    logger = logging.getLogger("bench")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.DEBUG if verbose else logging.INFO)
    logger.propagate = False
