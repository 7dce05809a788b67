"""metrics.json schema 1: exact keys, the seed's keys for the primary variant, targets, writing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.baseimages import BaseImage
from bench.metrics import (
    MIB,
    BuildMetrics,
    Context,
    Distribution,
    EngineInfo,
    ImageMetrics,
    Layer,
    Limits,
    Metrics,
    RuntimeMetrics,
    ScenarioResult,
    VariantMetrics,
    check_targets,
    compare,
    to_json,
    write_atomic,
    write_metrics,
)
from bench.progress import Step
from bench.stats import summarize

STEP = Step(
    vertex=5, stage="stage-0", index=2, instruction="RUN pip install x", seconds=6.9, status="done"
)


def variant(
    name: str, cold: float, size: int, startup: float, memory: int, partial: bool = False
) -> VariantMetrics:
    return VariantMetrics(
        name=name,
        dockerfile=f"backend/Dockerfile.{name}",
        target=None,
        context=Context(files=29, bytes=311430),
        build=BuildMetrics(
            scenarios={
                "cold": ScenarioResult(summarize([cold, cold + 2, cold - 1]), (STEP,)),
                "warm": ScenarioResult(summarize([0.2]), ()),
                "source_change": ScenarioResult(summarize([cold / 2]), ()),
            },
            steps=(STEP,),
        ),
        image=ImageMetrics(
            image_id="sha256:abc",
            size_bytes=size,
            layer_count=15,
            layers=(Layer("RUN pip install x", 67973484),),
            wasted_bytes=3384,
            duplicate_distributions=(
                Distribution("pip", ("25.1.1",), ("/opt/venv/lib", "/usr/local/lib")),
            ),
        ),
        runtime=RuntimeMetrics(
            startup=summarize([startup, startup + 0.1, startup - 0.1]),
            memory_idle_bytes=memory,
            memory_load_bytes=memory + MIB,
            requests_per_second=313.5,
            workers=2,
            limits=Limits(2.0, 512 * MIB, ("cpus 4 clamped to the machine's 2",)),
            memory_limit_bytes=512 * MIB,
            worker_memory_bytes=117 * MIB,
        ),
        partial=partial,
        errors=("boom",) if partial else (),
        notes=("cpus 4 clamped to the machine's 2",),  # run.py copies the limits' notes here
    )


def sample() -> Metrics:
    opt = variant("optimized", 55.0, 484945694, 2.95, 225202176)
    base = variant("baseline", 50.0, 474000000, 3.5, 300 * MIB, partial=True)
    return Metrics(
        timestamp="2026-12-03T15:54:50Z",
        engine=EngineInfo(
            "20.10.24+dfsg1",
            "/usr/bin/docker 20.10.24+dfsg1",
            "buildkit (DOCKER_BUILDKIT=1)",
            (BaseImage("python:3.13-slim", "stand-in"),),
        ),
        variants=(opt, base),
        primary="optimized",
        comparison=compare(base, opt),
        targets=check_targets(opt),
    )


def test_top_level_keys_and_seed_values() -> None:
    data = to_json(sample())
    assert list(data) == [
        "schema",
        "timestamp",
        "build_time_seconds",
        "image_size",
        "image_size_bytes",
        "startup_time_seconds",
        "memory_usage",
        "memory_bytes",
        "layer_count",
        "engine",
        "variants",
        "comparison",
        "targets",
    ]
    assert data["schema"] == 1
    assert data["build_time_seconds"] == 55.0
    assert data["image_size"] == "485MB"
    assert data["image_size_bytes"] == 484945694
    assert data["startup_time_seconds"] == 2.95
    assert data["memory_usage"] == "214.8MiB / 512MiB"
    assert data["memory_bytes"] == 225202176
    assert data["layer_count"] == 15
    assert data["engine"] == {
        "server_version": "20.10.24+dfsg1",
        "client": "/usr/bin/docker 20.10.24+dfsg1",
        "builder": "buildkit (DOCKER_BUILDKIT=1)",
        "base_images": [{"ref": "python:3.13-slim", "source": "stand-in"}],
    }


def test_variant_shape() -> None:
    v = to_json(sample())["variants"]["optimized"]
    assert list(v) == [
        "dockerfile",
        "target",
        "context",
        "build",
        "image",
        "runtime",
        "partial",
        "errors",
    ]
    assert v["context"] == {"files": 29, "bytes": 311430}
    assert v["build"]["cold"] == {
        "runs": [55.0, 57.0, 54.0],
        "min": 54.0,
        "median": 55.0,
        "max": 57.0,
        "steps": [{"instruction": "RUN pip install x", "seconds": 6.9, "cached": False}],
    }
    assert v["build"]["steps"] == [
        {"instruction": "RUN pip install x", "seconds": 6.9, "cached": False}
    ]
    assert set(v["build"]) == {"cold", "warm", "source_change", "steps"}
    assert v["image"] == {
        "size_bytes": 484945694,
        "layer_count": 15,
        "layers": [{"created_by": "RUN pip install x", "size_bytes": 67973484}],
        "wasted_bytes": 3384,
        "duplicate_distributions": [
            {
                "name": "pip",
                "versions": ["25.1.1"],
                "locations": ["/opt/venv/lib", "/usr/local/lib"],
            }
        ],
    }
    assert v["runtime"]["limits"] == {"cpus": 2.0, "memory_bytes": 536870912}
    assert v["runtime"]["startup"]["median"] == 2.95
    assert (v["runtime"]["workers"], v["runtime"]["requests_per_second"]) == (2, 313.5)
    assert v["runtime"]["worker_memory_bytes"] == 117 * MIB
    assert (v["partial"], v["errors"]) == (False, [])
    b = to_json(sample())["variants"]["baseline"]
    assert (b["partial"], b["errors"]) == (True, ["boom"])


def test_comparison_ratios_are_candidate_over_baseline() -> None:
    c = to_json(sample())["comparison"]
    assert (c["baseline"], c["candidate"]) == ("baseline", "optimized")
    assert c["ratios"]["build_cold"] == pytest.approx(55.0 / 50.0)
    assert c["ratios"]["build_source_change"] == pytest.approx(27.5 / 25.0)
    assert c["ratios"]["image_size"] == pytest.approx(484945694 / 474000000)
    assert c["ratios"]["startup"] == pytest.approx(2.95 / 3.5)
    assert c["ratios"]["memory_idle"] == pytest.approx(225202176 / (300 * MIB))


def test_targets_use_the_seed_thresholds() -> None:
    targets = to_json(sample())["targets"]
    assert [(t["metric"], t["status"]) for t in targets] == [
        ("build_time_seconds", "pass"),
        ("image_size_bytes", "pass"),
        ("startup_time_seconds", "warn"),
        ("memory_bytes", "pass"),
    ]
    slow = check_targets(variant("x", 200.0, 700_000_000, 4.5, 600 * MIB))
    assert [t.status for t in slow] == ["fail", "fail", "fail", "fail"]
    fast = check_targets(variant("x", 10.0, 100, 1.0, 1))
    assert [t.status for t in fast] == ["pass"] * 4


def test_missing_values_fail_their_targets_and_are_null() -> None:
    empty = VariantMetrics("broken", "Dockerfile", None, partial=True, errors=("build failed",))
    m = Metrics("2026-12-03T00:00:00Z", None, (empty,), "broken", None, check_targets(empty))
    data = to_json(m)
    assert data["build_time_seconds"] is None
    assert data["image_size"] is None
    assert data["memory_usage"] is None
    assert [t["status"] for t in data["targets"]] == ["fail"] * 4
    assert data["variants"]["broken"]["build"] is None


def test_write_is_atomic_and_leaves_no_temporaries(tmp_path: Path) -> None:
    path = tmp_path / "reports" / "metrics.json"
    write_metrics(path, sample())
    assert json.loads(path.read_text())["schema"] == 1
    write_atomic(path, "{}\n")
    assert path.read_text() == "{}\n"
    assert sorted(p.name for p in path.parent.iterdir()) == ["metrics.json"]


def test_failed_write_keeps_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "metrics.json"
    path.write_text("old\n")

    class Boom:
        def __str__(self) -> str:
            raise RuntimeError("cannot render")

    with pytest.raises(TypeError):
        write_atomic(path, Boom())  # type: ignore[arg-type]
    assert path.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.json"]
