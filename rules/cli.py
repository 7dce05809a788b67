"""`dockerfile-rules`: the only layer that prints and exits.

Exit codes: 0 nothing at or above the failure threshold, 1 findings, 2 usage or input error (one
line on stderr, `path:line: message`; never a traceback).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from rules.errors import InputError

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
DOCKERFILE_NAMES = ("Dockerfile", "Containerfile")
IGNORE_NAME = ".dockerignore"


class _Formatter(argparse.HelpFormatter):
    """argparse's formatter asks shutil for the terminal width on every add_argument, and shutil
    drags in zlib, bz2 and lzma: a few ms of every check's start. COLUMNS or 100 serves help."""

    def __init__(self, prog: str) -> None:
        width = os.environ.get("COLUMNS", "")
        super().__init__(prog, width=int(width) - 2 if width.isdigit() else 98)


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and exit 2 (argparse prints usage + message)."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> None:  # type: ignore[override]
        raise _UsageError(f"{self.prog}: {message}")


class _UsageError(Exception):
    pass


def _parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="dockerfile-rules",
        description="Check Dockerfiles and .dockerignore files for build-speed, size, runtime "
        "and security problems.",
    )
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    c = sub.add_parser("check", help="check Dockerfiles (files or folders) and their .dockerignore")
    c.add_argument("paths", nargs="+", metavar="PATH")
    c.add_argument("--context", metavar="DIR", help="build context (default: the file's folder)")
    c.add_argument("--target", help="the stage that is built (default: the last one)")
    _build_arg_option(c)
    c.add_argument("--format", choices=("text", "json", "sarif", "github"), default="text")
    c.add_argument("--output-json", metavar="PATH", help="also write the JSON report here")
    c.add_argument("--output-sarif", metavar="PATH", help="also write the SARIF report here")
    c.add_argument("--hadolint", action="store_true", help="run hadolint and merge its findings")
    mode = c.add_mutually_exclusive_group()
    mode.add_argument("--fix", action="store_true", help="apply safe fixes, then report the rest")
    mode.add_argument(
        "--diff", action="store_true", help="print the fixes as a diff; write nothing"
    )
    c.add_argument("--select", action="append", default=[], metavar="IDS")
    c.add_argument("--ignore", action="append", default=[], metavar="IDS")
    c.add_argument("--severity", action="append", default=[], metavar="ID=LEVEL")
    c.add_argument("--failure-threshold", choices=("info", "warning", "error", "none"))
    c.add_argument("--no-config", action="store_true", help="ignore pyproject.toml/.dockperf.toml")

    pa = sub.add_parser("parse", help="print the Dockerfile model as JSON")
    pa.add_argument("file", metavar="FILE")
    _build_arg_option(pa)

    cx = sub.add_parser("context", help="list the files BuildKit would send, with sizes")
    cx.add_argument("directory", metavar="DIR")
    cx.add_argument("--format", choices=("json", "text"), default="text")
    cx.add_argument("--file", "-f", metavar="DOCKERFILE", help="for <Dockerfile>.dockerignore")

    ex = sub.add_parser("explain", help="print a rule's documentation")
    ex.add_argument("rule_id", metavar="ID")

    sub.add_parser("list", help="list the rules")
    return p


def _build_arg_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--build-arg", action="append", default=[], metavar="K=V", help="as docker build's"
    )


def _build_args(values: list[str]) -> dict[str, str]:
    out = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not key:
            raise _UsageError(f"--build-arg {item!r}: expected KEY=VALUE")
        if not sep:
            # docker build takes a bare KEY's value from the environment.
            if key not in os.environ:
                continue
            value = os.environ[key]
        out[key] = value
    return out


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
        return _COMMANDS[args.command](args)
    except _UsageError as exc:
        _err(str(exc))
    except InputError as exc:
        _err(str(exc))
    except SystemExit as exc:  # --help, --version
        return exc.code if isinstance(exc.code, int) else EXIT_ERROR
    except UnicodeError as exc:
        _err(f"not UTF-8 text: {exc}")
    except BrokenPipeError:
        pass  # `dockerfile-rules ... | head`
    except OSError as exc:
        _err(f"{exc.filename or ''}: {exc.strerror or exc}".lstrip(": "))
    except KeyboardInterrupt:
        _err("interrupted")
    except Exception as exc:
        # A bug of ours: still one line and exit 2; DOCKPERF_DEBUG=1 shows the traceback.
        if os.environ.get("DOCKPERF_DEBUG"):
            raise
        _err(f"dockerfile-rules: internal error: {type(exc).__name__}: {exc}")
    return EXIT_ERROR


def _err(message: str) -> None:
    # One line, whatever the message contains.
    print(" ".join(message.split("\n")), file=sys.stderr)


# --------------------------------------------------------------------------- check


def _ids(values: list[str]) -> tuple[str, ...]:
    out = []
    for v in values:
        out.extend(x.strip().upper() for x in v.split(",") if x.strip())
    return tuple(out)


def _config_for(path: str, args: argparse.Namespace):
    from rules.config import DEFAULT, config_from_table, find_config_file, load_config

    config = DEFAULT
    if not args.no_config:
        # Files of one folder share a config file: read and parse it once per run.
        cache: dict = args.__dict__.setdefault("_config_cache", {})
        found = find_config_file(path)
        if found not in cache:
            cache[found] = load_config(found) if found is not None else DEFAULT
        config = cache[found]
    cli: dict[str, object] = {}
    if args.select:
        cli["select"] = list(_ids(args.select))
    if args.ignore:
        cli["ignore"] = list(_ids(args.ignore))
    if args.severity:
        table = {}
        for item in args.severity:
            key, sep, level = item.partition("=")
            if not sep:
                raise _UsageError(f"--severity {item!r}: expected ID=LEVEL")
            table[key.strip().upper()] = level.strip()
        cli["severity"] = table
    if args.failure_threshold:
        cli["failure-threshold"] = args.failure_threshold
    if not cli:
        return config
    given = config_from_table(cli, "command line")
    return config._replace(
        select=given.select if "select" in cli else config.select,
        # The command line adds to the config's ignore list rather than replacing it.
        ignore=config.ignore + given.ignore,
        severity={**config.severity, **given.severity},
        failure_threshold=(
            given.failure_threshold if "failure-threshold" in cli else config.failure_threshold
        ),
    )


def _is_dockerfile_name(name: str) -> bool:
    if name.endswith(IGNORE_NAME):
        return False
    low = name.lower()
    return (
        name in DOCKERFILE_NAMES
        or any(name.startswith(n + ".") for n in DOCKERFILE_NAMES)
        or low.endswith(".dockerfile")
    )


def _join(folder: str, name: str) -> str:
    # "backend/" + "Dockerfile" -> "backend/Dockerfile"; "." + "Dockerfile" -> "Dockerfile".
    return name if folder in ("", ".") else f"{folder.rstrip('/')}/{name}"


def discover(paths: Sequence[str]) -> list[tuple[str, str]]:
    """(kind, path) to check: ("dockerfile", p) or ("dockerignore", p), each once, in order."""
    out: list[tuple[str, str]] = []
    seen: set[str] = set()

    def add(kind: str, path: str) -> None:
        key = os.path.realpath(path)
        if key not in seen:
            seen.add(key)
            out.append((kind, path))

    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            names = sorted(e.name for e in os.scandir(path) if e.is_file())
            found = [n for n in names if _is_dockerfile_name(n)]
            if not found:
                raise InputError(raw, "no Dockerfile in this directory")
            for name in found:
                add("dockerfile", _join(raw, name))
        elif path.name.endswith(IGNORE_NAME):
            # pre-commit hands us a changed .dockerignore: check the Dockerfiles it serves.
            folder = path.parent
            if path.name != IGNORE_NAME:
                owner = path.with_name(path.name[: -len(IGNORE_NAME)])
                owners = [owner.name] if owner.is_file() else []
            else:
                try:
                    owners = sorted(
                        e.name
                        for e in os.scandir(folder)
                        if e.is_file() and _is_dockerfile_name(e.name)
                    )
                except OSError as exc:
                    raise InputError(str(folder), f"cannot read: {exc.strerror}") from None
            if owners:
                for name in owners:
                    add("dockerfile", _join(str(Path(raw).parent), name))
            else:
                add("dockerignore", raw)
        else:
            add("dockerfile", raw)
    return out


def _check(args: argparse.Namespace) -> int:
    from rules import engine

    build_args = _build_args(args.build_arg)
    targets = discover(args.paths)
    if args.fix or args.diff:
        diff_changes = _fix(args, targets, build_args)
        if args.diff:
            return EXIT_FINDINGS if diff_changes else EXIT_OK
    results: list[engine.FileResult] = []
    errors: list[str] = []
    for kind, path in targets:
        try:
            config = _config_for(path, args)
            if kind == "dockerignore":
                results.append(engine.check_dockerignore_alone(path, config))
            else:
                results.append(
                    engine.check_dockerfile(
                        path,
                        context_dir=args.context,
                        target=args.target,
                        build_args=build_args,
                        config=config,
                        hadolint=args.hadolint,
                    )
                )
        except InputError as exc:
            # Keep checking the other files (pre-commit passes many); exit 2 at the end.
            errors.append(str(exc))
    if errors:
        for line in errors:
            _err(line)
        return EXIT_ERROR
    report = engine.Report(
        files=tuple(r.path for r in results),
        findings=tuple(engine.sort_findings(f for r in results for f in r.findings)),
        rules=tuple(engine.rule_docs()),
        dropped_hadolint=tuple(d for r in results for d in r.dropped_hadolint),
        notes=tuple(dict.fromkeys(n for r in results for n in r.notes)),
    )
    from rules import reporters

    for out_path, fmt in ((args.output_json, "json"), (args.output_sarif, "sarif")):
        if out_path:
            try:
                engine.atomic_write(out_path, reporters.render(report, fmt).encode())
            except OSError as exc:
                raise InputError(out_path, f"cannot write report: {exc.strerror or exc}") from None
    sys.stdout.write(reporters.render(report, args.format))
    return EXIT_FINDINGS if any(r.fails() for r in results) else EXIT_OK


def _fix(args: argparse.Namespace, targets: list[tuple[str, str]], build_args) -> bool:
    """Apply (--fix) or print (--diff) the safe fixes; True when something would change."""
    from rules import engine

    any_change = False
    planned: dict[str, tuple[bytes, bytes]] = {}
    for kind, path in targets:
        if kind != "dockerfile":
            continue
        config = _config_for(path, args)
        result = engine.fix_dockerfile(
            path,
            context_dir=args.context,
            target=args.target,
            build_args=build_args,
            config=config,
        )
        for changed, data in result.fixed.items():
            planned.setdefault(changed, (result.originals[changed], data))
    for changed, (before, after) in planned.items():
        any_change = True
        if args.diff:
            sys.stdout.write(engine.unified_diff(changed, before, after))
        else:
            try:
                engine.atomic_write(changed, after)
            except OSError as exc:
                raise InputError(changed, f"cannot write the fix: {exc.strerror or exc}") from None
            print(f"fixed {changed}", file=sys.stderr)
    return any_change


# --------------------------------------------------------------------------- other commands


def _parse(args: argparse.Namespace) -> int:
    import json

    from rules import engine

    dockerfile = engine.load_dockerfile(args.file, _build_args(args.build_arg))
    sys.stdout.write(json.dumps(dockerfile.to_json(), indent=2, ensure_ascii=False) + "\n")
    return EXIT_OK


def _human(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{size} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


def _context(args: argparse.Namespace) -> int:
    from rules import dockerignore as di

    directory = args.directory
    if not Path(directory).is_dir():
        raise InputError(directory, "build context is not a directory")
    ignore = di.read_dockerignore(directory, args.file)
    files = di.walk_context(directory, ignore)
    total = sum(files.values())
    if args.format == "json":
        import json

        data = {
            "files": [{"path": p, "size": s} for p, s in files.items()],
            "total_bytes": total,
        }
        sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        return EXIT_OK
    width = max([len(_human(s)) for s in files.values()] + [len(_human(total))])
    lines = [f"{_human(s):>{width}}  {p}" for p, s in files.items()]
    lines.append(f"{_human(total):>{width}}  total ({len(files)} files, {total} bytes)")
    sys.stdout.write("\n".join(lines) + "\n")
    return EXIT_OK


def _find_doc(rule_id: str):
    from rules import engine

    wanted = rule_id.strip().upper()
    for doc in engine.rule_docs():
        if doc.rule.id == wanted or doc.rule.name == rule_id.strip().lower():
            return doc
    raise _UsageError(f"dockerfile-rules: unknown rule {rule_id!r} (see `dockerfile-rules list`)")


def _explain(args: argparse.Namespace) -> int:
    doc = _find_doc(args.rule_id)
    rule = doc.rule
    head = f"{rule.id} {rule.name} [{rule.severity}]{' (fixable)' if rule.fixable else ''}"
    sys.stdout.write(f"{head}\n{rule.title}\n\n{doc.doc}\n\nFix: {rule.fix}\n")
    return EXIT_OK


def _list(args: argparse.Namespace) -> int:
    from rules import engine

    docs = engine.rule_docs()
    rows = [
        (
            d.rule.id,
            str(d.rule.severity),
            d.rule.name,
            d.rule.title,
            "yes" if d.rule.fixable else "",
        )
        for d in docs
    ]
    header = ("ID", "SEVERITY", "NAME", "TITLE", "FIXABLE")
    widths = [max(len(r[k]) for r in [header, *rows]) for k in range(4)]
    out = []
    for row in [header, *rows]:
        cells = [row[k].ljust(widths[k]) for k in range(4)]
        out.append("  ".join([*cells, row[4]]).rstrip())
    sys.stdout.write("\n".join(out) + "\n")
    return EXIT_OK


_COMMANDS = {
    "check": _check,
    "parse": _parse,
    "context": _context,
    "explain": _explain,
    "list": _list,
}
