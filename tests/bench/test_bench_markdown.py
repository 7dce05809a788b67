"""bench.md: the PR-comment table against the seed's targets."""

from __future__ import annotations

from test_bench_metrics import sample

from bench.markdown import render
from bench.metrics import Metrics, VariantMetrics, check_targets


def test_targets_table_rows() -> None:
    text = render(sample())
    assert "| Build time (cold, median) | 55.0 s | < 180 s | ✅ pass |" in text
    assert "| Image size | 485MB | < 600 MB | ✅ pass |" in text
    assert "| Startup to healthy (median) | 2.95 s | < 2 s (warn < 4 s) | ⚠️ warn |" in text
    assert "| Memory (idle) | 214.8MiB | < 512 MiB | ✅ pass |" in text
    assert text.startswith("## Docker performance\n")


def test_variant_rows_comparison_duplicates_errors_and_notes() -> None:
    text = render(sample())
    assert (
        "| optimized | 55.0 s (54.0 s–57.0 s, n=3) | 0.20 s | 27.5 s | – | 485MB | 15 | 3.38kB "
        "| 2.95 s (2.85 s–3.05 s, n=3) | 214.8MiB | 215.8MiB | 314 | 2 | 117MiB |" in text
    )
    assert "| baseline (partial) |" in text
    assert "**optimized** vs **baseline**" in text
    assert "| 1.10× | 1.10× | 1.02× | 0.84× | 0.72× |" in text
    assert "- `pip` 25.1.1 in /opt/venv/lib, /usr/local/lib" in text
    assert "- baseline: boom" in text
    assert "- optimized: cpus 4 clamped to the machine's 2" in text
    assert "`python:3.13-slim` (stand-in)" in text
    assert "⚠️ Partial results for: baseline." in text


def test_error_details_go_in_a_code_block() -> None:
    broken = VariantMetrics(
        "broken",
        "Dockerfile",
        None,
        partial=True,
        errors=("container exited with code 3\nlast log lines:\nTraceback",),
    )
    text = render(Metrics("t", None, (broken,), "broken", None, check_targets(broken)))
    assert (
        "- broken: container exited with code 3\n\n  ```\n  last log lines:\n  Traceback\n  ```"
        in text
    )
    assert "| Build time (cold, median) | – | < 180 s | ❌ fail |" in text
