"""The engine: read a Dockerfile and its build context once, run the rules, make findings.

Everything that touches the file system for `check` lives here (and in the CLI): rules stay pure.
The engine applies, once and for every rule alike, what hadolint's and ruff's engines apply:
select/ignore, severity overrides, suppression comments, DP900 as an input error, sorting and
de-duplication, and autofix edits.
"""

# No `from __future__ import annotations`: NamedTuple field types stay objects (rules/base.py).

import contextlib
import os
import posixpath
import re
import stat
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import NamedTuple

from rules.base import CheckContext, Edit, Finding, Rule, Severity, Violation
from rules.config import DEFAULT, Config, matches
from rules.dockerignore import IgnoreFile
from rules.errors import InputError
from rules.model import Dockerfile

# The model refuses bigger files too; checking the size before reading avoids loading 10 MB.
MAX_BYTES = 5 * 1024 * 1024
# Scripts larger than this are not read for DP307/DP502: real entrypoints are a few KB.
MAX_SCRIPT_BYTES = 256 * 1024
MAX_SCRIPTS = 32
BUILD_REJECTS = "DP900"
_SUPPRESS = re.compile(r"^\s*dockperf\s*:?\s+(global\s+)?ignore\s*=\s*(.*)$", re.IGNORECASE)
_GLOB_CHARS = frozenset("*?[")


class RuleDoc(NamedTuple):
    """A rule's metadata and documentation, for `list`, `explain` and SARIF."""

    rule: Rule
    doc: str
    module: str


class FileResult(NamedTuple):
    path: str  # the Dockerfile (or a .dockerignore checked on its own)
    findings: tuple[Finding, ...]
    dropped_hadolint: tuple[dict, ...] = ()
    notes: tuple[str, ...] = ()
    failure_threshold: Severity | None = Severity.INFO

    def fails(self) -> bool:
        if self.failure_threshold is None:
            return False
        return any(f.severity >= self.failure_threshold for f in self.findings)


class Report(NamedTuple):
    files: tuple[str, ...]
    findings: tuple[Finding, ...]
    rules: tuple[RuleDoc, ...]  # the rules that ran (SARIF's rule metadata)
    dropped_hadolint: tuple[dict, ...] = ()
    notes: tuple[str, ...] = ()


# Values that cross into the CLI and the reporters are NamedTuples, not dataclasses, for start-up
# time: see rules/base.py.

# --------------------------------------------------------------------------- registry


def rule_docs() -> list[RuleDoc]:
    from rules.registry import rule_modules

    return [_doc(m) for m in rule_modules()]


def _doc(module: ModuleType) -> RuleDoc:
    return RuleDoc(module.RULE, (module.__doc__ or "").strip(), module.__name__)


def selected_modules(config: Config) -> list[ModuleType]:
    from rules.registry import rule_modules

    return [m for m in rule_modules() if _selected(m.RULE.id, config)]


def _selected(rule_id: str, config: Config) -> bool:
    if config.select is not None and not matches(rule_id, config.select):
        return False
    return not matches(rule_id, config.ignore)


# --------------------------------------------------------------------------- reading input


def read_input(path: str | Path, what: str = "Dockerfile") -> bytes:
    """Read a file for checking; every way it can fail is an InputError naming it."""
    shown = str(path)
    try:
        info = Path(path).stat()
        if stat.S_ISDIR(info.st_mode):
            raise InputError(shown, f"is a directory, not a {what}")
        if info.st_size > MAX_BYTES:
            raise InputError(
                shown,
                f"file is {info.st_size / 1e6:.1f} MB; a {what} over "
                f"{MAX_BYTES // 2**20} MB is not checked",
            )
        with Path(path).open("rb") as fh:
            # Read one byte more than allowed: special files report size 0 but may be endless.
            data = fh.read(MAX_BYTES + 1)
    except InputError:
        raise
    except FileNotFoundError:
        raise InputError(shown, "no such file") from None
    except OSError as exc:
        raise InputError(shown, f"cannot read: {exc.strerror or exc}") from None
    if len(data) > MAX_BYTES:
        raise InputError(shown, f"file is over {MAX_BYTES // 2**20} MB; a {what} is not that big")
    return data


def load_dockerfile(
    path: str, build_args: Mapping[str, str] | None = None, data: bytes | None = None
) -> Dockerfile:
    from rules.model import parse_dockerfile

    if data is None:
        data = read_input(path)
    return parse_dockerfile(data, path, build_args)


# --------------------------------------------------------------------------- lazy context


def _folder(path: str) -> str:
    """The folder of a path as the user wrote it ("." for a bare file name)."""
    return os.path.dirname(path) or "."  # noqa: PTH120  # keeps "backend/" spelled as given


class _LazyFiles(Mapping[str, int]):
    """The files BuildKit would send, walked on first use: many checks never need them."""

    def __init__(self, compute: Callable[[], dict[str, int]]) -> None:
        self._compute = compute
        self._data: dict[str, int] | None = None

    def _get(self) -> dict[str, int]:
        if self._data is None:
            self._data = self._compute()
        return self._data

    def __getitem__(self, key: str) -> int:
        return self._get()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._get())

    def __len__(self) -> int:
        return len(self._get())

    def __contains__(self, key: object) -> bool:
        return key in self._get()


class _LazyPaths(Sequence[str]):
    def __init__(self, compute: Callable[[], list[str]]) -> None:
        self._compute = compute
        self._data: tuple[str, ...] | None = None

    def _get(self) -> tuple[str, ...]:
        if self._data is None:
            self._data = tuple(self._compute())
        return self._data

    def __getitem__(self, index):  # type: ignore[override]
        return self._get()[index]

    def __len__(self) -> int:
        return len(self._get())

    def __iter__(self) -> Iterator[str]:
        return iter(self._get())

    def __contains__(self, value: object) -> bool:
        return value in self._get()


def build_context(
    dockerfile: Dockerfile,
    context_dir: str | None,
    target: str | None = None,
    ignore_data: bytes | None = None,
    script_texts: Mapping[str, str] | None = None,
) -> CheckContext:
    """The CheckContext for a Dockerfile: its .dockerignore, the context's files, scripts.

    `ignore_data` and `script_texts` replace what is on disk (--fix and --diff re-check their
    result before anything is written).
    """
    from rules import dockerignore as di

    if context_dir is None:
        context_dir = _folder(dockerfile.path)
    if not Path(context_dir).is_dir():
        raise InputError(context_dir, "build context is not a directory")
    ignore_path = di.ignore_file_path(context_dir, dockerfile.path)
    ignore: IgnoreFile | None = None
    if ignore_data is not None and ignore_path is not None:
        ignore = di.parse_dockerignore(ignore_data, str(ignore_path))
    elif ignore_path is not None:
        ignore = di.parse_dockerignore(read_input(ignore_path, ".dockerignore"), str(ignore_path))
    files = _LazyFiles(lambda: di.walk_context(context_dir, ignore))
    all_files = _LazyPaths(lambda: di.list_all_files(context_dir))
    texts = _context_texts(dockerfile, context_dir, files, ignore)
    for rel, text in (script_texts or {}).items():
        if rel in texts:
            texts[rel] = text
    return CheckContext(
        dockerfile=dockerfile,
        dockerignore=ignore,
        context_files=files,  # type: ignore[arg-type]  # a read-only mapping, walked lazily
        all_files=all_files,  # type: ignore[arg-type]
        context_texts=texts,
        target=target,
    )


def _copy_sources(dockerfile: Dockerfile) -> list[str]:
    """Context-relative sources of COPY/ADD (not --from, not URLs, not heredocs)."""
    out = []
    for instr in dockerfile.instructions:
        if instr.keyword not in ("COPY", "ADD") or instr.has_flag("from"):
            continue
        heredoc_names = {h.name for h in instr.heredocs}
        for src in instr.args[:-1]:
            if "://" in src or src.startswith(("git@", "<<")):
                continue
            if src.lstrip("0123456789<-") in heredoc_names:
                continue
            clean = posixpath.normpath("/" + src).lstrip("/") or "."
            out.append(clean)
    return out


def _launch_names(dockerfile: Dockerfile) -> set[str]:
    """Base names of programs ENTRYPOINT/CMD start: an entrypoint script need not end in .sh."""
    from rules.shell import split_words

    names = set()
    for instr in dockerfile.instructions:
        if instr.keyword not in ("ENTRYPOINT", "CMD"):
            continue
        words = instr.json_args if instr.json_args is not None else split_words(instr.value)
        for word in words:
            base = word.rsplit("/", 1)[-1]
            if base:
                names.add(base)
    return names


def _is_copied(rel: str, sources: list[str]) -> bool:
    from fnmatch import fnmatchcase

    for src in sources:
        if src == "." or rel == src or rel.startswith(src + "/"):
            return True
        if _GLOB_CHARS & set(src):
            parts = rel.split("/")
            for k in range(1, len(parts) + 1):
                if fnmatchcase("/".join(parts[:k]), src):
                    return True
    return False


def _context_texts(
    dockerfile: Dockerfile, context_dir: str, files: Mapping[str, int], ignore: IgnoreFile | None
) -> dict[str, str]:
    sources = _copy_sources(dockerfile)
    if not sources:
        return {}
    names = _launch_names(dockerfile)

    def wanted(rel: str) -> bool:
        base = rel.rsplit("/", 1)[-1]
        return base.endswith(".sh") or base in names

    candidates: dict[str, int] = {}
    if all(not (_GLOB_CHARS & set(s)) and s != "." for s in sources):
        # Literal paths: look at them directly instead of walking the whole context.
        for src in sources:
            full = Path(context_dir, src)
            if full.is_file():
                if wanted(src) and not (ignore is not None and ignore.excludes(src)):
                    candidates[src] = full.stat().st_size
            elif full.is_dir():
                for rel, size in files.items():
                    if rel.startswith(src + "/") and wanted(rel):
                        candidates[rel] = size
    else:
        for rel, size in files.items():
            if wanted(rel) and _is_copied(rel, sources):
                candidates[rel] = size
    texts: dict[str, str] = {}
    for rel, size in sorted(candidates.items()):
        if size > MAX_SCRIPT_BYTES or len(texts) >= MAX_SCRIPTS:
            continue
        try:
            data = Path(context_dir, rel).read_bytes()
        except OSError:
            continue  # a script we cannot read is one the rules cannot judge; not an input error
        if b"\x00" in data:
            continue
        texts[rel] = data.decode("utf-8", errors="replace")
    return texts


# --------------------------------------------------------------------------- suppressions


class Suppressions(NamedTuple):
    global_ids: frozenset[str] = frozenset()
    # (first line, last line, ids)
    spans: tuple[tuple[int, int, frozenset[str]], ...] = ()

    def suppresses(self, rule_id: str, line: int) -> bool:
        if _hit(rule_id, self.global_ids):
            return True
        return any(a <= line <= b and _hit(rule_id, ids) for a, b, ids in self.spans)


def _hit(rule_id: str, ids: frozenset[str]) -> bool:
    return "ALL" in ids or any(rule_id.startswith(i) for i in ids)


def _parse_ids(text: str) -> frozenset[str]:
    # `ignore=DP101,DP203 -- reason` and `ignore=DP101 DP203` both work; stop at other words.
    ids = set()
    for word in re.split(r"[,\s]+", text.strip()):
        if re.fullmatch(r"[A-Za-z]{2}\d{0,4}|all|ALL", word):
            ids.add(word.upper())
        elif word:
            break
    return frozenset(ids)


def dockerfile_suppressions(dockerfile: Dockerfile) -> Suppressions:
    """`# dockperf ignore=...` covers the next instruction (or the one it sits inside)."""
    global_ids: set[str] = set()
    spans = []
    for comment in dockerfile.comments:
        m = _SUPPRESS.match(comment.text)
        if not m:
            continue
        ids = _parse_ids(m.group(2))
        if m.group(1):
            global_ids |= ids
            continue
        for instr in dockerfile.instructions:
            if instr.end_line > comment.line:
                spans.append((instr.line, instr.end_line, ids))
                break
    return Suppressions(frozenset(global_ids), tuple(spans))


def dockerignore_suppressions(ignore: IgnoreFile) -> Suppressions:
    """The same comments in .dockerignore cover the next pattern line."""
    global_ids: set[str] = set()
    spans = []
    lines = ignore.lines
    for number, raw in enumerate(lines, start=1):
        if not raw.startswith("#"):
            continue
        m = _SUPPRESS.match(raw[1:])
        if not m:
            continue
        ids = _parse_ids(m.group(2))
        if m.group(1):
            global_ids |= ids
            continue
        for nxt in range(number + 1, len(lines) + 1):
            text = lines[nxt - 1]
            if text.strip() and not text.startswith("#"):
                spans.append((nxt, nxt, ids))
                break
    return Suppressions(frozenset(global_ids), tuple(spans))


# --------------------------------------------------------------------------- running rules


class Analysis(NamedTuple):
    """One Dockerfile checked: its findings and the violations behind them (for --fix)."""

    path: str
    context: CheckContext
    findings: tuple[Finding, ...]
    violations: tuple[tuple[Finding, Violation, Rule], ...] = ()
    ignore_path: str | None = None


def _run(module: ModuleType, ctx: CheckContext) -> list[Violation]:
    try:
        return list(module.check(ctx))
    except InputError:
        raise
    except Exception as exc:
        # A bug in one rule must not print a traceback at the user (exit 2, one line), but
        # DOCKPERF_DEBUG=1 shows it to whoever fixes the rule.
        if os.environ.get("DOCKPERF_DEBUG"):
            raise
        raise InputError(
            ctx.dockerfile.path,
            f"internal error in {module.RULE.id} ({type(exc).__name__}: {exc}); "
            "please report it (DOCKPERF_DEBUG=1 shows the traceback)",
        ) from None


def _file_of(v: Violation, dockerfile_path: str, ctx: CheckContext, context_dir: str) -> str:
    if v.file == "dockerfile":
        return dockerfile_path
    if v.file == "dockerignore":
        if ctx.dockerignore is not None:
            return ctx.dockerignore.path
        return str(Path(context_dir, ".dockerignore"))
    return os.path.normpath(Path(context_dir, v.file))


def raise_build_rejects(ctx: CheckContext, modules: list[ModuleType] | None = None) -> None:
    """DP900: what BuildKit refuses is an input error (exit 2), not a finding."""
    from rules.registry import rule_modules

    for module in modules or rule_modules():
        if module.RULE.id != BUILD_REJECTS:
            continue
        violations = sorted(_run(module, ctx), key=lambda v: (v.line, v.column))
        if violations:
            v = violations[0]
            path = ctx.dockerfile.path
            if v.file == "dockerignore" and ctx.dockerignore is not None:
                path = ctx.dockerignore.path
            raise InputError(path, v.message, v.line or None)


def analyse(
    ctx: CheckContext,
    config: Config = DEFAULT,
    context_dir: str | None = None,
    only_file: str | None = None,
) -> Analysis:
    """Run the selected rules over one context. `only_file` keeps violations in that file kind
    (a .dockerignore checked on its own)."""
    dockerfile = ctx.dockerfile
    if context_dir is None:
        context_dir = _folder(dockerfile.path)
    if only_file is None:
        raise_build_rejects(ctx)
    df_supp = dockerfile_suppressions(dockerfile)
    di_supp = dockerignore_suppressions(ctx.dockerignore) if ctx.dockerignore else None
    ignore_path = ctx.dockerignore.path if ctx.dockerignore else None
    out: list[tuple[Finding, Violation, Rule]] = []
    for module in selected_modules(config):
        rule: Rule = module.RULE
        if rule.id == BUILD_REJECTS:
            continue
        severity = config.severity.get(rule.id, rule.severity)
        for v in _run(module, ctx):
            if only_file is not None and v.file != only_file:
                continue
            path = _file_of(v, dockerfile.path, ctx, context_dir)
            # A global comment covers the whole check; an inline one covers Dockerfile lines.
            if _hit(rule.id, df_supp.global_ids):
                continue
            if path == dockerfile.path and df_supp.suppresses(rule.id, v.line):
                continue
            if path == ignore_path and di_supp is not None and di_supp.suppresses(rule.id, v.line):
                continue
            finding = Finding(
                rule=rule.id,
                name=rule.name,
                severity=severity,
                file=path,
                line=v.line,
                column=v.column,
                end_line=v.end_line or v.line,
                message=v.message,
                fix=v.fix or rule.fix,
            )
            out.append((finding, v, rule))
    findings = sort_findings(f for f, _, _ in out)
    return Analysis(dockerfile.path, ctx, tuple(findings), tuple(out), ignore_path)


def sort_findings(findings) -> list[Finding]:
    """Sorted, and each finding once (one .dockerignore serves several Dockerfiles)."""
    seen = set()
    out = []
    for f in sorted(findings, key=Finding.sort_key):
        key = (f.rule, f.file, f.line, f.column, f.message)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def apply_overrides(findings: list[Finding], config: Config, supp: Suppressions) -> list[Finding]:
    """Config and suppressions for findings made elsewhere (hadolint's)."""
    out = []
    for f in findings:
        if matches(f.rule, config.ignore) or supp.suppresses(f.rule, f.line):
            continue
        if f.rule in config.severity:
            f = f._replace(severity=config.severity[f.rule])
        out.append(f)
    return out


def check_dockerfile(
    path: str,
    *,
    context_dir: str | None = None,
    target: str | None = None,
    build_args: Mapping[str, str] | None = None,
    config: Config = DEFAULT,
    hadolint: bool = False,
) -> FileResult:
    dockerfile = load_dockerfile(path, build_args)
    ctx = build_context(dockerfile, context_dir, target)
    analysis = analyse(ctx, config, context_dir)
    findings = list(analysis.findings)
    dropped: list[dict] = []
    notes: list[str] = []
    if hadolint:
        kept, dropped, notes = run_hadolint(path, dockerfile, findings, target)
        findings = sort_findings(
            findings + apply_overrides(kept, config, dockerfile_suppressions(dockerfile))
        )
    return FileResult(path, tuple(findings), tuple(dropped), tuple(notes), config.failure_threshold)


def check_dockerignore_alone(path: str, config: Config = DEFAULT) -> FileResult:
    """A .dockerignore with no Dockerfile beside it: only the rules about .dockerignore apply."""
    from rules.dockerignore import parse_dockerignore
    from rules.model import parse_dockerfile

    ignore = parse_dockerignore(read_input(path, ".dockerignore"), path)
    folder = _folder(path)
    stand_in = parse_dockerfile(b"FROM scratch\n", str(Path(folder, "Dockerfile")))
    ctx = CheckContext(dockerfile=stand_in, dockerignore=ignore, context_files=None, all_files=None)
    analysis = analyse(ctx, config, folder, only_file="dockerignore")
    return FileResult(path, analysis.findings, (), (), config.failure_threshold)


def run_hadolint(
    path: str, dockerfile: Dockerfile, findings: list[Finding], target: str | None
) -> tuple[list[Finding], list[dict], list[str]]:
    # Imported here: only `--hadolint` runs pay for the adapter.
    from rules import hadolint

    kept, dropped, notes = hadolint.check_file(path, dockerfile, findings, target=target)
    return list(kept), list(dropped), list(notes)


# --------------------------------------------------------------------------- autofix


def apply_edits(text: str, edits: list[Edit]) -> tuple[str, int]:
    """Apply non-overlapping edits bottom-up; returns the new text and how many were applied.

    Lines are split on `\\n` only (as BuildKit reads them); the file's line ending is kept.
    """
    lines = text.split("\n")
    trailing = lines and lines[-1] == ""
    if trailing:
        lines.pop()
    newline_cr = bool(lines) and lines[0].endswith("\r")
    chosen: list[Edit] = []
    for edit in sorted(set(edits), key=lambda e: (e.line, e.end_line, e.lines)):
        if any(_conflict(edit, other) for other in chosen):
            continue  # retried in the next round, after the file is re-checked
        chosen.append(edit)
    for edit in sorted(chosen, key=lambda e: (e.line, e.end_line), reverse=True):
        start = edit.line - 1
        stop = max(edit.end_line, start)
        new = [ln + ("\r" if newline_cr else "") for ln in edit.lines]
        lines[start:stop] = new
    out = "\n".join(lines) + ("\n" if trailing else "")
    return out, len(chosen)


def _conflict(a: Edit, b: Edit) -> bool:
    a0, a1 = a.line - 1, max(a.end_line, a.line - 1)
    b0, b1 = b.line - 1, max(b.end_line, b.line - 1)
    if a0 == a1 and b0 == b1:
        return a0 == b0  # two insertions at one place: their order would be a guess
    if a0 == a1:
        return b0 < a0 < b1
    if b0 == b1:
        return a0 < b0 < a1
    return a0 < b1 and b0 < a1


class FixResult(NamedTuple):
    originals: dict[str, bytes]
    fixed: dict[str, bytes]  # only files that changed
    applied: int


def fix_dockerfile(
    path: str,
    *,
    context_dir: str | None = None,
    target: str | None = None,
    build_args: Mapping[str, str] | None = None,
    config: Config = DEFAULT,
    rounds: int = 5,
) -> FixResult:
    """Compute the fixed Dockerfile (and .dockerignore) in memory; nothing is written here.

    Fixes are applied in rounds: each round re-parses and re-checks the result, so a fix that
    overlapped another is made on the updated file, and no fix is based on stale lines.
    """
    originals: dict[str, bytes] = {}
    current: dict[str, bytes] = {}
    script_paths: dict[str, str] = {}  # context-relative path -> path as the CLI shows it
    applied = 0
    for _ in range(rounds):
        data = current.get(path)
        if data is None:
            data = read_input(path)
            originals[path] = data
            current[path] = data
        dockerfile = load_dockerfile(path, build_args, data)
        from rules.dockerignore import ignore_file_path

        cdir = context_dir or _folder(path)
        ipath = ignore_file_path(cdir, path) if Path(cdir).is_dir() else None
        ignore_data = None
        if ipath is not None:
            key = str(ipath)
            if key not in current:
                originals[key] = current[key] = read_input(key, ".dockerignore")
            ignore_data = current[key]
        # Scripts fixed in an earlier round are seen as fixed, not as they are on disk.
        scripts = {rel: current[full].decode("utf-8") for rel, full in script_paths.items()}
        ctx = build_context(dockerfile, context_dir, target, ignore_data, scripts)
        analysis = analyse(ctx, config, context_dir)
        by_file: dict[str, list[Edit]] = {}
        for _finding, violation, rule in analysis.violations:
            if not rule.fixable:
                continue
            for edit in violation.edits:
                if edit.file == "dockerignore":
                    if analysis.ignore_path is None:
                        continue
                    target_path = analysis.ignore_path
                elif edit.file == "dockerfile" and violation.file in ("dockerfile", "dockerignore"):
                    target_path = path
                else:
                    # A script of the context (an entrypoint): only one the rules have read.
                    rel = violation.file if edit.file == "dockerfile" else edit.file
                    if rel not in ctx.context_texts:
                        continue
                    target_path = os.path.normpath(Path(cdir, rel))
                    if target_path not in current:
                        originals[target_path] = current[target_path] = read_input(
                            target_path, "script"
                        )
                    script_paths[rel] = target_path
                by_file.setdefault(target_path, []).append(edit)
        changed = 0
        for target_path, edits in by_file.items():
            raw = current[target_path]
            bom = raw.startswith(b"\xef\xbb\xbf")
            text = raw[3:].decode("utf-8") if bom else raw.decode("utf-8")
            new_text, n = apply_edits(text, edits)
            if n and new_text != text:
                current[target_path] = (b"\xef\xbb\xbf" if bom else b"") + new_text.encode()
                changed += n
        applied += changed
        if not changed:
            break
    fixed = {p: d for p, d in current.items() if d != originals.get(p)}
    return FixResult(originals, fixed, applied)


def unified_diff(path: str, before: bytes, after: bytes) -> str:
    import difflib

    a = before.decode("utf-8", errors="replace").splitlines(keepends=True)
    b = after.decode("utf-8", errors="replace").splitlines(keepends=True)
    return "".join(difflib.unified_diff(a, b, f"a/{path}", f"b/{path}"))


def atomic_write(path: str | Path, data: bytes) -> None:
    """Write whole or not at all: a temporary file in the same folder, then os.replace."""
    import tempfile  # only when writing: it costs startup time

    path = Path(path)
    fd, name = tempfile.mkstemp(dir=path.absolute().parent, prefix=f".{path.name}.", suffix=".tmp")
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
        except FileNotFoundError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        tmp.chmod(mode)
        tmp.replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
