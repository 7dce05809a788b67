"""A deliberately bloated image fails the gate, and the gate's output says why.

Nothing is mocked: bench's real pipeline builds tests/fixtures/bloated (650 MB of random bytes
FROM the local python:3.13-slim) and a control without the bloat, analyses and runs both, and
writes metrics.json; then `python -m bench gate` judges each variant from that file.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bench import config
from bench import run as bench_run

pytestmark = pytest.mark.docker

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "bloated"
RUN_ID = "pytest-bloated"


@pytest.fixture(scope="module")
def measured(docker_engine, docker_client, python_base: str, tmp_path_factory) -> Path:
    """metrics.json of one bench run over both variants (cold build, one startup, short load)."""
    project = tmp_path_factory.mktemp("bloated")
    (project / "pyproject.toml").write_text(
        "[tool.dockperf.bench]\n"
        "primary = 'bloated'\n"
        "variants = [\n"
        "  { name = 'bloated', dockerfile = '" + str(FIXTURE / "Dockerfile") + "' },\n"
        "  { name = 'control', dockerfile = '" + str(FIXTURE / "Dockerfile.control") + "' },\n"
        "]\n"
    )
    opts = bench_run.Options(
        repeat=1,
        startup_repeat=1,
        scenarios=("cold",),
        settle_seconds=0.5,
        load_seconds=1.0,
        concurrency=2,
        output_dir=project / "reports",
        run_id=RUN_ID,
        health_timeout=30,
        provision=False,
    )
    try:
        outcome = bench_run.run(config.load(project), opts)
    finally:
        bench_run.cleanup(docker_client, RUN_ID)
    assert outcome.fatal is None and not outcome.interrupted
    selector = {"label": f"dockperf.bench={RUN_ID}"}
    assert docker_client.containers.list(all=True, filters=selector) == []
    assert docker_client.images.list(all=True, filters=selector) == []
    return outcome.json_path


def _gate(metrics: Path, variant: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "gate",
            "--metrics",
            str(metrics),
            "--variant",
            variant,
            "--config",
            str(metrics.parent.parent / "pyproject.toml"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_bloated_variant_fails_the_gate_and_says_why(measured: Path) -> None:
    data = json.loads(measured.read_text())
    bloated = data["variants"]["bloated"]
    assert (bloated["partial"], bloated["errors"]) == (False, [])
    # The random bytes are really in the image: more than 650 MB on top of the base.
    assert bloated["image"]["size_bytes"] > 650 * 1024 * 1024
    assert data["image_size_bytes"] == bloated["image"]["size_bytes"]
    assert [t["status"] for t in data["targets"] if t["metric"] == "image_size_bytes"] == ["fail"]

    result = _gate(measured, "bloated")
    assert result.returncode == 1, result.stdout + result.stderr
    out = result.stdout
    assert out.startswith("### dockperf gate: FAILED (variant `bloated`)")
    row = next(line for line in out.splitlines() if line.startswith("| Image size |"))
    shown = float(re.search(r"\| Image size \| ([\d.]+) MB \|", row).group(1))
    assert shown == pytest.approx(bloated["image"]["size_bytes"] / 1e6, abs=0.1)
    assert shown > 600
    assert f"❌ fail | {shown:.1f} MB is over the target 600.0 MB |" in row
    assert re.fullmatch(r"\d check\(s\) failed: (.*; )?Image size(; .*)?", out.splitlines()[-1])


def test_control_passes_the_size_check(measured: Path) -> None:
    data = json.loads(measured.read_text())
    control = data["variants"]["control"]
    assert (control["partial"], control["errors"]) == (False, [])
    assert control["image"]["size_bytes"] < 600 * 1000 * 1000
    result = _gate(measured, "control")
    row = next(line for line in result.stdout.splitlines() if line.startswith("| Image size |"))
    assert "✅ pass" in row
    # A loaded machine may fail its startup target; the size is never the reason.
    assert "Image size" not in result.stdout.splitlines()[-1]
