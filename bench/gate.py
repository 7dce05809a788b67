"""`nox -s gate`: fail CI for a reason — targets missed, or a regression against a baseline.

Targets come from `[tool.dockperf.gate]` with the seed's as defaults (build < 180 s, image
< 600 MB, startup < 2 s with a warning up to 4 s, memory < 512 MB). `--baseline PATH` compares
with a saved metrics.json; a metric that got worse by more than `max-regression-percent` fails.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

MB = 1000 * 1000  # docker images reports decimal megabytes; the seed's "600MB" is one of those
MIB = 1024 * 1024  # docker stats reports MiB; the seed's "512MB" memory target is one of those


@dataclass(frozen=True)
class Target:
    metric: str  # key in the variant's flattened metrics
    label: str
    limit: float  # pass below this
    warn: float | None  # between limit and warn: warning; at or above: fail
    unit: str  # "s" | "bytes"


@dataclass(frozen=True)
class Check:
    metric: str
    label: str
    value: float | None
    expected: str
    status: str  # pass | warn | fail
    why: str


@dataclass(frozen=True)
class GateConfig:
    variant: str | None
    targets: tuple[Target, ...]
    max_regression_percent: float


def load_config(pyproject: Path) -> GateConfig:
    table: dict = {}
    if pyproject.is_file():
        with pyproject.open("rb") as fh:
            table = tomllib.load(fh).get("tool", {}).get("dockperf", {}).get("gate", {})

    def num(key: str, default: float) -> float:
        value = table.get(key, default)
        if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
            raise GateError(f"{pyproject}: [tool.dockperf.gate] {key} must be a positive number")
        return float(value)

    startup = num("startup-seconds", 2.0)
    targets = (
        Target("build_cold_seconds", "Build time (cold)", num("build-seconds", 180), None, "s"),
        Target("image_size_bytes", "Image size", num("image-mb", 600) * MB, None, "bytes"),
        Target(
            "startup_seconds",
            "Startup to healthy",
            startup,
            num("startup-warn-seconds", max(4.0, startup)),
            "s",
        ),
        Target("memory_idle_bytes", "Memory (idle)", num("memory-mb", 512) * MIB, None, "bytes"),
    )
    variant = table.get("variant")
    return GateConfig(variant, targets, num("max-regression-percent", 10))


class GateError(Exception):
    """Bad input to the gate: exit 2 with this one line."""


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "bytes":
        return f"{value / MB:.1f} MB"
    return f"{value:.2f} s"


def flatten(variant: dict) -> dict[str, float | None]:
    """The gated numbers of one variant of metrics.json (schema 1)."""
    build = variant.get("build") or {}
    image = variant.get("image") or {}
    runtime = variant.get("runtime") or {}
    cold = build.get("cold") or {}
    startup = runtime.get("startup") or {}
    return {
        "build_cold_seconds": cold.get("median"),
        "image_size_bytes": image.get("size_bytes"),
        "startup_seconds": startup.get("median"),
        "memory_idle_bytes": runtime.get("memory_idle_bytes"),
    }


def pick_variant(metrics: dict, name: str | None, path: Path) -> tuple[str, dict]:
    variants = metrics.get("variants") or {}
    if not variants:
        raise GateError(f"{path}: no variants measured")
    if name is None:
        name = (metrics.get("comparison") or {}).get("candidate") or next(iter(variants))
    if name not in variants:
        raise GateError(f"{path}: no variant {name!r} (has: {', '.join(variants)})")
    return name, variants[name]


def evaluate(config: GateConfig, variant: dict, baseline: dict | None = None) -> list[Check]:
    values = flatten(variant)
    checks: list[Check] = []
    for t in config.targets:
        value = values.get(t.metric)
        expected = f"< {_fmt(t.limit, t.unit)}"
        if value is None:
            why = "not measured" + (" (partial run)" if variant.get("partial") else "")
            checks.append(Check(t.metric, t.label, None, expected, "fail", why))
        elif value < t.limit:
            checks.append(Check(t.metric, t.label, value, expected, "pass", ""))
        elif t.warn is not None and value < t.warn:
            why = f"over {_fmt(t.limit, t.unit)}, under the warning limit {_fmt(t.warn, t.unit)}"
            checks.append(Check(t.metric, t.label, value, expected, "warn", why))
        else:
            limit = t.warn if t.warn is not None else t.limit
            why = f"{_fmt(value, t.unit)} is over the target {_fmt(limit, t.unit)}"
            checks.append(Check(t.metric, t.label, value, expected, "fail", why))
    if baseline is not None:
        before = flatten(baseline)
        for t in config.targets:
            old, new = before.get(t.metric), values.get(t.metric)
            if not old or new is None:
                continue
            change = (new - old) / old * 100
            label = f"{t.label} vs baseline"
            expected = f"≤ +{config.max_regression_percent:g}%"
            shown = f"{_fmt(old, t.unit)} → {_fmt(new, t.unit)}"
            if change > config.max_regression_percent:
                why = (
                    f"{shown}: {change:+.1f}%, over the allowed +{config.max_regression_percent:g}%"
                )
                checks.append(Check(t.metric, label, new, expected, "fail", why))
            else:
                checks.append(
                    Check(t.metric, label, new, expected, "pass", f"{shown}: {change:+.1f}%")
                )
    return checks


def render(variant_name: str, checks: list[Check]) -> str:
    units = {"build_cold_seconds": "s", "startup_seconds": "s"}
    icon = {"pass": "✅ pass", "warn": "⚠️ warn", "fail": "❌ fail"}
    failed = [c for c in checks if c.status == "fail"]
    verdict = "FAILED" if failed else "passed"
    lines = [
        f"### dockperf gate: {verdict} (variant `{variant_name}`)",
        "",
        "| check | value | target | status | why |",
        "|---|---|---|---|---|",
    ]
    for c in checks:
        value = _fmt(c.value, units.get(c.metric, "bytes"))
        lines.append(f"| {c.label} | {value} | {c.expected} | {icon[c.status]} | {c.why} |")
    if failed:
        lines += ["", f"{len(failed)} check(s) failed: " + "; ".join(c.label for c in failed)]
    return "\n".join(lines) + "\n"


def _read_metrics(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise GateError(f"{path}: not found (run `nox -s bench` first)") from None
    except (OSError, UnicodeError) as exc:
        raise GateError(f"{path}: cannot read: {exc}") from None
    except json.JSONDecodeError as exc:
        raise GateError(f"{path}:{exc.lineno}: not valid JSON: {exc.msg}") from None
    if not isinstance(data, dict) or data.get("schema") != 1:
        raise GateError(f"{path}: not a dockperf metrics.json (schema 1)")
    return data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench gate", description=__doc__)
    parser.add_argument("--metrics", type=Path, default=Path("reports/metrics.json"))
    parser.add_argument("--baseline", type=Path, help="a saved metrics.json to compare with")
    parser.add_argument("--variant", help="the variant to gate (default: the primary one)")
    parser.add_argument("--config", type=Path, default=Path("pyproject.toml"))
    args = parser.parse_args(argv)
    try:
        config = load_config(args.config)
        metrics = _read_metrics(args.metrics)
        name, variant = pick_variant(metrics, args.variant or config.variant, args.metrics)
        base_variant = None
        if args.baseline:
            base = _read_metrics(args.baseline)
            variants = base.get("variants") or {}
            base_variant = variants.get(name)
            if base_variant is None:
                raise GateError(f"{args.baseline}: no variant {name!r} to compare with")
    except GateError as exc:
        print(f"gate: {exc}", file=sys.stderr)
        return 2
    checks = evaluate(config, variant, base_variant)
    text = render(name, checks)
    print(text, end="")
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with Path(summary).open("a", encoding="utf-8") as fh:
            fh.write(text)
    return 1 if any(c.status == "fail" for c in checks) else 0
