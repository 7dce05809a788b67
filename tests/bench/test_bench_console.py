"""bench's console prints build messages as text: `[/bin/sh -c ...]` is not rich markup."""

from __future__ import annotations

from bench.console import RichUi

# What BuildKit says when a RUN fails; once this crashed the run with rich's MarkupError.
MESSAGE = (
    "build failed: executor failed running "
    "[/bin/sh -c pip install --no-deps -r /tmp/requirements/requirements-ai.txt]: exit code: 1"
)


def test_note_phase_and_detail_print_brackets_verbatim(capsys):
    with RichUi() as ui:
        ui.phase(MESSAGE)
        ui.detail(MESSAGE)
        ui.note(MESSAGE)
    err = capsys.readouterr().err
    assert f"note: {MESSAGE}" in " ".join(err.split())
