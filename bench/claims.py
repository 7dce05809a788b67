"""The seed's claims, measured: each one an A/B pair of builds or runs in the same bench run.

A is the Dockerfile bench builds (the feature on); B is generated from it by switching that one
feature off through the Dockerfile model (`rules.model`), never written by hand:

- apt cache mount: B drops the apt RUN's cache mounts; measured: the apt step, its layer cache
  busted, the cache mount warm.
- pip cache mount: B drops the pip RUNs' cache mounts; measured: the pip steps, likewise.
- dependency-stage caching: B copies every dependency file before the first install; measured:
  the rebuild after a change to the last dependency group's file.
- compileall: B drops the `python -m compileall` RUN; measured: startup to the first healthy
  answer.
- uvloop + httptools: B is the same image run with UVICORN_LOOP=asyncio UVICORN_HTTP=h11;
  measured: requests/s under a short load on loopback.
- .dockerignore: B is the context without its ignore file; measured: the bytes BuildKit
  transferred.

The layer cache of one step is busted by an `ARG DOCKPERF_CACHE_BUST` put right before it: a new
value each build changes that RUN's cache key (and those after it), nothing before it.

How to read a result:
- `ratio` is how many times better the feature makes the number: B/A for costs (seconds, bytes),
  A/B for throughput. Above 1 is the direction the seed claims.
- `spread` is the worst and the best ratio the repeats allow: min(B)/max(A) to max(B)/min(A)
  for costs. It contains 1 exactly when the ranges of A and B overlap.
- `verdict`: "confirmed" when the ranges do not overlap and the effect goes the claimed way by at
  least 5%; "not confirmed" when they do not overlap but the difference is under 5% either way
  (no real effect) or the opposite of the claim; "inconclusive" when they overlap; "not
  measurable here" (with the reason) when the pair could not be measured on this machine. With
  one run per side (`--quick`) there is no spread to judge by: the verdict then rests on the two
  numbers alone, and the detail says so.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import shutil
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from bench import dockerd, loadgen, mutate, runtime
from bench.build import BuildResult, BuildSpec, build
from bench.errors import BenchError, BuildFailed, ContainerFailed, EngineError
from bench.metrics import ClaimResult, Limits
from bench.progress import Step
from bench.shell import log
from bench.stats import Summary, summarize
from bench.units import human_size
from rules import commands
from rules.model import Dockerfile, Instruction, Mount, parse_dockerfile, parse_mount

if TYPE_CHECKING:
    import docker

    from bench.config import VariantConfig
    from bench.dockerd import Engine
    from bench.run import Options, Ui

BUST_ARG = "DOCKPERF_CACHE_BUST"
MIN_EFFECT = 0.05  # below 5% an effect is not the one the seed claims, however steady
NOT_MEASURABLE = "not measurable here"
Verdict = Literal["confirmed", "not confirmed", "inconclusive", "not measurable here"]
Kind = Literal["apt", "pip"]


@dataclass(frozen=True)
class Claim:
    key: str
    title: str
    metric: str  # what is measured, for the table
    claimed: str  # what the seed says, with its ratio
    unit: str  # "s" | "bytes" | "req/s"
    feature: str  # "with <feature>" / "without <feature>"


# In the order they are measured: the cheap ones first.
CLAIMS: tuple[Claim, ...] = (
    Claim(
        "dockerignore",
        ".dockerignore",
        "build context BuildKit transferred (bytes)",
        "context 85.3 MB → 52.1 MB (1.64×)",
        "bytes",
        "the .dockerignore",
    ),
    Claim(
        "compileall",
        "compileall at build time",
        "startup to healthy (s)",
        "startup 4 s → 3 s (1.33×)",
        "s",
        "bytecode compiled at build time",
    ),
    Claim(
        "uvloop_httptools",
        "uvloop + httptools",
        "requests/s on the health path",
        "throughput +30–40% (1.3–1.4×)",
        "req/s",
        "uvloop and httptools",
    ),
    Claim(
        "dependency_stages",
        "dependency-stage caching",
        "rebuild after a change to the last dependency group (s)",
        "unchanged AI dependencies cached: build −80% (5×)",
        "s",
        "one dependency group per stage",
    ),
    Claim(
        "pip_cache",
        "pip cache mount",
        "pip install steps, layer cache busted (s)",
        "dependency build 3 min 30 s → 1 min 20 s (2.6×)",
        "s",
        "the pip cache mounts",
    ),
    Claim(
        "apt_cache",
        "apt cache mount",
        "apt step, layer cache busted (s)",
        "apt-get 50 s → 15 s (3.3×)",
        "s",
        "the apt cache mounts",
    ),
)
CLAIM_KEYS = tuple(c.key for c in CLAIMS)


def claim(key: str) -> Claim:
    return next(c for c in CLAIMS if c.key == key)


# --------------------------------------------------------------------------------------------
# verdicts (pure)


@dataclass(frozen=True)
class Judgement:
    ratio: float | None
    spread: tuple[float, float] | None
    verdict: Verdict
    why: str


def judge(
    with_feature: Sequence[float], without_feature: Sequence[float], higher_is_better: bool = False
) -> Judgement:
    """The ratio, its spread and the verdict for one claim (see the module docstring)."""
    if not with_feature or not without_feature:
        return Judgement(None, None, NOT_MEASURABLE, "a side has no measurement")
    # Costs: B/A. Throughput: A/B. Either way top / bottom, above 1 in the claimed direction.
    if higher_is_better:
        top, bottom = with_feature, without_feature
    else:
        top, bottom = without_feature, with_feature
    if min(bottom) <= 0:
        return Judgement(None, None, NOT_MEASURABLE, "a measurement is zero")
    ratio = _median(top) / _median(bottom)
    lo, hi = min(top) / max(bottom), max(top) / min(bottom)
    if lo == hi == 1.0:
        return Judgement(ratio, (lo, hi), "not confirmed", "no difference at all")
    if lo <= 1.0 <= hi:
        return Judgement(ratio, (lo, hi), "inconclusive", "the ranges of A and B overlap")
    if 1.0 / (1.0 + MIN_EFFECT) < ratio < 1.0 + MIN_EFFECT:
        return Judgement(
            ratio, (lo, hi), "not confirmed", f"a difference under {MIN_EFFECT:.0%}: no real effect"
        )
    if hi < 1.0:
        return Judgement(ratio, (lo, hi), "not confirmed", "the opposite of the claim")
    return Judgement(ratio, (lo, hi), "confirmed", "")


def _median(values: Sequence[float]) -> float:
    return summarize(values).median


# --------------------------------------------------------------------------------------------
# B variants, generated from the Dockerfile's text through the model (pure)


class VariantError(BenchError):
    """The Dockerfile has nothing to switch off for this claim (or not alone)."""


def _parse(text: str, path: str) -> Dockerfile:
    return parse_dockerfile(text.encode(), path)


def _commands(df: Dockerfile, instr: Instruction) -> list[commands.Command]:
    return [commands.unwrap(c) for c in commands.run_commands(df, instr)]


def _installs(df: Dockerfile, instr: Instruction, kind: Kind) -> bool:
    """Does this RUN install packages with apt (kind "apt") or a Python installer ("pip")?"""
    for cmd in _commands(df, instr):
        if kind == "apt":
            op = commands.package_op(cmd)
            if op is not None and op.manager == "apt":
                return True
        elif commands.installer(cmd) is not None:
            return True
    return False


def _cache_mount_flags(instr: Instruction, kind: Kind) -> list[str]:
    """The raw `--mount=type=cache,...` flags of a RUN that serve `kind`'s downloads."""
    out = []
    for flag in instr.flags:
        if not flag.startswith("--mount="):
            continue
        mount = _mount(flag)
        if mount.type != "cache":
            continue
        is_apt = commands.apt_mount_role(mount.target) is not None
        if is_apt == (kind == "apt"):
            out.append(flag)
    return out


def _mount(flag: str) -> Mount:
    return parse_mount(flag[len("--mount=") :])


def cached_runs(df: Dockerfile, kind: Kind) -> list[Instruction]:
    """RUNs that install with `kind` and have a cache mount for it."""
    return [
        i
        for i in df.instructions
        if i.keyword == "RUN" and _installs(df, i, kind) and _cache_mount_flags(i, kind)
    ]


def _remove_flag(segment: list[str], flag: str) -> int:
    """Take `flag` (and the blanks after it) out of the instruction's lines; the line index."""
    for n, line in enumerate(segment):
        if line.lstrip().startswith("#"):
            continue  # a comment inside the continuation
        start = 0
        while (at := line.find(flag, start)) >= 0:
            end = at + len(flag)
            before_ok = at == 0 or line[at - 1] in " \t"
            after_ok = end == len(line) or line[end] in " \t\r"
            if before_ok and after_ok:
                while end < len(line) and line[end] in " \t":
                    end += 1
                segment[n] = line[:at] + line[end:]
                return n
            start = at + 1
    raise VariantError(f"flag {flag} not found in the instruction's text")


def _drop_flags(text: str, df: Dockerfile, drops: dict[int, list[str]]) -> str:
    """Remove flags from instructions (by first line); lines left empty go, and a RUN left
    alone on its line takes the next line's text (`RUN \\` + `    cmd` -> `RUN cmd`)."""
    lines = text.split("\n")
    escape = df.escape
    for instr in sorted(df.instructions, key=lambda i: -i.line):
        flags = drops.get(instr.line)
        if not flags:
            continue
        first, last = instr.line - 1, instr.end_line
        segment = lines[first:last]
        touched = {_remove_flag(segment, flag) for flag in flags}
        kept = [segment[0]]
        for n, line in enumerate(segment[1:], start=1):
            if n in touched and line.strip() in (escape, ""):
                continue  # the line held only flags
            kept.append(line)
        head = kept[0].rstrip("\r")
        m = re.fullmatch(rf"(\s*\w+)\s*{re.escape(escape)}\s*", head)
        if m and len(kept) > 1 and not kept[1].lstrip().startswith("#"):
            kept[:2] = [f"{m.group(1)} {kept[1].lstrip()}"]
        lines[first:last] = kept
    return "\n".join(lines)


def _check_same_but(before: Dockerfile, after: Dockerfile, what: str) -> None:
    """The generated file must parse to the same instructions, less what was switched off."""
    old = [(i.keyword, i.value) for i in before.instructions]
    new = [(i.keyword, i.value) for i in after.instructions]
    if old != new:
        raise VariantError(f"switching off {what} changed other instructions (a dockperf bug)")


def without_cache_mounts(text: str, kind: Kind, path: str = "Dockerfile") -> str:
    """The Dockerfile with the cache mounts of its `kind` installs dropped (nothing else)."""
    df = _parse(text, path)
    runs = cached_runs(df, kind)
    if not runs:
        raise VariantError(f"{path}: no {kind} install with a cache mount")
    drops = {i.line: _cache_mount_flags(i, kind) for i in runs}
    out = _drop_flags(text, df, drops)
    generated = _parse(out, path)
    _check_same_but(df, generated, f"the {kind} cache mounts")
    for old, new in zip(df.instructions, generated.instructions, strict=True):
        expected = [f for f in old.flags if f not in drops.get(old.line, ())]
        if list(new.flags) != expected:
            raise VariantError(f"{path}:{old.line}: flags {new.flags} after the rewrite")
    return out


def with_cache_bust(text: str, kind: Kind, path: str = "Dockerfile") -> str:
    """`ARG DOCKPERF_CACHE_BUST` right before each cached `kind` install: a new value per build
    re-runs those steps (and what follows them) and nothing before."""
    df = _parse(text, path)
    runs = cached_runs(df, kind)
    if not runs:
        raise VariantError(f"{path}: no {kind} install with a cache mount")
    lines = text.split("\n")
    for instr in sorted(runs, key=lambda i: -i.line):
        lines.insert(instr.line - 1, f"ARG {BUST_ARG}")
    return "\n".join(lines)


def _is_compileall(cmd: commands.Command) -> bool:
    call = commands.python_invocation(cmd)
    return call is not None and call.kind == "module" and call.target == "compileall"


def without_compileall(text: str, path: str = "Dockerfile") -> str:
    """The Dockerfile without its `python -m compileall` RUNs (each becomes a comment line)."""
    df = _parse(text, path)
    runs = []
    for instr in df.instructions:
        if instr.keyword != "RUN":
            continue
        cmds = _commands(df, instr)
        if any(_is_compileall(c) for c in cmds):
            if not all(_is_compileall(c) for c in cmds):
                raise VariantError(
                    f"{path}:{instr.line}: compileall runs with other commands in one RUN"
                )
            runs.append(instr)
    if not runs:
        raise VariantError(f"{path}: no RUN python -m compileall")
    lines = text.split("\n")
    for instr in sorted(runs, key=lambda i: -i.line):
        lines[instr.line - 1 : instr.end_line] = ["# dockperf claim variant: compileall removed"]
    return "\n".join(lines)


def _requirement_files(df: Dockerfile) -> list[str]:
    """Base names of the files Python installs read (`-r`, `-c`), in install order."""
    names: list[str] = []
    for instr in df.instructions:
        if instr.keyword != "RUN":
            continue
        for cmd in _commands(df, instr):
            inst = commands.installer(cmd)
            if inst is None:
                continue
            for f in (*inst.requirement_files, *inst.constraint_files):
                base = f.rsplit("/", 1)[-1]
                if base not in names:
                    names.append(base)
    return names


def dependency_copies(df: Dockerfile) -> list[Instruction]:
    """The COPYs from the context that bring in only files the Python installs read."""
    wanted = set(_requirement_files(df))
    out = []
    for instr in df.instructions:
        if instr.keyword not in ("COPY", "ADD") or instr.has_flag("from") or len(instr.args) < 2:
            continue
        sources = instr.args[:-1]
        if all(s.rstrip("/").rsplit("/", 1)[-1] in wanted for s in sources):
            out.append(instr)
    return out


def dependency_files_copied_once(text: str, path: str = "Dockerfile") -> str:
    """Every dependency file copied by the first dependency COPY, the later ones removed: a
    change to any group's file then re-runs every install, as without one stage per group."""
    df = _parse(text, path)
    copies = dependency_copies(df)
    if len(copies) < 2:
        raise VariantError(f"{path}: the dependency files are already copied in one step")
    dests = {c.args[-1] for c in copies}
    flags = {c.flags for c in copies}
    if len(dests) != 1 or len(flags) != 1:
        raise VariantError(f"{path}: the dependency files are copied to different places")
    dest = copies[0].args[-1]
    if not dest.endswith("/"):
        raise VariantError(f"{path}:{copies[0].line}: several files need a directory (…/)")
    sources = [s for c in copies for s in c.args[:-1]]
    first = copies[0]
    merged = " ".join([first.keyword, *first.flags, *sources, dest])
    lines = text.split("\n")
    for instr in sorted(copies, key=lambda i: -i.line):
        replacement = (
            merged if instr is first else "# dockperf claim variant: copied with the first group"
        )
        lines[instr.line - 1 : instr.end_line] = [replacement]
    return "\n".join(lines)


def step_keys(text: str, instructions: Callable[[Dockerfile], Iterable[Instruction]]) -> set:
    """(stage, n): these RUNs as the n-th RUN step BuildKit prints for their stage.

    The `i/n` numbers in `[deps-core 2/2]` count different instructions in different BuildKit
    versions (0.8 skips ARG, ENV and the FROM of a stage built on another stage), but the RUNs
    of a stage always appear in their order, so the ordinal among them is what identifies one.
    """
    df = _parse(text, "Dockerfile")
    keys = set()
    for instr in instructions(df):
        stage = df.stages[instr.stage]
        label = stage.name or f"stage-{stage.index}"
        runs = [i for i in stage.instructions if i.keyword == "RUN"]
        keys.add((label, next(n for n, i in enumerate(runs, start=1) if i is instr)))
    return keys


def steps_seconds(steps: Sequence[Step], keys: set) -> float:
    """Total seconds of the steps named by `keys`; each must have run, not come from cache."""
    return sum(s.seconds for s in measured_steps(steps, keys))


def measured_steps(steps: Sequence[Step], keys: set) -> list[Step]:
    """The steps named by `keys` (see step_keys); each must have run, not come from cache."""
    runs: dict[str, list[Step]] = {}
    for step in sorted(steps, key=lambda s: s.index):
        if step.instruction.startswith("RUN"):
            runs.setdefault(step.stage, []).append(step)
    found = [runs[stage][n - 1] for stage, n in keys if len(runs.get(stage, ())) >= n]
    if len(found) != len(keys):
        raise BenchError(
            f"expected {len(keys)} measured steps in the build output, found {len(found)}"
        )
    cached = [s.instruction for s in found if s.cached]
    if cached:
        raise BenchError(f"the layer cache was not busted for: {cached[0][:80]}")
    return found


_SIZE = {"B": 1, "bytes": 1, "kB": 1000, "KB": 1000, "MB": 1000**2, "GB": 1000**3}
# pip: `Downloading fastapi-0.115.0-py3-none-any.whl (95 kB)`; apt: `Fetched 10.2 MB in 1s`.
_DOWNLOAD = {
    "pip": re.compile(r"Downloading \S+ \((\d+(?:\.\d+)?) (B|bytes|kB|KB|MB|GB)\)"),
    "apt": re.compile(r"Fetched (\d+(?:\.\d+)?) (B|kB|MB|GB) in "),
}


def downloaded(lines: Iterable[str], vertices: Iterable[int], kind: Kind) -> int:
    """Bytes the installer says it downloaded in these steps' output (BuildKit `#N` lines).

    The evidence that a cache mount worked: with it warm, pip and apt fetch (almost) nothing.
    """
    wanted = {f"#{v} " for v in vertices}
    total = 0.0
    for line in lines:
        if line[: line.find(" ") + 1] not in wanted:
            continue
        for m in _DOWNLOAD[kind].finditer(line):
            total += float(m.group(1)) * _SIZE[m.group(2)]
    return int(total)


# --------------------------------------------------------------------------------------------
# measuring (real builds and containers)


@dataclass(frozen=True)
class Setup:
    """What the claims need from the bench run: the engine, the variant and the plan."""

    engine: Engine
    client: docker.DockerClient
    run_id: str
    name: str  # the variant's name, for messages
    dockerfile: Path  # what bench builds for this variant (`# syntax=` handled)
    context: Path
    target: str | None
    deps_file: Path | None
    health: str
    env: tuple[tuple[str, str], ...]
    limits: Limits
    workdir: Path  # generated Dockerfiles and context copies; a temporary directory
    backups: Path  # for mutate.appended
    build_repeats: int = 3
    startup_repeats: int = 5
    settle_seconds: float = 5.0
    load_seconds: float = 10.0
    concurrency: int = 16
    build_timeout: float = 1800.0
    health_timeout: float = 60.0

    @classmethod
    def for_variant(
        cls,
        v: VariantConfig,
        opts: Options,
        engine: Engine,
        client: docker.DockerClient,
        run_id: str,
        *,
        dockerfile: Path,
        limits: Limits,
        workdir: Path,
        backups: Path,
    ) -> Setup:
        """The claims of one variant with the run's repeats and timeouts (`--quick`: 1 build
        per side, the same startups and load as the variant's own runtime measurement)."""
        plan = opts.plan()
        return cls(
            engine=engine,
            client=client,
            run_id=run_id,
            name=v.name,
            dockerfile=dockerfile,
            context=v.context,
            target=v.target,
            deps_file=v.deps_file,
            health=v.health,
            env=v.env,
            limits=limits,
            workdir=workdir,
            backups=backups,
            build_repeats=opts.build_repeats,
            startup_repeats=plan.repeats,
            settle_seconds=plan.settle_seconds,
            load_seconds=plan.load_seconds,
            concurrency=plan.concurrency,
            build_timeout=opts.build_timeout,
            health_timeout=opts.health_timeout,
        )


def measure(setup: Setup, ui: Ui, keys: Sequence[str] = CLAIM_KEYS) -> Iterator[ClaimResult]:
    """Every claim in `keys`, one result at a time (the caller writes each as it comes).

    A claim that cannot be measured says why and the others go on; a dead engine and Ctrl-C
    stop everything.
    """
    text = setup.dockerfile.read_text()
    measurers: dict[str, Callable[[Setup, str, Ui], ClaimResult]] = {
        "dockerignore": _dockerignore,
        "compileall": _compileall,
        "uvloop_httptools": _uvloop,
        "dependency_stages": _dependency_stages,
        "pip_cache": _pip_cache,
        "apt_cache": _apt_cache,
    }
    for key in keys:
        c = claim(key)
        ui.phase(f"claim: {c.title}")
        try:
            found = measurers[key](setup, text, ui)
        except Exception as exc:
            if isinstance(exc, EngineError):
                raise
            if dockerd.ping() is None:
                raise EngineError(
                    f"the Docker engine stopped answering during the claim {c.title} "
                    f"({type(exc).__name__}: {str(exc)[:200]}); partial results kept"
                ) from exc
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            if not isinstance(exc, BenchError):
                reason = f"unexpected {type(exc).__name__}: {reason}"
                log.exception("claim %s", c.title)
            ui.note(f"claim {c.title}: {NOT_MEASURABLE}: {reason}")
            found = not_measurable(c, reason)
        log.info("claim %s: %s (%s)", c.title, found.verdict, found.detail)
        yield found


_VERDICT_ICON = {
    "confirmed": "✅ confirmed",
    "not confirmed": "❌ not confirmed",
    "inconclusive": "❔ inconclusive",
    NOT_MEASURABLE: "➖ not measurable here",
}


def render_markdown(results: Sequence[ClaimResult]) -> list[str]:
    """bench.md's claims section: a table, then one sentence per claim saying how and what."""
    out = [
        "### The seed's claims, measured (A with the feature, B generated without it)",
        "",
        "| Claim | Seed says | Measured (× better with it) | Spread | Verdict |",
        "|---|---|---|---|---|",
    ]
    for r in results:
        ratio = f"{r.ratio:.2f}×" if r.ratio is not None else "–"
        spread = f"{r.spread[0]:.2f}–{r.spread[1]:.2f}×" if r.spread else "–"
        if _single(r.with_feature) and _single(r.without_feature):
            spread = "– (1 run each)"
        verdict = _VERDICT_ICON.get(r.verdict, r.verdict)
        out.append(f"| {r.claim} | {r.claimed} | {ratio} | {spread} | {verdict} |")
    out.append("")
    out += [f"- **{r.claim}**: {r.detail}" for r in results]
    return out


def _single(summary: Summary | None) -> bool:
    return summary is not None and len(summary.runs) == 1


def not_measurable(c: Claim, reason: str) -> ClaimResult:
    return ClaimResult(
        key=c.key,
        claim=c.title,
        metric=c.metric,
        claimed=c.claimed,
        with_feature=None,
        without_feature=None,
        ratio=None,
        spread=None,
        verdict=NOT_MEASURABLE,
        detail=f"{NOT_MEASURABLE}: {reason}",
    )


def result(
    c: Claim, with_runs: Sequence[float], without_runs: Sequence[float], how: str
) -> ClaimResult:
    """The measured pair judged, with a sentence a reviewer reads in ten seconds."""
    j = judge(with_runs, without_runs, higher_is_better=c.unit == "req/s")
    a, b = summarize(with_runs), summarize(without_runs)
    n = min(len(a.runs), len(b.runs))
    shown = f"{_fmt(b.median, c.unit)} without vs {_fmt(a.median, c.unit)} with {c.feature}"
    if n > 1:
        shown += f" (medians of {len(a.runs)} and {len(b.runs)} runs)"
    elif c.unit != "bytes":
        shown += " (one run each, so no spread: run without --quick for one)"
    if j.ratio is None:
        sentence = j.why
    else:
        better = {"s": "faster", "bytes": "smaller", "req/s": "more requests/s"}[c.unit]
        if j.ratio >= 1:
            sentence = f"{j.ratio:.2f}× {better} with {c.feature}"
        else:
            sentence = f"{1 / j.ratio:.2f}× {_worse(c.unit)} with {c.feature}"
        if j.why:
            sentence += f" — {j.why}"
    detail = f"{shown}: {sentence}. {how} The seed claims {c.claimed}."
    return ClaimResult(
        key=c.key,
        claim=c.title,
        metric=c.metric,
        claimed=c.claimed,
        with_feature=a,
        without_feature=b,
        ratio=j.ratio,
        spread=j.spread,
        verdict=j.verdict,
        detail=detail,
    )


def _worse(unit: str) -> str:
    return {"s": "slower", "bytes": "bigger", "req/s": "fewer requests/s"}[unit]


def _fmt(value: float, unit: str) -> str:
    if unit == "s":
        return f"{value:.2f} s" if value < 10 else f"{value:.1f} s"
    if unit == "bytes":
        return human_size(int(value))
    return f"{value:.0f} req/s"


def _build(
    setup: Setup,
    name: str,
    text: str,
    *,
    target: str | None = None,
    bust: str | None = None,
    context: Path | None = None,
    on_line: Callable[[str], None] | None = None,
) -> BuildResult:
    """Build a generated Dockerfile (written under the work directory) against the context."""
    path = setup.workdir / f"{name}.Dockerfile"
    path.write_text(text)
    spec = BuildSpec(
        context=context or setup.context,
        dockerfile=path,
        tag=f"dockperf-bench/claim-{name}:{setup.run_id}",
        run_id=setup.run_id,
        target=target if target is not None else setup.target,
        build_args=((BUST_ARG, bust),) if bust is not None else (),
        timeout=setup.build_timeout,
    )
    return build(setup.engine, spec, on_line=on_line)


# --- build-step claims: apt and pip cache mounts ---------------------------------------------


def _cache_mount(setup: Setup, text: str, ui: Ui, kind: Kind) -> ClaimResult:
    c = claim(f"{kind}_cache")
    a_text = with_cache_bust(text, kind, str(setup.dockerfile))
    b_text = without_cache_mounts(a_text, kind, str(setup.dockerfile))
    df = _parse(a_text, str(setup.dockerfile))
    first = cached_runs(df, kind)[0]
    # The stage that holds the install (apt: only the debug stage uses it in backend/).
    stage = df.stages[first.stage]
    target = setup.target
    if not _builds_stage(df, setup.target, first.stage):
        target = stage.name or str(stage.index)
    a_keys = step_keys(a_text, lambda d: cached_runs(d, kind))
    b_keys = step_keys(b_text, lambda d: [d.instructions[i] for i in _indexes(df, kind)])
    ui.detail(f"{kind}: warming the cache mount (target {target or 'default'})")
    try:
        _build(setup, f"{kind}-a", a_text, target=target, bust=f"{setup.run_id}-warm")
    except BuildFailed as exc:
        if kind == "apt":
            raise BuildFailed(
                f"apt in a build container could not install from the Debian mirror "
                f"({str(exc).splitlines()[0]})",
                exc.log_tail,
            ) from exc
        raise
    runs: tuple[list[float], list[float]] = ([], [])
    fetched: tuple[list[int], list[int]] = ([], [])
    for i in range(setup.build_repeats):
        bust = f"{setup.run_id}-{i}"
        for side, (name, variant, keys) in enumerate(
            ((f"{kind}-a", a_text, a_keys), (f"{kind}-b", b_text, b_keys))
        ):
            ui.detail(f"{kind}: {('with', 'without')[side]} cache mount {i + 1}")
            lines: list[str] = []
            built = _build(setup, name, variant, target=target, bust=bust, on_line=lines.append)
            steps = measured_steps(built.steps, keys)
            runs[side].append(sum(s.seconds for s in steps))
            fetched[side].append(downloaded(lines, (s.vertex for s in steps), kind))
    what = "step" if len(a_keys) == 1 else f"{len(a_keys)} steps"
    how = (
        f"Time of the {kind} install {what} from BuildKit's progress, the layer cache busted "
        f"by a build argument, the cache mount warmed first (target {target or 'default'}); "
        f"{kind} reported downloading {_fmt(max(fetched[0]), 'bytes')} with the mount and "
        f"{_fmt(min(fetched[1]), 'bytes')} without it."
    )
    measured = result(c, runs[0], runs[1], how)
    with_mount, without_mount = _median(fetched[0]), _median(fetched[1])
    if not cache_in_use(with_mount, without_mount):
        reason = (
            f"the warm cache mount saved no download ({kind} fetched "
            f"{_fmt(with_mount, 'bytes')} with it, {_fmt(without_mount, 'bytes')} without), so "
            f"the cache is not in use on this machine"
            + (
                "; pip keeps only downloads whose HTTP responses allow caching (Cache-Control, "
                "ETag or Last-Modified)"
                if kind == "pip"
                else ""
            )
        )
        return replace(
            measured,
            verdict=NOT_MEASURABLE,
            detail=f"{NOT_MEASURABLE}: {reason}. {measured.detail}",
        )
    return measured


def cache_in_use(with_mount: float, without_mount: float) -> bool:
    """Did the warm cache mount save downloads? (Under 90% of what was fetched without it.)"""
    return without_mount == 0 or with_mount < 0.9 * without_mount


def _indexes(df: Dockerfile, kind: Kind) -> list[int]:
    """Positions (in df.instructions) of the cached installs: the same positions in B."""
    runs = cached_runs(df, kind)
    return [n for n, i in enumerate(df.instructions) if any(i is r for r in runs)]


def _builds_stage(df: Dockerfile, target: str | None, index: int) -> bool:
    final = df.final_stage(target)
    wanted: set[int] = set()
    todo = [final.index]
    while todo:
        s = todo.pop()
        if s in wanted:
            continue
        wanted.add(s)
        stage = df.stages[s]
        if stage.parent is not None:
            todo.append(stage.parent)
        for instr in stage.instructions:
            ref = instr.flag("from")
            if ref and (dep := df.stage_by_name(ref)) is not None:
                todo.append(dep.index)
    return index in wanted


def _apt_cache(setup: Setup, text: str, ui: Ui) -> ClaimResult:
    return _cache_mount(setup, text, ui, "apt")


def _pip_cache(setup: Setup, text: str, ui: Ui) -> ClaimResult:
    return _cache_mount(setup, text, ui, "pip")


# --- dependency-stage caching -----------------------------------------------------------------


def _dependency_stages(setup: Setup, text: str, ui: Ui) -> ClaimResult:
    c = claim("dependency_stages")
    if setup.deps_file is None:
        raise VariantError("no dependency file to change (deps_file)")
    b_text = dependency_files_copied_once(text, str(setup.dockerfile))
    ui.detail("dependency stages: building the unchanged tree")
    _build(setup, "deps-a", text)
    _build(setup, "deps-b", b_text)
    with_runs: list[float] = []
    without_runs: list[float] = []
    for i in range(setup.build_repeats):
        line = f"# dockperf bench {setup.run_id}: claim dependency_stages {i}"
        with mutate.appended(setup.deps_file, line, setup.backups):
            ui.detail(f"dependency stages: one stage per group {i + 1}/{setup.build_repeats}")
            with_runs.append(_build(setup, "deps-a", text).seconds)
            ui.detail(f"dependency stages: all files copied at once {i + 1}/{setup.build_repeats}")
            without_runs.append(_build(setup, "deps-b", b_text).seconds)
    how = (
        f"Whole rebuild after a line is appended to {setup.deps_file.name}; B copies every "
        "dependency file before the first install, so every group is reinstalled (from a warm "
        "pip cache)."
    )
    return result(c, with_runs, without_runs, how)


# --- runtime claims: compileall, uvloop + httptools ------------------------------------------


def _spec(
    setup: Setup, image: str, tag: str, env: tuple[tuple[str, str], ...] = ()
) -> runtime.RunSpec:
    return runtime.RunSpec(
        image=image,
        run_id=setup.run_id,
        name=f"dockperf-claim-{tag}-{setup.run_id}",
        health_path=setup.health,
        env=(*setup.env, *env),
        limits=setup.limits,
        health_timeout=setup.health_timeout,
    )


@contextlib.contextmanager
def _container(setup: Setup, spec: runtime.RunSpec, index: int) -> Iterator[runtime.Started]:
    """A started (healthy) container, removed afterwards whatever happens."""
    try:
        started = runtime.start(setup.client, spec, index)
    except BaseException:
        _remove_named(setup, f"{spec.name}-{index}")
        raise
    try:
        yield started
    finally:
        runtime.remove(setup.client, started.container_id)


def _remove_named(setup: Setup, name: str) -> None:
    import docker as docker_sdk

    with contextlib.suppress(docker_sdk.errors.NotFound):
        setup.client.containers.get(name).remove(force=True)


def _compileall(setup: Setup, text: str, ui: Ui) -> ClaimResult:
    c = claim("compileall")
    b_text = without_compileall(text, str(setup.dockerfile))
    ui.detail("compileall: building both images")
    a = _build(setup, "compileall-a", text)
    b = _build(setup, "compileall-b", b_text)
    specs = (_spec(setup, a.image_id, "compileall-a"), _spec(setup, b.image_id, "compileall-b"))
    _warm_up(setup, specs, ui)
    runs: tuple[list[float], list[float]] = ([], [])
    for i in range(setup.startup_repeats):
        # Alternate A and B so a drift of the machine's load touches both alike.
        for side, spec in enumerate(specs):
            ui.detail(f"compileall: startup {i + 1}/{setup.startup_repeats} ({'AB'[side]})")
            with _container(setup, spec, i) as started:
                runs[side].append(started.seconds)
    how = (
        "Time from `docker run` to the first healthy answer, A and B alternated after one "
        "unmeasured start of each."
    )
    return result(c, runs[0], runs[1], how)


def _warm_up(setup: Setup, specs: Sequence[runtime.RunSpec], ui: Ui) -> None:
    """Start each image once, unmeasured: the first start after a build reads the image's files
    into the page cache, and whichever side went first would pay for both."""
    for side, spec in enumerate(specs):
        ui.detail(f"warming up {'AB'[side]}")
        with _container(setup, spec, setup.startup_repeats + side):
            pass


ASYNCIO_H11 = (("UVICORN_LOOP", "asyncio"), ("UVICORN_HTTP", "h11"))


def _uvloop(setup: Setup, text: str, ui: Ui) -> ClaimResult:
    c = claim("uvloop_httptools")
    ui.detail("uvloop: building the image")
    image = _build(setup, "uvloop", text).image_id
    # One worker on both sides: with several, uvicorn recycles them every N requests
    # (LIMIT_MAX_REQUESTS) and the restarts, not the event loop, decide the requests/s.
    one = (("WORKERS", "1"),)
    specs = (
        _spec(setup, image, "uvloop-a", one),
        _spec(setup, image, "uvloop-b", (*one, *ASYNCIO_H11)),
    )
    repeats = max(3, setup.build_repeats)
    _warm_up(setup, specs, ui)
    runs: tuple[list[float], list[float]] = ([], [])
    for i in range(repeats):
        for side, spec in enumerate(specs):
            ui.detail(f"uvloop: load {i + 1}/{repeats} ({'AB'[side]})")
            with _container(setup, spec, i) as started:
                container = setup.client.containers.get(started.container_id)
                if side == 1:
                    _require_switched(container)
                time.sleep(setup.settle_seconds)
                load = asyncio.run(
                    loadgen.load(started.port, setup.health, setup.load_seconds, setup.concurrency)
                )
                if load.ok == 0:
                    raise ContainerFailed(f"no request succeeded under load ({load.failed} failed)")
                runs[side].append(load.requests_per_second)
    how = (
        f"Requests/s of {setup.concurrency} keep-alive connections on 127.0.0.1 for "
        f"{setup.load_seconds:g} s against one worker (WORKERS=1: no recycling mid-load), "
        "same image, B run with UVICORN_LOOP=asyncio UVICORN_HTTP=h11 (checked on the server's "
        "command line); the load generator shares the machine's CPUs with the server."
    )
    return result(c, runs[0], runs[1], how)


def _require_switched(container: Any) -> None:
    """B must really run asyncio and h11: the entrypoint passes them to uvicorn's command line."""
    top = container.top()
    lines = [" ".join(map(str, row)) for row in top.get("Processes", [])]
    if not any("--loop asyncio" in ln and "--http h11" in ln for ln in lines):
        raise VariantError(
            "the server does not take UVICORN_LOOP/UVICORN_HTTP from the environment "
            "(no `--loop asyncio --http h11` on its command line)"
        )


# --- .dockerignore ---------------------------------------------------------------------------

_TRANSFER = re.compile(r"^#\d+ transferring context: (\d+(?:\.\d+)?)([kMGT]?B)\b")
_UNITS = {"B": 1, "kB": 1000, "MB": 1000**2, "GB": 1000**3, "TB": 1000**4}


def transferred_bytes(lines: Iterable[str]) -> int | None:
    """The last `transferring context: 52.1MB` BuildKit printed, in bytes (3 digits)."""
    found = None
    for line in lines:
        if m := _TRANSFER.match(line.strip()):
            found = int(float(m.group(1)) * _UNITS[m.group(2)])
    return found


def _dockerignore(setup: Setup, text: str, ui: Ui) -> ClaimResult:
    """The context sent with and without the ignore file, as BuildKit reports the transfer.

    Each build gets a fresh copy of the context: BuildKit sends only what changed since the
    last build of the same directory, and a new directory makes it send everything.
    """
    from rules.dockerignore import read_dockerignore, walk_context

    c = claim("dockerignore")
    ignore = read_dockerignore(setup.context, setup.dockerfile)
    if ignore is None:
        raise VariantError(f"{setup.context} has no .dockerignore")
    sizes: list[int] = []
    for side in ("a", "b"):
        copy = setup.workdir / f"context-{side}"
        shutil.copytree(setup.context, copy, symlinks=True)
        if side == "b":
            (copy / ".dockerignore").unlink(missing_ok=True)
        lines: list[str] = []
        ui.detail(f".dockerignore: build {'with' if side == 'a' else 'without'} it")
        _build(setup, f"dockerignore-{side}", text, context=copy, on_line=lines.append)
        size = transferred_bytes(lines)
        if size is None:
            raise BenchError("BuildKit printed no `transferring context` line")
        sizes.append(size)
        shutil.rmtree(copy, ignore_errors=True)
    walked_a = walk_context(setup.context, ignore)
    walked_b = walk_context(setup.context, None)
    kept_out = sum(walked_b.values()) - sum(walked_a.values())
    how = (
        f"Bytes BuildKit reported transferring for a fresh copy of the context; the files the "
        f"context holds: {len(walked_b)} ({_fmt(sum(walked_b.values()), 'bytes')}) without the "
        f"ignore file, {len(walked_a)} ({_fmt(sum(walked_a.values()), 'bytes')}) with it."
    )
    if sizes[0] == sizes[1] and kept_out > 0:
        how += (
            " BuildKit sent only the paths this Dockerfile's COPY and ADD name, so what the "
            f"ignore file keeps out ({_fmt(kept_out, 'bytes')}) was not sent either way."
        )
    return result(c, [sizes[0]], [sizes[1]], how)


__all__ = [
    "CLAIMS",
    "Claim",
    "Judgement",
    "Setup",
    "VariantError",
    "dependency_files_copied_once",
    "judge",
    "measure",
    "with_cache_bust",
    "without_cache_mounts",
    "without_compileall",
]
