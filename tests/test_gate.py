"""The gate's decisions, from metrics.json documents (pure logic; the real bench makes them)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import gate


def variant(cold=60.0, size=400e6, startup=1.5, memory=300 * 1024 * 1024, partial=False) -> dict:
    return {
        "build": {"cold": {"runs": [cold], "min": cold, "median": cold, "max": cold}},
        "image": {"size_bytes": size},
        "runtime": {
            "startup": {"runs": [startup], "min": startup, "median": startup, "max": startup},
            "memory_idle_bytes": memory,
        },
        "partial": partial,
        "errors": [],
    }


def write(tmp_path: Path, name: str, variants: dict) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps({"schema": 1, "variants": variants}))
    return path


def statuses(checks):
    return [(c.label, c.status) for c in checks]


def test_defaults_are_the_seeds_targets(tmp_path):
    config = gate.load_config(tmp_path / "missing.toml")
    assert [(t.metric, t.limit, t.warn) for t in config.targets] == [
        ("build_cold_seconds", 180.0, None),
        ("image_size_bytes", 600e6, None),
        ("startup_seconds", 2.0, 4.0),
        ("memory_idle_bytes", 512 * 1024 * 1024, None),
    ]
    assert config.max_regression_percent == 10


def test_pass_warn_fail_bands():
    config = gate.load_config(Path("/nonexistent"))
    checks = gate.evaluate(config, variant(startup=3.0, size=700e6))
    assert statuses(checks) == [
        ("Build time (cold)", "pass"),
        ("Image size", "fail"),
        ("Startup to healthy", "warn"),
        ("Memory (idle)", "pass"),
    ]
    assert checks[1].why == "700.0 MB is over the target 600.0 MB"


def test_unmeasured_metric_fails_and_says_partial():
    config = gate.load_config(Path("/nonexistent"))
    v = variant(partial=True)
    v["runtime"] = {}
    checks = gate.evaluate(config, v)
    assert [(c.label, c.status, c.why) for c in checks if c.status == "fail"] == [
        ("Startup to healthy", "fail", "not measured (partial run)"),
        ("Memory (idle)", "fail", "not measured (partial run)"),
    ]


def test_regression_against_baseline(tmp_path):
    metrics = write(tmp_path, "m.json", {"optimized": variant(cold=100.0)})
    base = write(tmp_path, "b.json", {"optimized": variant(cold=80.0)})
    code = gate.main(
        [
            "--metrics",
            str(metrics),
            "--baseline",
            str(base),
            "--config",
            str(tmp_path / "none.toml"),
        ]
    )
    assert code == 1


def test_config_overrides(tmp_path):
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(
        "[tool.dockperf.gate]\nimage-mb = 300\nmax-regression-percent = 50\nvariant = 'slim'\n"
    )
    config = gate.load_config(pyproject)
    assert config.variant == "slim"
    assert config.targets[1].limit == 300e6
    assert config.max_regression_percent == 50


def test_bad_config_is_an_input_error(tmp_path):
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text("[tool.dockperf.gate]\nimage-mb = 'big'\n")
    with pytest.raises(gate.GateError, match="image-mb must be a positive number"):
        gate.load_config(pyproject)


def test_main_writes_step_summary_and_exit_codes(tmp_path, monkeypatch, capsys):
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    good = write(tmp_path, "good.json", {"optimized": variant()})
    assert gate.main(["--metrics", str(good), "--config", str(tmp_path / "x.toml")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("### dockperf gate: passed (variant `optimized`)")
    assert summary.read_text() == out


def test_missing_and_broken_metrics_exit_2(tmp_path, capsys):
    assert gate.main(["--metrics", str(tmp_path / "nope.json")]) == 2
    assert "not found (run `nox -s bench` first)" in capsys.readouterr().err
    broken = tmp_path / "broken.json"
    broken.write_text('{"schema": 1,\n')
    assert gate.main(["--metrics", str(broken)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"gate: {broken}:2: not valid JSON")
    assert len(err.strip().splitlines()) == 1
