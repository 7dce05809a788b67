"""`nox -s report`: reports/index.html (one self-contained page with charts) and summary.md.

Inputs are the files the other sessions wrote: reports/lint.json (`nox -s lint`) and
reports/metrics.json (`nox -s bench`). Either may be missing; the page says so instead of failing.
Charts are matplotlib SVG inlined into the page, so it needs no network to view.
"""

from __future__ import annotations

import argparse
import html
import io
import json
import re
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bench import gate
from bench.metrics import write_atomic
from bench.targets import SEED, Target, format_value

SCENARIO_LABELS = {
    "cold": "cold",
    "warm": "warm",
    "source_change": "source change",
    "deps_change": "deps change",
}


@dataclass(frozen=True)
class Inputs:
    lint: dict | None
    metrics: dict | None
    problems: tuple[str, ...]


def _load(path: Path, what: str) -> tuple[dict | None, str | None]:
    if not path.exists():
        return None, f"{path} not found: run `nox -s {what}` first"
    try:
        return json.loads(path.read_text(encoding="utf-8")), None
    except (OSError, UnicodeError, json.JSONDecodeError) as exc:
        return None, f"{path}: unreadable ({exc})"


def load_inputs(reports: Path) -> Inputs:
    lint, p1 = _load(reports / "lint.json", "lint")
    metrics, p2 = _load(reports / "metrics.json", "bench")
    return Inputs(lint, metrics, tuple(p for p in (p1, p2) if p))


# --------------------------------------------------------------------------- charts


def _svg(fig) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    text = buf.getvalue()
    # Drop the XML prolog and DOCTYPE: the SVG is inlined into HTML.
    return text[text.index("<svg") :]


def _figure(width: float = 7.0, height: float = 3.2, columns: int = 1):
    # Imported here: matplotlib takes a second to import and only this session needs it.
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # Text stays text in the SVG (no embedded glyph paths): smaller, searchable, no font files.
    plt.rcParams.update({"svg.fonttype": "none", "font.size": 9})
    return plt.subplots(1, columns, figsize=(width, height))


def chart_findings(findings: list[dict]) -> str | None:
    if not findings:
        return None
    by_rule = Counter(f["rule"] for f in findings)
    by_file = Counter(f["file"] for f in findings)
    fig, (ax1, ax2) = _figure(9, 3.2, columns=2)
    rules = sorted(by_rule)
    ax1.barh(rules, [by_rule[r] for r in rules], color="#4c72b0")
    ax1.set_title("Findings by rule")
    ax1.invert_yaxis()
    files = sorted(by_file)
    ax2.barh(files, [by_file[f] for f in files], color="#dd8452")
    ax2.set_title("Findings by file")
    ax2.invert_yaxis()
    fig.tight_layout()
    return _svg(fig)


def chart_builds(variants: dict) -> str | None:
    rows = []
    for name, v in variants.items():
        build = v.get("build") or {}
        for key in SCENARIO_LABELS:
            s = build.get(key)
            if s and s.get("median") is not None:
                rows.append((name, key, s["min"], s["median"], s["max"]))
    if not rows:
        return None
    fig, ax = _figure(8, 3.4)
    names = list(dict.fromkeys(r[0] for r in rows))
    width = 0.8 / max(1, len(names))
    for k, name in enumerate(names):
        xs, med, lo, hi = [], [], [], []
        for i, key in enumerate(SCENARIO_LABELS):
            for r in rows:
                if r[0] == name and r[1] == key:
                    xs.append(i + k * width)
                    med.append(r[3])
                    lo.append(r[3] - r[2])
                    hi.append(r[4] - r[3])
        ax.bar(xs, med, width, yerr=[lo, hi], capsize=3, label=name)
    ax.set_xticks([i + width * (len(names) - 1) / 2 for i in range(len(SCENARIO_LABELS))])
    ax.set_xticklabels(list(SCENARIO_LABELS.values()))
    ax.set_ylabel("seconds (median, min–max)")
    ax.set_title("Build time by scenario")
    ax.legend()
    return _svg(fig)


def layer_label(created_by: str) -> str:
    """A short name for a layer: `RUN /bin/sh -c pip install --no-deps -r /tmp/r/core.txt` ->
    `pip install -r core.txt` (no shell prefix, no --long options, file names without folders,
    only the first command of a chain)."""
    text = re.sub(r"^RUN /bin/sh -c ", "", " ".join(created_by.split()))
    text = re.split(r"\s(?:&&|\|\||;)\s", text, maxsplit=1)[0]
    words = [w for w in text.split() if not w.startswith("--")]
    words = [w.rsplit("/", 1)[-1] if w.startswith("/") and len(w) > 1 else w for w in words]
    text = " ".join(words)
    return text if len(text) <= 38 else text[:37] + "…"


def chart_layers(variants: dict) -> str | None:
    data = {
        name: (v.get("image") or {}).get("layers") or []
        for name, v in variants.items()
        if (v.get("image") or {}).get("layers")
    }
    if not data:
        return None
    fig, ax = _figure(9, 1.4 + 0.9 * len(data))
    # The same layer (the base image, say) gets the same colour in every variant; small ones
    # (under 1% of the biggest image) share one colour and no label.
    palette = [
        "#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3",
        "#937860", "#da8bc3", "#8c8c8c", "#ccb974", "#64b5cd",
    ]  # fmt: skip
    total = max(sum(layer["size_bytes"] for layer in layers) for layers in data.values())
    colours: dict[str, str] = {}
    width_points = fig.get_figwidth() * ax.get_position().width * 72
    for row, layers in enumerate(data.values()):
        left = 0.0
        for n, layer in enumerate(layers):
            mb = layer["size_bytes"] / 1e6
            label = layer_label(layer.get("created_by") or "")
            if n == 0 or layer["size_bytes"] >= total / 100:
                colour = colours.setdefault(label, palette[len(colours) % len(palette)])
            else:
                colour = "#d0d0d0"
            ax.barh(row, mb, left=left, color=colour, edgecolor="white", linewidth=0.8)
            # As many characters as the segment holds (7 pt text is about 4 pt per character).
            fits = int(mb / (total / 1e6 * 1.12) * width_points / 4.2)
            if fits >= 6:
                short = label if len(label) <= fits else label[: fits - 1] + "…"
                ax.text(
                    left + mb / 2,
                    row,
                    f"{short}\n{mb:.0f} MB",
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white",
                )
            left += mb
        ax.text(left + total / 1e6 * 0.01, row, f"{left:.0f} MB", va="center", fontsize=8)
    ax.set_yticks(range(len(data)))
    ax.set_yticklabels(list(data))
    ax.invert_yaxis()
    ax.set_xlim(0, total / 1e6 * 1.12)
    ax.set_xlabel("MB (each segment is one layer; grey: layers under 1% of the image)")
    ax.set_title("Image size by layer")
    return _svg(fig)


def _target(config: gate.GateConfig, metric: str) -> Target:
    return next(t for t in config.targets if t.metric == metric)


def chart_startup(variants: dict, config: gate.GateConfig = SEED) -> str | None:
    data = {
        name: ((v.get("runtime") or {}).get("startup") or {}).get("runs") or []
        for name, v in variants.items()
    }
    data = {k: runs for k, runs in data.items() if runs}
    if not data:
        return None
    fig, ax = _figure(7, 3.0)
    ax.boxplot(list(data.values()), tick_labels=list(data), orientation="horizontal")
    for row, runs in enumerate(data.values(), start=1):
        ax.scatter(runs, [row] * len(runs), s=12, color="#c44e52", zorder=3)
    t = _target(config, "startup_seconds")
    ax.axvline(t.limit, color="green", linestyle="--", linewidth=1, label=f"target {t.limit:g} s")
    if t.warn is not None:
        ax.axvline(
            t.warn, color="orange", linestyle="--", linewidth=1, label=f"warning {t.warn:g} s"
        )
    ax.set_xlabel("seconds from `docker run` to the first healthy answer")
    ax.set_title("Startup distribution")
    ax.legend(loc="lower right")
    return _svg(fig)


def chart_memory(variants: dict, config: gate.GateConfig = SEED) -> str | None:
    rows = []
    for name, v in variants.items():
        rt = v.get("runtime") or {}
        if rt.get("memory_idle_bytes") is not None:
            rows.append(
                (name, rt["memory_idle_bytes"] / 2**20, (rt.get("memory_load_bytes") or 0) / 2**20)
            )
    if not rows:
        return None
    fig, ax = _figure(7, 3.0)
    xs = range(len(rows))
    ax.bar([x - 0.2 for x in xs], [r[1] for r in rows], 0.4, label="idle")
    ax.bar([x + 0.2 for x in xs], [r[2] for r in rows], 0.4, label="under load")
    limit = _target(config, "memory_idle_bytes").limit / 2**20
    ax.axhline(limit, color="red", linestyle="--", linewidth=1, label=f"target {limit:g} MiB")
    ax.set_xticks(list(xs))
    ax.set_xticklabels([r[0] for r in rows])
    ax.set_ylabel("MiB")
    ax.set_title("Memory")
    ax.legend()
    return _svg(fig)


# --------------------------------------------------------------------------- text


def _claims_rows(metrics: dict | None) -> list[dict]:
    return list((metrics or {}).get("claims") or [])


def _single_runs(claim: dict) -> bool:
    """One run per side (`--quick`): there is no spread to show."""
    return all(len((claim.get(k) or {}).get("runs") or [0, 0]) == 1 for k in ("with", "without"))


def summary_markdown(inputs: Inputs, gate_text: str | None) -> str:
    out = ["## dockperf summary", ""]
    for p in inputs.problems:
        out.append(f"> {p}")
    lint = inputs.lint
    if lint is not None:
        findings = lint.get("findings", [])
        sev = Counter(f["severity"] for f in findings)
        out.append(
            f"**Lint:** {len(findings)} findings "
            f"({sev.get('error', 0)} errors, {sev.get('warning', 0)} warnings, "
            f"{sev.get('info', 0)} info); {len(lint.get('dropped_hadolint', []))} hadolint "
            "findings dropped as false positives or duplicates."
        )
        out.append("")
    claims = _claims_rows(inputs.metrics)
    if claims:
        out += [
            "### The seed's claims, measured",
            "",
            "| claim | measured | spread | verdict |",
            "|---|---|---|---|",
        ]
        for c in claims:
            ratio = c.get("ratio")
            spread = c.get("spread") or [None, None]
            shown = f"{ratio:.2f}×" if ratio is not None else "—"
            spread_s = f"{spread[0]:.2f}–{spread[1]:.2f}×" if None not in spread else "—"
            if _single_runs(c):
                spread_s = "— (1 run each)"
            out.append(f"| {c['claim']} | {shown} | {spread_s} | {c.get('verdict', '—')} |")
        out.append("")
    if gate_text:
        out.append(gate_text)
    return "\n".join(out) + "\n"


def _cell(value: object) -> str:
    """A table cell; `(text, css_class)` colours it."""
    if isinstance(value, tuple):
        text, css = value
        return f'<td class="{css}">{html.escape(str(text))}</td>'
    return f"<td>{html.escape(str(value))}</td>"


def _table(headers: list[str], rows: list[list[object]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(_cell(c) for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


@dataclass(frozen=True)
class GateResult:
    variant: str
    checks: tuple[gate.Check, ...]

    @property
    def failed(self) -> list[gate.Check]:
        return [c for c in self.checks if c.status == "fail"]


def _gate_html(result: GateResult) -> tuple[str, str]:
    """(the verdict banner for the top of the page, the table of checks)."""
    name = html.escape(result.variant)
    if result.failed:
        why = "; ".join(f"{c.label}: {c.why}" for c in result.failed)
        banner = (
            f'<p class="banner fail">Gate <b>failed</b> for <code>{name}</code> — '
            f"{html.escape(why)}</p>"
        )
    else:
        banner = f'<p class="banner pass">Gate <b>passed</b> for <code>{name}</code></p>'
    rows: list[list[object]] = [
        [
            c.label,
            format_value(c.value, c.unit),
            c.expected,
            (c.status, c.status),
            c.why,
        ]
        for c in result.checks
    ]
    return banner, _table(["check", "value", "target", "status", "why"], rows)


_VERDICT_CSS = {
    "confirmed": "pass",
    "not confirmed": "fail",
    "inconclusive": "warn",
}


def _claims_html(claims: list[dict]) -> str:
    rows: list[list[object]] = []
    for c in claims:
        ratio = c.get("ratio")
        spread = c.get("spread") or [None, None]
        verdict = c.get("verdict", "—")
        single = _single_runs(c)
        rows.append(
            [
                c["claim"],
                c.get("claimed", "—"),
                f"{ratio:.2f}×" if ratio is not None else "—",
                "— (1 run each)"
                if single
                else f"{spread[0]:.2f}–{spread[1]:.2f}×"
                if None not in spread
                else "—",
                (verdict, _VERDICT_CSS.get(verdict, "na")),
                c.get("detail", ""),
            ]
        )
    note = (
        "<p>Ratio: how many times better each number is with the feature (A) than without it "
        "(B, generated from the Dockerfile by switching that one thing off); above 1 is the "
        "direction the seed claims. Spread: the worst and best ratio the repeats allow; a "
        "spread that contains 1 means the runs of A and B overlap.</p>"
    )
    headers = ["claim", "seed says", "measured", "spread", "verdict", "how"]
    return note + _table(headers, rows)


def render_html(
    inputs: Inputs,
    summary_md: str = "",
    result: GateResult | None = None,
    config: gate.GateConfig = SEED,
) -> str:
    """The page; `summary_md` is what summary.md holds (kept for callers; the page renders the
    same facts as HTML)."""
    del summary_md
    sections: list[str] = []
    for p in inputs.problems:
        sections.append(f'<p class="problem">{html.escape(p)}</p>')
    banner = ""
    if result is not None:
        banner, checks_table = _gate_html(result)
        sections.append("<h2>Gate</h2>" + checks_table)
    findings = (inputs.lint or {}).get("findings", [])
    variants = (inputs.metrics or {}).get("variants") or {}
    charts = [
        ("Lint findings", chart_findings(findings)),
        ("Build time", chart_builds(variants)),
        ("Layers", chart_layers(variants)),
        ("Startup", chart_startup(variants, config)),
        ("Memory", chart_memory(variants, config)),
    ]
    for title, svg in charts:
        body = svg if svg else "<p>Nothing measured for this chart.</p>"
        if title == "Lint findings" and svg is None and inputs.lint is not None:
            body = "<p>No findings: dockerfile-rules and hadolint found nothing to report.</p>"
        sections.append(f'<section class="chart"><h2>{html.escape(title)}</h2>{body}</section>')
        if title == "Lint findings" and findings:
            rows: list[list[object]] = [
                [f["rule"], f["severity"], f"{f['file']}:{f['line']}", f["message"]]
                for f in findings
            ]
            sections.append(
                "<h2>Findings</h2>" + _table(["rule", "severity", "where", "message"], rows)
            )
    claims = _claims_rows(inputs.metrics)
    if claims:
        sections.append("<h2>Claims</h2>" + _claims_html(claims))
    stamp = html.escape(str((inputs.metrics or {}).get("timestamp", "")))
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>dockperf report</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em auto; max-width: 70em; color: #222;
  padding: 0 1em; }}
table {{ border-collapse: collapse; font-size: 0.9em; margin: 0.5em 0 1em; }}
td, th {{ border: 1px solid #ccc; padding: 0.25em 0.5em; text-align: left; vertical-align: top; }}
th {{ background: #f4f4f4; }}
td.pass {{ color: #1a7f37; font-weight: 600; }}
td.warn {{ color: #9a6700; font-weight: 600; }}
td.fail {{ color: #cf222e; font-weight: 600; }}
td.na {{ color: #777; }}
.banner {{ padding: 0.6em 0.8em; border-radius: 4px; font-size: 1.1em; }}
.banner.pass {{ background: #dafbe1; }}
.banner.fail {{ background: #ffebe9; }}
.problem {{ background: #fff3cd; padding: 0.5em; }}
section.chart svg {{ max-width: 100%; height: auto; }}
.stamp {{ color: #666; }}
</style></head>
<body><h1>dockperf report</h1><p class="stamp">{stamp}</p>
{banner}
{"".join(sections)}
</body></html>
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench report", description=__doc__)
    parser.add_argument("--reports", type=Path, default=Path("reports"))
    parser.add_argument("--config", type=Path, default=Path("pyproject.toml"))
    args = parser.parse_args(argv)
    inputs = load_inputs(args.reports)
    gate_text = None
    result = None
    try:
        config = gate.load_config(args.config)
        if inputs.metrics is not None:
            name, variant = gate.pick_variant(inputs.metrics, config.variant, args.reports)
            checks = gate.evaluate(config, variant)
            gate_text = gate.render(name, checks)
            result = GateResult(name, tuple(checks))
    except gate.GateError as exc:
        print(f"report: {exc}", file=sys.stderr)
        return 2
    summary = summary_markdown(inputs, gate_text)
    page = render_html(inputs, summary, result, config)
    args.reports.mkdir(parents=True, exist_ok=True)
    write_atomic(args.reports / "summary.md", summary)
    write_atomic(args.reports / "index.html", page)
    for p in inputs.problems:
        print(f"report: note: {p}", file=sys.stderr)
    print(f"wrote {args.reports / 'index.html'} and {args.reports / 'summary.md'}")
    return 0
