"""reports/bench.md: the measurements as tables fit for a PR comment (pure, from Metrics)."""

from __future__ import annotations

from bench.metrics import SCENARIOS, Metrics, TargetCheck, VariantMetrics
from bench.stats import Summary
from bench.units import bytes_size, human_size

_ICON = {"pass": "✅ pass", "warn": "⚠️ warn", "fail": "❌ fail"}


def _seconds(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.2f} s" if value < 10 else f"{value:.1f} s"


def _summary(s: Summary | None) -> str:
    if s is None:
        return "–"
    if len(s.runs) == 1:
        return _seconds(s.median)
    return f"{_seconds(s.median)} ({_seconds(s.min)}–{_seconds(s.max)}, n={len(s.runs)})"


def _target_value(t: TargetCheck) -> str:
    if t.value is None:
        return "–"
    if t.metric == "image_size_bytes":
        return human_size(int(t.value))
    if t.metric == "memory_bytes":
        return bytes_size(int(t.value))
    return _seconds(t.value)


_TARGET_NAMES = {
    "build_time_seconds": "Build time (cold, median)",
    "image_size_bytes": "Image size",
    "startup_time_seconds": "Startup to healthy (median)",
    "memory_bytes": "Memory (idle)",
}


def render(m: Metrics) -> str:
    out: list[str] = ["## Docker performance", ""]
    partial = [v.name for v in m.variants if v.partial]
    if m.primary:
        out += [f"Targets checked on **{m.primary}**.", ""]
    out += ["| Metric | Value | Target | Status |", "|---|---|---|---|"]
    for t in m.targets:
        name = _TARGET_NAMES.get(t.metric, t.metric)
        out.append(f"| {name} | {_target_value(t)} | {t.target} | {_ICON[t.status]} |")
    out.append("")
    if m.variants:
        out += _variants_table(m.variants)
    if m.comparison:
        c = m.comparison
        out += ["", f"**{c.candidate}** vs **{c.baseline}** (ratio; below 1 is better):", ""]
        out += ["| " + " | ".join(c.ratios) + " |", "|" + "---|" * len(c.ratios)]
        out.append(
            "| " + " | ".join("–" if r is None else f"{r:.2f}×" for r in c.ratios.values()) + " |"
        )
    if m.claims:
        from bench.claims import render_markdown  # imports the Dockerfile model: only when needed

        out += ["", *render_markdown(m.claims)]
    for v in m.variants:
        if v.image and v.image.duplicate_distributions:
            out += ["", f"Python distributions installed more than once in **{v.name}**:", ""]
            for d in v.image.duplicate_distributions:
                out.append(f"- `{d.name}` {', '.join(d.versions)} in {', '.join(d.locations)}")
    problems = [(v.name, e) for v in m.variants for e in v.errors]
    notes = [(v.name, n) for v in m.variants for n in v.notes]
    if problems:
        out += ["", "**Errors** (results partial):", ""]
        for name, text in problems:
            first, _, rest = text.partition("\n")
            out.append(f"- {name}: {first}")
            if rest:
                out += ["", "  ```", *["  " + line for line in rest.splitlines()], "  ```"]
    if notes:
        out += ["", "Notes:", ""]
        out += [f"- {name}: {text}" for name, text in notes]
    if m.engine:
        bases = ", ".join(f"`{b.ref}` ({b.source})" for b in m.engine.base_images)
        out += [
            "",
            f"Engine {m.engine.server_version}, client {m.engine.client}, "
            f"{m.engine.builder}" + (f"; base images: {bases}" if bases else "") + ".",
        ]
    if partial:
        out += ["", f"⚠️ Partial results for: {', '.join(partial)}."]
    out += ["", f"<sub>{m.timestamp}</sub>", ""]
    return "\n".join(out)


def _variants_table(variants: tuple[VariantMetrics, ...]) -> list[str]:
    header = [
        "Variant",
        *(s.replace("_", " ") for s in SCENARIOS),
        "Image",
        "Layers",
        "Wasted",
        "Startup",
        "Memory idle",
        "Memory load",
        "req/s",
        "Workers",
        "Memory/worker",
    ]
    rows = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for v in variants:
        scen = v.build.scenarios if v.build else {}
        cells = [v.name + (" (partial)" if v.partial else "")]
        cells += [_summary(scen[s].summary) if s in scen else "–" for s in SCENARIOS]
        img, rt = v.image, v.runtime
        cells += [
            human_size(img.size_bytes) if img else "–",
            str(img.layer_count) if img else "–",
            human_size(img.wasted_bytes) if img else "–",
            _summary(rt.startup) if rt else "–",
            bytes_size(rt.memory_idle_bytes) if rt and rt.memory_idle_bytes is not None else "–",
            bytes_size(rt.memory_load_bytes) if rt and rt.memory_load_bytes is not None else "–",
            f"{rt.requests_per_second:.0f}" if rt and rt.requests_per_second is not None else "–",
            str(rt.workers) if rt and rt.workers is not None else "–",
            # RSS of one worker: the figure for the entrypoint's WORKER_MEMORY_MB.
            bytes_size(rt.worker_memory_bytes)
            if rt and rt.worker_memory_bytes is not None
            else "–",
        ]
        rows.append("| " + " | ".join(cells) + " |")
    return rows
