"""The measurements as values, and `reports/metrics.json` (schema 1) made from them.

Every value that crosses modules is a frozen dataclass here; `to_json` is the only place that knows
the file's shape. The primary variant's numbers are repeated at the top level under the seed's
keys (`build_time_seconds`, `image_size`, ...), so the seed's CI snippets keep working.

One addition to the issue's schema: each build scenario also carries the `steps` of its last run,
because cache hits only show in the incremental scenarios (`build.steps` is the cold build's).
`image_size` and `memory_usage` are formatted exactly like `docker images` and `docker stats`.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import targets as targets_mod
from bench.baseimages import BaseImage
from bench.progress import Step
from bench.stats import Summary
from bench.targets import Status, Target
from bench.units import bytes_size, human_size

SCHEMA = 1
SCENARIOS = ("cold", "warm", "source_change", "deps_change")

MB = 1000 * 1000  # `docker images` sizes are decimal
MIB = 1024 * 1024  # `docker stats` memory is binary


# The targets (the seed's by default, [tool.dockperf.gate] when configured) are defined once, in
# bench.targets, and shared with the gate.
SEED_TARGETS: tuple[Target, ...] = targets_mod.SEED.targets


@dataclass(frozen=True)
class ScenarioResult:
    summary: Summary
    steps: tuple[Step, ...]  # of the last repeat


@dataclass(frozen=True)
class BuildMetrics:
    scenarios: Mapping[str, ScenarioResult]
    steps: tuple[Step, ...]  # of the last cold build: every step's full duration


@dataclass(frozen=True)
class Layer:
    created_by: str
    size_bytes: int


@dataclass(frozen=True)
class Distribution:
    name: str
    versions: tuple[str, ...]
    locations: tuple[str, ...]


@dataclass(frozen=True)
class ImageMetrics:
    image_id: str
    size_bytes: int
    layer_count: int
    layers: tuple[Layer, ...]
    wasted_bytes: int
    duplicate_distributions: tuple[Distribution, ...]


@dataclass(frozen=True)
class Limits:
    cpus: float | None
    memory_bytes: int | None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class RuntimeMetrics:
    startup: Summary | None
    memory_idle_bytes: int | None
    memory_load_bytes: int | None
    requests_per_second: float | None
    workers: int | None
    limits: Limits
    memory_limit_bytes: int | None = None  # what `docker stats` shows after the slash
    # RSS of one worker process (median over the workers, whole MiB): WORKER_MEMORY_MB's figure.
    worker_memory_bytes: int | None = None


@dataclass(frozen=True)
class Context:
    files: int
    bytes: int


@dataclass(frozen=True)
class VariantMetrics:
    name: str
    dockerfile: str
    target: str | None
    context: Context | None = None
    build: BuildMetrics | None = None
    image: ImageMetrics | None = None
    runtime: RuntimeMetrics | None = None
    partial: bool = False
    errors: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class EngineInfo:
    server_version: str
    client: str
    builder: str
    base_images: tuple[BaseImage, ...] = ()


@dataclass(frozen=True)
class Comparison:
    baseline: str
    candidate: str
    ratios: Mapping[str, float | None]


@dataclass(frozen=True)
class TargetCheck:
    metric: str
    target: str
    value: float | None
    status: Status


@dataclass(frozen=True)
class ClaimResult:
    """One of the seed's claims measured as an A/B pair (bench.claims makes and explains them)."""

    key: str
    claim: str
    metric: str
    claimed: str
    with_feature: Summary | None  # A
    without_feature: Summary | None  # B
    ratio: float | None  # how many times better with the feature (> 1: the claimed direction)
    spread: tuple[float, float] | None
    verdict: str  # confirmed | not confirmed | inconclusive | not measurable here
    detail: str


@dataclass(frozen=True)
class Metrics:
    timestamp: str
    engine: EngineInfo | None
    variants: tuple[VariantMetrics, ...]
    primary: str | None
    comparison: Comparison | None = None
    targets: tuple[TargetCheck, ...] = field(default_factory=tuple)
    claims: tuple[ClaimResult, ...] = ()

    def variant(self, name: str | None) -> VariantMetrics | None:
        return next((v for v in self.variants if v.name == name), None)


# --------------------------------------------------------------------------------------------
# derived values


def primary_values(variant: VariantMetrics | None) -> dict[str, float | None]:
    """The numbers the targets and the seed's keys are about."""
    build = variant.build if variant else None
    cold = build.scenarios.get("cold") if build else None
    image = variant.image if variant else None
    runtime = variant.runtime if variant else None
    return {
        "build_time_seconds": cold.summary.median if cold else None,
        "image_size_bytes": image.size_bytes if image else None,
        "startup_time_seconds": runtime.startup.median if runtime and runtime.startup else None,
        "memory_bytes": runtime.memory_idle_bytes if runtime else None,
    }


def check_targets(
    variant: VariantMetrics | None, targets: tuple[Target, ...] = SEED_TARGETS
) -> tuple[TargetCheck, ...]:
    """The variant against the targets, judged from its metrics.json form as the gate does."""
    values = targets_mod.flatten(_variant(variant)) if variant is not None else {}
    return tuple(
        TargetCheck(t.seed_key, t.expected, values.get(t.metric), t.status(values.get(t.metric)))
        for t in targets
    )


def _ratio(candidate: float | None, baseline: float | None) -> float | None:
    if candidate is None or baseline is None or baseline == 0:
        return None
    return candidate / baseline


def compare(baseline: VariantMetrics, candidate: VariantMetrics) -> Comparison:
    """candidate / baseline for each headline number (below 1 means the candidate is better)."""

    def build(v: VariantMetrics, scenario: str) -> float | None:
        result = v.build.scenarios.get(scenario) if v.build else None
        return result.summary.median if result else None

    def startup(v: VariantMetrics) -> float | None:
        return v.runtime.startup.median if v.runtime and v.runtime.startup else None

    def memory(v: VariantMetrics) -> float | None:
        return v.runtime.memory_idle_bytes if v.runtime else None

    def size(v: VariantMetrics) -> float | None:
        return v.image.size_bytes if v.image else None

    return Comparison(
        baseline=baseline.name,
        candidate=candidate.name,
        ratios={
            "build_cold": _ratio(build(candidate, "cold"), build(baseline, "cold")),
            "build_source_change": _ratio(
                build(candidate, "source_change"), build(baseline, "source_change")
            ),
            "image_size": _ratio(size(candidate), size(baseline)),
            "startup": _ratio(startup(candidate), startup(baseline)),
            "memory_idle": _ratio(memory(candidate), memory(baseline)),
        },
    )


# --------------------------------------------------------------------------------------------
# JSON


def _summary(s: Summary) -> dict[str, Any]:
    return {"runs": list(s.runs), "min": s.min, "median": s.median, "max": s.max}


def _steps(steps: tuple[Step, ...]) -> list[dict[str, Any]]:
    return [{"instruction": s.instruction, "seconds": s.seconds, "cached": s.cached} for s in steps]


def _variant(v: VariantMetrics) -> dict[str, Any]:
    build: dict[str, Any] | None = None
    if v.build is not None:
        build = {
            name: {**_summary(result.summary), "steps": _steps(result.steps)}
            for name, result in v.build.scenarios.items()
        }
        build["steps"] = _steps(v.build.steps)
    image = None
    if v.image is not None:
        image = {
            "size_bytes": v.image.size_bytes,
            "layer_count": v.image.layer_count,
            "layers": [
                {"created_by": x.created_by, "size_bytes": x.size_bytes} for x in v.image.layers
            ],
            "wasted_bytes": v.image.wasted_bytes,
            "duplicate_distributions": [
                {"name": d.name, "versions": list(d.versions), "locations": list(d.locations)}
                for d in v.image.duplicate_distributions
            ],
        }
    runtime = None
    if v.runtime is not None:
        r = v.runtime
        runtime = {
            "startup": _summary(r.startup) if r.startup else None,
            "memory_idle_bytes": r.memory_idle_bytes,
            "memory_load_bytes": r.memory_load_bytes,
            "requests_per_second": r.requests_per_second,
            "workers": r.workers,
            "worker_memory_bytes": r.worker_memory_bytes,
            "limits": {"cpus": r.limits.cpus, "memory_bytes": r.limits.memory_bytes},
        }
    return {
        "dockerfile": v.dockerfile,
        "target": v.target,
        "context": {"files": v.context.files, "bytes": v.context.bytes} if v.context else None,
        "build": build,
        "image": image,
        "runtime": runtime,
        "partial": v.partial,
        "errors": list(v.errors),
    }


def to_json(m: Metrics) -> dict[str, Any]:
    primary = m.variant(m.primary)
    values = primary_values(primary)
    runtime = primary.runtime if primary else None
    memory_usage = None
    if runtime and runtime.memory_idle_bytes is not None:
        memory_usage = bytes_size(runtime.memory_idle_bytes)
        if runtime.memory_limit_bytes:
            memory_usage += " / " + bytes_size(runtime.memory_limit_bytes)
    size = primary.image.size_bytes if primary and primary.image else None
    return {
        "schema": SCHEMA,
        "timestamp": m.timestamp,
        "build_time_seconds": values["build_time_seconds"],
        "image_size": human_size(size) if size is not None else None,
        "image_size_bytes": size,
        "startup_time_seconds": values["startup_time_seconds"],
        "memory_usage": memory_usage,
        "memory_bytes": values["memory_bytes"],
        "layer_count": primary.image.layer_count if primary and primary.image else None,
        "engine": (
            {
                "server_version": m.engine.server_version,
                "client": m.engine.client,
                "builder": m.engine.builder,
                "base_images": [{"ref": b.ref, "source": b.source} for b in m.engine.base_images],
            }
            if m.engine
            else None
        ),
        "variants": {v.name: _variant(v) for v in m.variants},
        "comparison": (
            {
                "baseline": m.comparison.baseline,
                "candidate": m.comparison.candidate,
                "ratios": dict(m.comparison.ratios),
            }
            if m.comparison
            else None
        ),
        "targets": [
            {"metric": t.metric, "target": t.target, "value": t.value, "status": t.status}
            for t in m.targets
        ],
        # Only when measured (`bench run --no-claims` skips them).
        **({"claims": [_claim(c) for c in m.claims]} if m.claims else {}),
    }


def _claim(c: ClaimResult) -> dict[str, Any]:
    return {
        "key": c.key,
        "claim": c.claim,
        "metric": c.metric,
        "claimed": c.claimed,
        "ratio": c.ratio,
        "spread": list(c.spread) if c.spread else None,
        "verdict": c.verdict,
        "detail": c.detail,
        "with": _summary(c.with_feature) if c.with_feature else None,
        "without": _summary(c.without_feature) if c.without_feature else None,
    }


def write_atomic(path: Path, text: str) -> None:
    """Write via a temporary file in the same directory and os.replace: readers never see half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_metrics(path: Path, m: Metrics) -> None:
    write_atomic(path, json.dumps(to_json(m), indent=2, sort_keys=False) + "\n")
