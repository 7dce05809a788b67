"""`python -m bench lintperf` runs end to end on a tiny corpus (a smoke test, not a timing)."""

from __future__ import annotations

import sys
from pathlib import Path

from bench import lintperf


def test_lintperf_reports_both_tools_and_the_rejects(tmp_path: Path, capsys) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a_Dockerfile").write_text("FROM python:3.12-slim\nRUN pip install flask\n")
    (corpus / "b_Dockerfile").write_text("FROM debian:12\nUSER 10001\n")
    # A template: both tools reject it, and it is listed rather than timed.
    (corpus / "c.template").write_text("{{ include 'x' }}\nFROM debian:12\n")
    docker_before = "docker" in sys.modules  # other tests may have imported it
    code = lintperf.main(
        [
            "--corpus",
            str(corpus),
            "--rounds",
            "1",
            "--single",
            "1",
            "--file",
            str(corpus / "b_Dockerfile"),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "dockerfile-rules rejects 1 file(s)" in out and "c.template" in out
    assert "throughput over 2 files both tools accept" in out
    assert "ratio vs hadolint" in out and "single-file wall time" in out
    if not docker_before:
        assert "is imported" in out  # no heavy module on the lint path
        assert "docker" not in sys.modules
