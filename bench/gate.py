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
from dataclasses import dataclass
from pathlib import Path

# The targets are defined once, in bench.targets; these names are the gate's public API.
from bench.targets import (
    GateConfig,
    GateError,
    Target,
    flatten,
    format_value,
    load_config,
)

__all__ = ["Check", "GateConfig", "GateError", "Target", "evaluate", "flatten", "load_config"]


@dataclass(frozen=True)
class Check:
    metric: str
    label: str
    value: float | None
    expected: str
    status: str  # pass | warn | fail
    why: str
    unit: str = "s"


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
        status = t.status(value)
        if value is None:
            why = "not measured" + (" (partial run)" if variant.get("partial") else "")
        elif status == "pass":
            why = ""
        elif status == "warn":
            why = f"over {t.format(t.limit)}, under the warning limit {t.format(t.warn)}"
        else:
            limit = t.warn if t.warn is not None else t.limit
            why = f"{t.format(value)} is over the target {t.format(limit)}"
        checks.append(Check(t.metric, t.label, value, t.expected, status, why, t.unit))
    if baseline is not None:
        checks += _regressions(config, values, flatten(baseline))
    return checks


def _regressions(
    config: GateConfig, values: dict[str, float | None], before: dict[str, float | None]
) -> list[Check]:
    checks = []
    allowed = config.max_regression_percent
    for t in config.targets:
        old, new = before.get(t.metric), values.get(t.metric)
        if not old or new is None:
            continue
        change = (new - old) / old * 100
        label = f"{t.label} vs baseline"
        shown = f"{t.format(old)} → {t.format(new)}"
        if change > allowed:
            why = f"{shown}: {change:+.1f}%, over the allowed +{allowed:g}%"
            status = "fail"
        else:
            why, status = f"{shown}: {change:+.1f}%", "pass"
        checks.append(Check(t.metric, label, new, f"≤ +{allowed:g}%", status, why, t.unit))
    return checks


def render(variant_name: str, checks: list[Check]) -> str:
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
        value = format_value(c.value, c.unit)
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
