"""`python -m bench run`: every variant built, analysed and run; metrics.json and bench.md written.

Per variant: cold builds (no layer cache, cache mounts cleared), warm rebuilds, rebuilds after a
source-only change and after a change to one dependency group, each repeated; then the pristine
image is analysed and run. Everything bench creates carries the label `dockperf.bench=<run id>`
and is removed by that label in a `finally`, whatever happened. A failure of one variant is
recorded in it (partial, with the error) and the next variant still runs; Ctrl-C, SIGTERM or a
dead engine stop the run, and what was measured until then is written, marked partial.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import secrets
import signal
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Protocol

from bench import (
    baseimages,
    claims,
    dockerd,
    image,
    locks,
    markdown,
    metrics,
    mutate,
    runtime,
    targets,
)
from bench.build import LABEL, BuildResult, BuildSpec, build, clear_cache_mounts
from bench.config import BenchConfig, VariantConfig
from bench.errors import BenchError, BuildFailed, ContainerFailed, EngineError
from bench.metrics import (
    SCENARIOS,
    BuildMetrics,
    Context,
    EngineInfo,
    Limits,
    Metrics,
    RuntimeMetrics,
    ScenarioResult,
    VariantMetrics,
)
from bench.shell import log
from bench.stats import summarize

if TYPE_CHECKING:
    import docker


class Ui(Protocol):
    def phase(self, text: str) -> None: ...
    def detail(self, text: str) -> None: ...
    def note(self, text: str) -> None: ...


class QuietUi:
    """For tests and scripts: messages go to the log only."""

    def phase(self, text: str) -> None:
        log.info("%s", text)

    def detail(self, text: str) -> None:
        pass

    def note(self, text: str) -> None:
        log.warning("%s", text)


class Interrupted(BaseException):
    """SIGINT or SIGTERM arrived; a BaseException so nothing between here and run() eats it."""


@dataclass(frozen=True)
class Options:
    quick: bool = False
    variants: tuple[str, ...] = ()
    repeat: int | None = None
    startup_repeat: int | None = None
    output_dir: Path = Path("reports")
    scenarios: tuple[str, ...] = SCENARIOS
    keep_images: bool = False
    provision: bool = True
    build_timeout: float = 1800.0
    health_timeout: float = 60.0
    settle_seconds: float | None = None
    load_seconds: float | None = None
    concurrency: int = 16
    run_id: str | None = None
    # The seed's claims to measure (bench.claims); the CLI asks for all of them by default.
    claims: tuple[str, ...] = ()

    @property
    def build_repeats(self) -> int:
        return self.repeat if self.repeat is not None else (1 if self.quick else 3)

    @property
    def startup_repeats(self) -> int:
        return self.startup_repeat if self.startup_repeat is not None else (3 if self.quick else 5)

    def plan(self) -> runtime.Plan:
        return runtime.Plan(
            repeats=self.startup_repeats,
            settle_seconds=self.settle_seconds
            if self.settle_seconds is not None
            else (3.0 if self.quick else 5.0),
            load_seconds=self.load_seconds
            if self.load_seconds is not None
            else (5.0 if self.quick else 10.0),
            concurrency=self.concurrency,
        )


@dataclass
class _State:
    """What one variant has measured so far (mutable while it runs, frozen at the end)."""

    config: VariantConfig
    context: Context | None = None
    scenarios: dict[str, ScenarioResult] = field(default_factory=dict)
    cold_steps: tuple = ()
    image: metrics.ImageMetrics | None = None
    runtime: RuntimeMetrics | None = None
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    done: bool = False
    measured_seconds: float = 0.0  # inside builds and container runs: what is measured
    analysis_seconds: float = 0.0  # reading the image (docker save): a measurement of ours

    def freeze(self, root: Path) -> VariantMetrics:
        build = BuildMetrics(dict(self.scenarios), self.cold_steps) if self.scenarios else None
        return VariantMetrics(
            name=self.config.name,
            dockerfile=_rel(self.config.dockerfile, root),
            target=self.config.target,
            context=self.context,
            build=build,
            image=self.image,
            runtime=self.runtime,
            partial=not self.done or bool(self.errors),
            errors=tuple(self.errors),
            notes=tuple(self.notes),
        )


@dataclass(frozen=True)
class Outcome:
    metrics: Metrics
    json_path: Path
    markdown_path: Path
    interrupted: bool
    fatal: str | None


def _rel(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


def new_run_id() -> str:
    return f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}-{os.getpid()}"


@contextlib.contextmanager
def _signals_interrupt() -> Iterator[None]:
    """SIGINT and SIGTERM raise Interrupted in the main thread, so `finally` blocks clean up."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise Interrupted(signal.Signals(signum).name)

    previous = {}
    try:
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, handler)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def run(cfg: BenchConfig, opts: Options, ui: Ui | None = None) -> Outcome:
    ui = ui or QuietUi()
    run_id = opts.run_id or new_run_id()
    started_at = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    backups = cfg.root / ".dockperf" / "backups"
    selected = [cfg.variant(n) for n in opts.variants] if opts.variants else list(cfg.variants)
    states = [_State(v) for v in selected]
    engine_info: EngineInfo | None = None
    interrupted = False
    fatal: str | None = None
    client: docker.DockerClient | None = None
    keep: list[str] = []
    measured_claims: list[metrics.ClaimResult] = []
    gate = _gate_config(cfg)
    json_path = opts.output_dir / "metrics.json"
    md_path = opts.output_dir / "bench.md"

    def write() -> Metrics:
        m = _assemble(cfg, started_at, engine_info, states, gate.targets, measured_claims)
        metrics.write_metrics(json_path, m)
        metrics.write_atomic(md_path, markdown.render(m))
        return m

    wall_start = time.monotonic()
    claims_seconds = 0.0  # the claims' A/B builds and runs are measurements too
    with locks.checkout_lock(cfg.root), _signals_interrupt():
        try:
            # Under the checkout lock, so a backup found here belongs to a run that is gone.
            for path in mutate.restore_leftovers(backups):
                ui.note(f"restored {path}, left edited by an interrupted run")
            ui.phase("finding a Docker engine")
            engine = dockerd.ensure_engine(provision=opts.provision)
            ui.note(engine.describe())
            client = dockerd.connect()
            engine_info = EngineInfo(
                engine.server_version,
                f"{engine.client} {engine.client_version}",
                _builder_name(engine),
            )
            ui.phase("base images")
            bases = _ensure_bases(selected, engine, ui)
            engine_info = replace(engine_info, base_images=tuple(bases))
            for state in states:
                try:
                    _measure_variant(state, cfg, opts, engine, client, run_id, backups, ui, keep)
                    state.done = True
                except (BuildFailed, ContainerFailed) as exc:
                    if dockerd.ping() is None:  # the build or container died with the engine
                        raise _engine_gone(exc) from exc
                    state.errors.append(_describe(exc))
                    ui.note(f"{state.config.name}: {_describe(exc)}")
                except BenchError as exc:
                    if not isinstance(exc, EngineError) and dockerd.ping() is not None:
                        state.errors.append(str(exc))
                        ui.note(f"{state.config.name}: {exc}")
                    else:
                        raise _engine_gone(exc) from exc
                except Exception as exc:
                    if dockerd.ping() is None:
                        raise _engine_gone(exc) from exc
                    state.errors.append(f"{type(exc).__name__}: {exc}")
                    ui.note(f"{state.config.name}: unexpected {type(exc).__name__}: {exc}")
                write()
            claims_start = time.monotonic()
            try:
                for found in _claims(cfg, opts, states, engine, client, run_id, backups, ui):
                    measured_claims.append(found)
                    write()
            finally:
                claims_seconds = time.monotonic() - claims_start
        except Interrupted as exc:
            interrupted = True
            _mark_unfinished(states, f"interrupted by {exc}")
            ui.note(f"interrupted by {exc}: cleaning up and keeping what was measured")
        except BenchError as exc:  # no engine, no base image, or the engine died mid-run
            fatal = str(exc)
            _mark_unfinished(states, str(exc))
        finally:
            with _signals_ignored():
                if client is not None:
                    ui.phase("cleaning up")
                    try:
                        cleanup(client, run_id, keep)
                    except Exception as exc:
                        ui.note(
                            f"cleanup incomplete ({type(exc).__name__}: {exc}); remove "
                            f"leftovers with label {LABEL}={run_id}"
                        )
                final = write()
    _log_overhead(
        time.monotonic() - wall_start - claims_seconds,
        sum(s.measured_seconds for s in states),
        sum(s.analysis_seconds for s in states),
    )
    return Outcome(final, json_path, md_path, interrupted, fatal)


def _log_overhead(wall: float, measured: float, analysis: float) -> None:
    """bench's own cost: everything but the builds and container runs it times (goal: < 10%).

    Image analysis is reported apart: it is a measurement, but one bench makes itself.
    """
    if wall > 0:
        own = wall - measured - analysis
        log.info(
            "bench took %.1f s: %.1f s builds and runs, %.1f s image analysis, %.1f s its own "
            "(%.1f%%, %.1f%% with the analysis)",
            wall,
            measured,
            analysis,
            own,
            100 * own / wall,
            100 * (own + analysis) / wall,
        )


@contextlib.contextmanager
def _signals_ignored() -> Iterator[None]:
    """A second Ctrl-C must not abort the cleanup half-way."""
    try:
        old = signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old)


def _engine_gone(exc: BaseException) -> EngineError:
    if isinstance(exc, EngineError):
        return exc
    return EngineError(
        f"the Docker engine stopped answering ({type(exc).__name__}: "
        f"{str(exc)[:200]}); partial results kept"
    )


def _mark_unfinished(states: list[_State], reason: str) -> None:
    for state in states:
        if not state.done and not state.errors:
            state.errors.append(reason)


def _describe(exc: BenchError) -> str:
    text = str(exc)
    if isinstance(exc, ContainerFailed) and exc.log_tail:
        text += "\nlast log lines:\n" + exc.log_tail
    if isinstance(exc, BuildFailed) and exc.log_tail:
        text += "\nlast build output:\n" + exc.log_tail
    return text


def _builder_name(engine: dockerd.Engine) -> str:
    return "buildx" if engine.builder == "buildx" else "buildkit (DOCKER_BUILDKIT=1)"


def _ensure_bases(
    variants: list[VariantConfig], engine: dockerd.Engine, ui: Ui
) -> list[baseimages.BaseImage]:
    seen: dict[str, baseimages.BaseImage] = {}
    for v in variants:
        try:
            text = v.dockerfile.read_text()
        except OSError as exc:
            raise BenchError(f"{v.dockerfile}: cannot read: {exc.strerror}") from exc
        for ref in baseimages.from_images(text):
            if ref not in seen:
                ui.detail(ref)
                seen[ref] = baseimages.ensure_one(ref, engine.docker, engine.env)
                if seen[ref].source == "stand-in":
                    ui.note(f"base image {ref}: local stand-in (no registry reachable)")
    return list(seen.values())


def _dockerfile_for_build(v: VariantConfig, engine: dockerd.Engine, tmp: Path, ui: Ui) -> Path:
    """The Dockerfile as is, or a copy without `# syntax=` when that frontend cannot be pulled.

    Without a registry BuildKit cannot fetch the frontend image; the built-in frontend of the
    engine is used instead (and said so).
    """
    text = v.dockerfile.read_text()
    syntax = baseimages.syntax_directive(text)
    if syntax is None:
        return v.dockerfile
    try:
        baseimages.ensure_one(syntax, engine.docker, engine.env)
    except BenchError:
        pass
    else:
        return v.dockerfile
    ui.note(
        f"{v.name}: frontend {syntax} cannot be pulled; building with the engine's built-in "
        "Dockerfile frontend"
    )
    lines = text.splitlines(keepends=True)
    kept = [line for line in lines if not line.lstrip().lower().startswith(("# syntax", "#syntax"))]
    copy = tmp / f"{v.name}.Dockerfile"
    copy.write_text("".join(kept))
    return copy


def _context(v: VariantConfig) -> Context:
    """Files and bytes BuildKit would send, using the rules package's .dockerignore semantics."""
    try:
        from rules.dockerignore import read_dockerignore, walk_context
    except ImportError:  # rules not importable: count everything, which overstates
        files = {str(p): p.stat().st_size for p in v.context.rglob("*") if p.is_file()}
    else:
        files = walk_context(v.context, read_dockerignore(v.context, v.dockerfile))
    return Context(files=len(files), bytes=sum(files.values()))


def _measure_variant(
    state: _State,
    cfg: BenchConfig,
    opts: Options,
    engine: dockerd.Engine,
    client: docker.DockerClient,
    run_id: str,
    backups: Path,
    ui: Ui,
    keep: list[str],
) -> None:
    v = state.config
    # Limits first: a broken compose file should fail the variant before minutes of building.
    limits = _limits(v, client)
    state.notes.extend(limits.notes)
    for note in limits.notes:
        ui.note(f"{v.name}: {note}")
    ui.phase(f"{v.name}: build context")
    state.context = _context(v)
    tag = f"dockperf-bench/{v.name}:{run_id}"
    with tempfile.TemporaryDirectory(prefix="dockperf-") as tmp:
        dockerfile = _dockerfile_for_build(v, engine, Path(tmp), ui)

        def one_build(no_cache: bool) -> BuildResult:
            spec = BuildSpec(
                context=v.context,
                dockerfile=dockerfile,
                tag=tag,
                run_id=run_id,
                target=v.target,
                no_cache=no_cache,
                timeout=opts.build_timeout,
            )
            t0 = time.monotonic()
            try:
                return build(engine, spec, on_line=_step_reporter(ui))
            finally:
                state.measured_seconds += time.monotonic() - t0

        repeats = opts.build_repeats
        for scenario in opts.scenarios:
            change = _change_for(scenario, v, run_id)
            if change is None and scenario in ("source_change", "deps_change"):
                state.notes.append(f"{scenario} skipped: no file to change")
                continue
            runs: list[float] = []
            last: BuildResult | None = None
            try:
                for i in range(repeats):
                    ui.phase(f"{v.name}: {scenario} build {i + 1}/{repeats}")
                    if scenario == "cold":
                        clear_cache_mounts(engine)
                    if change is None:
                        last = one_build(no_cache=scenario == "cold")
                    else:
                        target_file, line = change
                        # A fresh nonce each time: content BuildKit has never seen, even if a
                        # run id were reused, so the change can never be a cache hit.
                        nonce = secrets.token_hex(8)
                        with mutate.appended(target_file, f"{line} {i} {nonce}", backups):
                            last = one_build(no_cache=False)
                    runs.append(last.seconds)
                    log.info("%s %s #%d: %.2f s", v.name, scenario, i + 1, last.seconds)
            finally:
                if runs and last is not None:
                    state.scenarios[scenario] = ScenarioResult(summarize(runs), last.steps)
                    if scenario == "cold":
                        state.cold_steps = last.steps
        ui.phase(f"{v.name}: final build of the unchanged tree")
        final = one_build(no_cache=False)
    ui.phase(f"{v.name}: image analysis")
    t0 = time.monotonic()
    state.image = image.analyse(client, final.image_id or tag)
    state.analysis_seconds += time.monotonic() - t0
    if opts.keep_images:
        _keep(client, final.image_id or tag, f"dockperf/{v.name}:latest")
        keep.append(final.image_id)
    spec = runtime.RunSpec(
        image=final.image_id or tag,
        run_id=run_id,
        name=f"dockperf-{v.name}-{run_id}",
        health_path=v.health,
        env=v.env,
        limits=limits,
        health_timeout=opts.health_timeout,
    )
    ui.phase(f"{v.name}: runtime")
    ids: list[str] = []
    t0 = time.monotonic()
    try:
        result = runtime.measure(client, spec, opts.plan(), ui.detail, ids)
    except ContainerFailed as exc:
        if exc.startups:  # keep the startups timed before the failure
            state.runtime = RuntimeMetrics(summarize(exc.startups), None, None, None, None, limits)
        raise
    finally:
        state.measured_seconds += time.monotonic() - t0
        for cid in ids:
            with contextlib.suppress(Exception):
                runtime.remove(client, cid)
    state.runtime = RuntimeMetrics(
        startup=summarize(result.startups),
        memory_idle_bytes=result.memory_idle_bytes,
        memory_load_bytes=result.memory_load_bytes,
        requests_per_second=result.requests_per_second,
        workers=result.workers,
        limits=limits,
        memory_limit_bytes=result.memory_limit_bytes,
        worker_memory_bytes=result.worker_memory_bytes,
    )


def _keep(client: docker.DockerClient, image_ref: str, name: str) -> None:
    """Tag the final image as `name`; the image a previous run kept there is removed (it is ours:
    it carries our label), or it would linger as a dangling image nobody cleans up."""
    import docker as docker_sdk

    try:
        previous = client.images.get(name)
    except docker_sdk.errors.ImageNotFound:
        previous = None
    current = client.images.get(image_ref)
    repository, _, tag = name.rpartition(":")
    current.tag(repository, tag)
    if previous is not None and previous.id != current.id and LABEL in previous.labels:
        with contextlib.suppress(docker_sdk.errors.APIError):  # in use by a container: leave it
            client.images.remove(previous.id)


def _change_for(scenario: str, v: VariantConfig, run_id: str) -> tuple[Path, str] | None:
    if scenario == "source_change" and v.source_file is not None:
        return v.source_file, f"# dockperf bench {run_id}: source_change"
    if scenario == "deps_change" and v.deps_file is not None:
        return v.deps_file, f"# dockperf bench {run_id}: deps_change"
    return None


def _limits(v: VariantConfig, client: docker.DockerClient) -> Limits:
    if v.compose is None:
        return Limits(None, None)
    cpus, memory, service = runtime.compose_limits(v.compose, v.service)
    info = client.info()
    return runtime.clamp_limits(
        cpus,
        memory,
        int(info.get("NCPU", os.cpu_count() or 1)),
        int(info.get("MemTotal", 0)) or (memory or 0),
        f"{v.compose.name}:{service}",
    )


def _step_reporter(ui: Ui) -> Callable[[str], None]:
    """Show the step BuildKit is on (its vertex header lines), throttled."""
    last = [0.0]

    def on_line(line: str) -> None:
        if line.startswith("#") and "] " in line and line.split(" ", 1)[1].startswith("["):
            now = time.monotonic()
            if now - last[0] > 0.2:
                last[0] = now
                ui.detail(line.split(" ", 1)[1].strip()[:100])

    return on_line


def cleanup(client: docker.DockerClient, run_id: str, keep: list[str] | None = None) -> None:
    """Remove every container and image labelled with this run id (except images to keep)."""
    import docker as docker_sdk

    selector = {"label": f"{LABEL}={run_id}"}
    for container in client.containers.list(all=True, filters=selector):
        with contextlib.suppress(docker_sdk.errors.NotFound):
            container.remove(force=True)
    kept = set(keep or [])
    for img in client.images.list(all=True, filters=selector):
        if img.id in kept:
            for tag in img.tags:
                if tag.startswith("dockperf-bench/"):
                    client.images.remove(tag)
            continue
        with contextlib.suppress(docker_sdk.errors.NotFound):
            client.images.remove(img.id, force=True)


def _gate_config(cfg: BenchConfig) -> targets.GateConfig:
    """The targets ([tool.dockperf.gate], the seed's by default): the gate's, one definition."""
    try:
        return targets.load_config(cfg.root / "pyproject.toml")
    except targets.GateError as exc:
        raise BenchError(str(exc)) from None


def _claims(
    cfg: BenchConfig,
    opts: Options,
    states: list[_State],
    engine: dockerd.Engine,
    client: docker.DockerClient,
    run_id: str,
    backups: Path,
    ui: Ui,
) -> Iterator[metrics.ClaimResult]:
    """The seed's claims, A/B pairs generated from the primary variant (bench.claims)."""
    if not opts.claims:
        return
    state = next((s for s in states if s.config.name == cfg.primary), None)
    if state is None or not state.done:
        ui.note(f"claims skipped: the primary variant {cfg.primary} was not measured")
        return
    v = state.config
    with tempfile.TemporaryDirectory(prefix="dockperf-claims-") as tmp:
        setup = claims.Setup.for_variant(
            replace(v, env=(*v.env, *_measured_env(state, ui))),
            opts,
            engine,
            client,
            run_id,
            dockerfile=_dockerfile_for_build(v, engine, Path(tmp), ui),
            limits=_limits(v, client),
            workdir=Path(tmp),
            backups=backups,
        )
        yield from claims.measure(setup, ui, opts.claims)


def _measured_env(state: _State, ui: Ui) -> tuple[tuple[str, str], ...]:
    """WORKER_MEMORY_MB for the variant's containers after its runtime measurement: one worker's
    RSS as measured, so the entrypoint's WORKERS=auto sizes from it rather than its assumption.

    A WORKER_MEMORY_MB in the variant's own env wins; an image without our entrypoint ignores it.
    """
    per_worker = state.runtime.worker_memory_bytes if state.runtime else None
    if per_worker is None or any(key == "WORKER_MEMORY_MB" for key, _ in state.config.env):
        return ()
    mb = -(-per_worker // metrics.MIB)
    ui.note(
        f"{state.config.name}: later containers run with WORKER_MEMORY_MB={mb} (one worker's "
        "RSS, measured), so WORKERS=auto sizes from it"
    )
    return (("WORKER_MEMORY_MB", str(mb)),)


def _assemble(
    cfg: BenchConfig,
    timestamp: str,
    engine: EngineInfo | None,
    states: list[_State],
    target_list: tuple[targets.Target, ...] = targets.SEED.targets,
    claim_results: list[metrics.ClaimResult] | tuple[metrics.ClaimResult, ...] = (),
) -> Metrics:
    variants = tuple(s.freeze(cfg.root) for s in states)
    names = {v.name for v in variants}
    primary = cfg.primary if cfg.primary in names else (variants[0].name if variants else None)
    by_name = {v.name: v for v in variants}
    comparison = None
    if cfg.baseline in by_name and cfg.candidate in by_name:
        comparison = metrics.compare(by_name[cfg.baseline], by_name[cfg.candidate])
    return Metrics(
        timestamp=timestamp,
        engine=engine,
        variants=variants,
        primary=primary,
        comparison=comparison,
        targets=metrics.check_targets(by_name.get(primary) if primary else None, target_list),
        claims=tuple(claim_results),
    )
