"""BuildKit --progress=plain parsing, on output captured from Docker 20.10's BuildKit."""

from __future__ import annotations

from pathlib import Path

from bench import progress

FIXTURES = Path(__file__).parent / "fixtures"


def _parse(name: str) -> progress.Progress:
    return progress.parse((FIXTURES / name).read_text().splitlines(keepends=True))


def test_cold_build_steps_durations_and_cache() -> None:
    parsed = _parse("progress_cold_20.10.txt")
    assert [(s.vertex, s.stage, s.index, s.status, s.seconds) for s in parsed.steps] == [
        (4, "stage-0", 1, "cached", 0.0),
        (5, "stage-0", 2, "done", 0.6),
        (6, "stage-0", 3, "done", 0.1),
        (7, "stage-0", 4, "done", 5.7),
    ]
    assert parsed.steps[0].instruction == "FROM docker.io/library/python:3.13-slim"
    assert parsed.steps[3].instruction.startswith("RUN apt-get update && apt-get install -y")
    assert parsed.cached_count == 1
    assert parsed.error is None


def test_warm_build_is_all_cached_and_order_is_first_appearance() -> None:
    parsed = _parse("progress_warm_20.10.txt")
    # BuildKit printed the FROM vertex (#7) before #4..#6; the order is the printed one.
    assert [(s.vertex, s.index, s.cached, s.seconds) for s in parsed.steps] == [
        (7, 1, False, 0.0),
        (4, 2, True, 0.0),
        (5, 3, True, 0.0),
        (6, 4, True, 0.0),
    ]


def test_failed_build_reports_error_and_last_output_time() -> None:
    parsed = _parse("progress_error_20.10.txt")
    assert [
        (s.vertex, s.stage, s.index, s.instruction, s.status, s.seconds) for s in parsed.steps
    ] == [
        (4, "", 1, "FROM docker.io/library/python:3.13-slim", "cached", 0.0),
        (6, "", 2, "COPY ok.txt /ok.txt", "done", 1.3),
        (7, "", 3, "RUN echo about to fail && exit 3", "error", 0.297),
    ]
    assert parsed.error == (
        "executor failed running [/bin/sh -c echo about to fail && exit 3]: exit code: 3"
    )


def test_internal_vertices_are_not_steps() -> None:
    lines = [
        "#1 [internal] load build definition from Dockerfile\n",
        "#1 DONE 0.0s\n",
        "#2 [builder 1/2] FROM docker.io/library/python:3.13-slim\n",
        "#2 DONE 0.1s\n",
        "#3 [2/2] COPY a /a\n",
        "#3 0.512 some output\n",
        "#3 CANCELED\n",
    ]
    steps = progress.parse(lines).steps
    assert [(s.stage, s.index, s.status, s.seconds) for s in steps] == [
        ("builder", 1, "done", 0.1),
        ("", 2, "canceled", 0.512),
    ]


def test_repeated_header_keeps_first_name_and_interleaving_is_by_number() -> None:
    lines = [
        "#5 [a 2/3] RUN one\n",
        "#6 [b 2/3] RUN two\n",
        "#5 1.000 out\n",
        "#6 DONE 2.5s\n",
        "#5 [a 2/3] RUN one\n",
        "#5 DONE 3.25s\n",
    ]
    steps = progress.parse(lines).steps
    assert [(s.instruction, s.seconds) for s in steps] == [("RUN one", 3.25), ("RUN two", 2.5)]
