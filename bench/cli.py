"""`python -m bench` / `dockperf-bench`: the only layer that prints or exits.

Commands: `engine [--stop]`, `run [...]`; `requirements`, `report`, `gate` and `lintperf` are
delegated (lazily) to their own modules' `main(argv)`.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from pathlib import Path

from bench.errors import BenchError

DELEGATED = {
    "requirements": "bench.deps",
    "report": "bench.report",
    "gate": "bench.gate",
    "lintperf": "bench.lintperf",
}
EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def _parser() -> argparse.ArgumentParser:
    from bench.claims import CLAIM_KEYS

    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Build, run and measure Docker images for real (BuildKit + docker SDK).",
        epilog="Also: " + ", ".join(DELEGATED) + " (each has its own --help).",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    engine = sub.add_parser("engine", help="find or provision a Docker engine with BuildKit")
    engine.add_argument("--stop", action="store_true", help="stop the engine bench started")
    engine.add_argument("-v", "--verbose", action="store_true")

    run = sub.add_parser("run", help="build, measure and report the variants")
    run.add_argument(
        "--quick", action="store_true", help="1 build per scenario, 3 startups, shorter load"
    )
    run.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="NAME",
        help="measure only this variant (repeatable; default: all)",
    )
    run.add_argument("--repeat", type=_positive, metavar="N", help="builds per scenario")
    run.add_argument("--startup-repeat", type=_positive, metavar="N", help="startups to time")
    run.add_argument(
        "--scenario",
        action="append",
        default=[],
        metavar="NAME",
        choices=("cold", "warm", "source_change", "deps_change"),
        help="run only this build scenario (repeatable; default: all four)",
    )
    run.add_argument("--output-dir", type=Path, default=Path("reports"), metavar="DIR")
    run.add_argument(
        "--keep-images",
        action="store_true",
        help="keep each variant's final image as dockperf/<variant>:latest",
    )
    run.add_argument(
        "--no-provision",
        action="store_true",
        help="never install or start an engine; fail when none answers",
    )
    run.add_argument("--build-timeout", type=float, default=1800.0, metavar="SECONDS")
    run.add_argument("--health-timeout", type=float, default=60.0, metavar="SECONDS")
    run.add_argument(
        "--project",
        type=Path,
        default=Path.cwd(),
        metavar="DIR",
        help="where pyproject.toml with [tool.dockperf.bench] is",
    )
    run.add_argument(
        "--no-claims",
        action="store_true",
        help="skip measuring the seed's claims (A/B pairs on the primary variant)",
    )
    run.add_argument(
        "--claim",
        action="append",
        default=[],
        metavar="NAME",
        choices=CLAIM_KEYS,
        help="measure only this claim (repeatable; default: all: " + ", ".join(CLAIM_KEYS) + ")",
    )
    run.add_argument("-v", "--verbose", action="store_true")
    # Tests find what a run created by this id (it is also in every label).
    run.add_argument("--run-id", help=argparse.SUPPRESS)
    return parser


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _delegate(command: str, argv: list[str]) -> int:
    module_name = DELEGATED[command]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        print(
            f"python -m bench {command}: {module_name} is not available in this checkout "
            "(not written yet)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    result = module.main(argv)
    return int(result or 0)


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list and args_list[0] in DELEGATED:
        return _delegate(args_list[0], args_list[1:])
    args = _parser().parse_args(args_list)
    try:
        if args.command == "engine":
            return _engine(args)
        return _run(args)
    except BenchError as exc:
        print(f"bench: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("bench: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def _engine(args: argparse.Namespace) -> int:
    from bench import dockerd
    from bench.console import setup_logging

    setup_logging(args.verbose)
    if args.stop:
        print(dockerd.stop_engine())
        return EXIT_OK
    engine = dockerd.ensure_engine(provision=True)
    print(engine.describe())
    return EXIT_OK


def _run(args: argparse.Namespace) -> int:
    from bench import config
    from bench.claims import CLAIM_KEYS
    from bench.console import RichUi, setup_logging
    from bench.run import Options, run

    cfg = config.load(config.find_root(args.project.resolve()))
    opts = Options(
        quick=args.quick,
        variants=tuple(args.variant),
        repeat=args.repeat,
        startup_repeat=args.startup_repeat,
        output_dir=args.output_dir,
        scenarios=tuple(args.scenario) or Options().scenarios,
        keep_images=args.keep_images,
        provision=not args.no_provision,
        build_timeout=args.build_timeout,
        health_timeout=args.health_timeout,
        run_id=args.run_id,
        claims=() if args.no_claims else tuple(args.claim) or CLAIM_KEYS,
    )
    for name in opts.variants:
        cfg.variant(name)  # unknown names are a usage error before anything starts
    with RichUi() as ui:
        setup_logging(args.verbose, ui.console)
        outcome = run(cfg, opts, ui)
    from bench.markdown import render

    print(render(outcome.metrics))
    print(f"wrote {outcome.json_path} and {outcome.markdown_path}", file=sys.stderr)
    if outcome.interrupted:
        print("bench: interrupted; partial results written", file=sys.stderr)
        return EXIT_INTERRUPTED
    if outcome.fatal:
        print(f"bench: error: {outcome.fatal}", file=sys.stderr)
        return EXIT_USAGE
    if any(v.partial for v in outcome.metrics.variants):
        print("bench: some variants failed; see errors in the report", file=sys.stderr)
        return EXIT_PARTIAL
    return EXIT_OK
