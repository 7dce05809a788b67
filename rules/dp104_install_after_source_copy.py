"""## What it does
Finds a dependency install that runs after a COPY or ADD that brings in the application source,
in the same stage or a stage it is built `FROM`. Source means the whole context (`COPY . .`,
`COPY . /app`, `ADD . .`, `COPY --chown=app . .`), a source folder (`COPY src ./src`) or Python
files; copying only manifests (requirements*.txt, pyproject.toml, poetry.lock, uv.lock,
setup.cfg, package.json, lock files...) is what you should do, and is not flagged. A RUN that
bind-mounts the whole context (`RUN --mount=type=bind,target=/src pip install /src`) depends on
the source in the same way. `COPY --from=<stage>` (built artifacts) is not source.

Installs are pip/uv/poetry installs (`pip install -r`, `pip install .`, `uv sync`, `uv pip
install`, `poetry install`) and lockfile installs of other ecosystems (`npm ci`, `npm install`,
`yarn install`, `pnpm install`, `pipenv install`, `pdm install`, `bundle install`,
`go mod download`, `composer install`). Not flagged, because they install only the project:
`pip install --no-deps .`, `poetry install --only-root`, and a project install (`pip install .`,
`uv sync`, `poetry install`) when the dependencies were already installed before the source COPY.

## Why is this bad?
BuildKit reuses a layer only if everything before it is unchanged. With the source copied first,
every edit of any source file invalidates the install layer, and every build reinstalls every
dependency: the seed measured a 50 s rebuild after a one-line change, against 0.5 s with the
source copied last.

## Example
```dockerfile
FROM python:3.13-slim
WORKDIR /app
COPY . .
RUN --mount=type=cache,target=/root/.cache/pip pip install -r requirements.txt
```

## Use instead
```dockerfile
FROM python:3.13-slim
WORKDIR /app
COPY requirements.txt .
RUN --mount=type=cache,target=/root/.cache/pip pip install -r requirements.txt
COPY . .
```
For a project installed with `pip install .`: install its dependencies from the lock or
requirements file first, then `pip install --no-deps .` after copying the source.
"""

# No `from __future__ import annotations`: NamedTuple field types stay objects (rules/base.py).

import posixpath
from collections.abc import Iterator, Mapping
from fnmatch import fnmatchcase
from typing import NamedTuple

from rules.base import CheckContext, Rule, Severity, Violation
from rules.commands import Command, Installer, installer, run_commands
from rules.model import Dockerfile, Instruction, Stage
from rules.shell import expand

RULE = Rule(
    id="DP104",
    name="install-after-source-copy",
    title="Dependency install after the application source is copied",
    severity=Severity.WARNING,
    fix="Copy only the dependency manifests, install, then copy the source",
)

# Files (base names, lower case) that describe dependencies rather than being the application.
MANIFESTS = (
    "requirements*.txt",
    "requirements*.in",
    "*requirements*.txt",
    "*-requirements.in",
    "constraints*.txt",
    "*.lock",
    "pyproject.toml",
    "setup.cfg",
    "setup.py",
    "pipfile",
    "manifest.in",
    "readme*",
    "license*",
    "licence*",
    ".python-version",
    "environment.yml",
    "environment.yaml",
    "conda-lock.yml",
    "hatch.toml",
    "package.json",
    "package-lock.json",
    "npm-shrinkwrap.json",
    "pnpm-lock.yaml",
    "pnpm-workspace.yaml",
    ".npmrc",
    ".yarnrc*",
    "gemfile",
    "go.mod",
    "go.sum",
    "cargo.toml",
    "composer.json",
    "pip.conf",
    "uv.toml",
    "poetry.toml",
)
# Folders that hold manifests or built artifacts, not the application.
MANIFEST_DIRS = frozenset(
    {"requirements", "reqs", "deps", "constraints", "wheels", "wheelhouse", "dist", "locks"}
)
_WHOLE = frozenset({".", "./", "*", "./*", "/", ""})
# Most manifests are plain names: a set lookup, so only the globs cost fnmatch a regex each.
_MANIFEST_NAMES = frozenset(m for m in MANIFESTS if not any(c in m for c in "*?["))
_MANIFEST_GLOBS = tuple(m for m in MANIFESTS if m not in _MANIFEST_NAMES)
# Other ecosystems' lockfile installs: program -> subcommands (empty: any).
_LOCK_INSTALLS = {
    "npm": ("ci", "install", "i"),
    "yarn": ("install", ""),
    "pnpm": ("install", "i"),
    "pipenv": ("install", "sync"),
    "pdm": ("install", "sync"),
    "bundle": ("install",),
    "composer": ("install",),
}


# NamedTuples, not dataclasses: start-up time, see rules/base.py.
class SourceCopy(NamedTuple):
    instr: Instruction
    shown: str  # `COPY . .` as written (shortened)
    whole: bool  # the whole context


class Install(NamedTuple):
    text: str  # `pip install -r requirements.txt`
    kind: str  # "project" (installs the project itself), "deps", "project-only"
    tool: str
    files: tuple[str, ...]  # requirement files it reads


def _is_manifest(src: str) -> bool:
    name = posixpath.basename(src.rstrip("/")).lower()
    probe = name.replace("*", "x").replace("?", "x")
    if probe in _MANIFEST_NAMES or any(fnmatchcase(probe, pat) for pat in _MANIFEST_GLOBS):
        return True
    return name in MANIFEST_DIRS


def is_source(src: str, context_files: Mapping[str, int] | None) -> bool:
    """Whether a COPY/ADD source brings application code (not only manifests or artifacts)."""
    clean = posixpath.normpath(src.strip()) if src.strip() else "."
    if src.strip() in _WHOLE or clean in (".", "/"):
        return True
    if _is_manifest(clean):
        return False
    rel = clean.lstrip("/").removeprefix("./")
    if context_files is not None and rel in context_files:
        # A single file: source when it is code.
        return rel.endswith(".py")
    name = posixpath.basename(rel)
    if any(ch in name for ch in "*?["):
        return name.endswith(".py") or name in ("*", "*.*")
    # No file of that name: a folder (or a file we cannot see) - folders hold code, files with
    # an extension other than .py are configuration or scripts.
    return "." not in name or name.endswith(".py")


def _context_files(ctx: CheckContext) -> Mapping[str, int] | None:
    return ctx.context_files


def source_copy(instr: Instruction, ctx: CheckContext) -> SourceCopy | None:
    if instr.keyword not in ("COPY", "ADD") or instr.has_flag("from"):
        return None
    heredocs = {h.name for h in instr.heredocs}
    sources = [
        s
        for s in instr.args[:-1]
        if "://" not in s
        and not s.startswith(("git@", "<<"))
        and s.lstrip("0123456789<-") not in heredocs
    ]
    hits = [s for s in sources if is_source(s, _context_files(ctx))]
    if not hits:
        return None
    text = f"{instr.keyword} {instr.value.strip()}"
    if len(text) > 60:
        text = text[:57] + "..."
    whole = any(s.strip() in _WHOLE or posixpath.normpath(s) in (".", "/") for s in hits)
    return SourceCopy(instr, text, whole)


def source_bind(instr: Instruction, ctx: CheckContext) -> SourceCopy | None:
    """A RUN bind mount of the context (no `from=`) that brings in source."""
    for mount in instr.mounts:
        if mount.type != "bind" or mount.get("from"):
            continue
        src = expand(mount.get("source") or ".", instr.env).value
        if is_source(src, _context_files(ctx)):
            whole = src.strip() in _WHOLE or posixpath.normpath(src) in (".", "/")
            return SourceCopy(instr, f"--mount=type=bind,source={src}", whole)
    return None


def _is_local(word: str) -> bool:
    return word.startswith((".", "/", "~")) or word in (".", "..")


def classify(cmd: Command) -> Install | None:
    inst = installer(cmd)
    if inst is not None:
        return _classify_python(inst)
    prog = cmd.program
    args = [a for a in cmd.argv[1:] if not a.startswith("-")]
    if prog in _LOCK_INSTALLS:
        sub = args[0] if args else ""
        if sub in _LOCK_INSTALLS[prog] and (prog != "npm" or sub == "ci" or len(args) == 1):
            return Install(" ".join(cmd.argv[:2]), "deps", prog, ())
        return None
    if prog == "go" and args[:2] == ["mod", "download"]:
        return Install("go mod download", "deps", "go", ())
    return None


def _classify_python(inst: Installer) -> Install | None:
    if inst.sub in ("add", "tool install") and inst.tool != "pip":
        return Install(f"{inst.tool} {inst.sub}", "deps", inst.tool, ())
    shown = " ".join(inst.command.argv[:6])
    if len(inst.command.argv) > 6:
        shown += " ..."
    if inst.tool == "poetry" or (inst.tool == "uv" and inst.sub == "sync"):
        if inst.flag("--only-root", "--only-install-project"):
            return Install(shown, "project-only", inst.tool, ())
        if inst.flag("--no-root", "--no-install-project", "--no-install-workspace"):
            return Install(shown, "deps", inst.tool, ())
        return Install(shown, "project", inst.tool, ())
    files = tuple(inst.requirement_files)
    positional = inst.positional
    editables = inst.values("-e", "--editable")
    local = [p for p in positional if _is_local(p)] + [e for e in editables if _is_local(e)]
    named = [p for p in positional if not _is_local(p)]
    if local and not files and not named:
        if inst.flag("--no-deps"):
            return Install(shown, "project-only", inst.tool, ())
        return Install(shown, "project", inst.tool, ())
    return Install(shown, "deps", inst.tool, files)


def _installs_before(df: Dockerfile, stage: Stage, limit: Instruction) -> list[Install]:
    out: list[Install] = []
    for instr in df.lineage_instructions(stage):
        if instr is limit:
            break
        if instr.keyword == "RUN":
            out += [i for c in run_commands(df, instr) if (i := classify(c)) is not None]
    return out


def _flagged(install: Install, earlier: list[Install]) -> bool:
    if install.kind == "project-only":
        return False
    if install.kind == "project":
        # The dependencies are already in an earlier layer: only the project is (re)installed.
        return not earlier
    if install.files:
        installed = {f for e in earlier for f in e.files}
        return not all(f in installed for f in install.files)
    return True


def check(ctx: CheckContext) -> Iterator[Violation]:
    df = ctx.dockerfile
    for stage in df.stages:
        lineage = list(df.lineage_instructions(stage))
        first_copy: SourceCopy | None = None
        for instr in lineage:
            if instr.keyword in ("COPY", "ADD") and first_copy is None:
                first_copy = source_copy(instr, ctx)
                continue
            if instr.keyword != "RUN":
                continue
            # Only this stage's own RUNs are reported; a parent's COPY still counts.
            copy = first_copy or source_bind(instr, ctx)
            if copy is None or instr.stage != stage.index:
                continue
            earlier = _installs_before(df, stage, copy.instr)
            installs = [i for c in run_commands(df, instr) if (i := classify(c)) is not None]
            flagged = [i for i in installs if _flagged(i, earlier)]
            if not flagged:
                continue
            yield _violation(instr, copy, flagged[0])


def _violation(instr: Instruction, copy: SourceCopy, install: Install) -> Violation:
    if copy.instr is instr:
        after = f"runs with the build context bind-mounted ({copy.shown})"
        where = "this RUN"
    else:
        after = f"runs after `{copy.shown}` (line {copy.instr.line})"
        where = f"the {copy.instr.keyword} at line {copy.instr.line}"
    message = (
        f"`{install.text}` {after}, which brings in the application source: every source "
        "change invalidates this layer and reinstalls every dependency"
    )
    if install.kind == "project" and install.tool in ("uv", "poetry"):
        first = (
            "uv sync --no-install-project" if install.tool == "uv" else "poetry install --no-root"
        )
        advice = (
            f"run `{first}` with only the manifest and lock file before {where}, and keep "
            "this install after it (it then installs only the project)"
        )
    elif install.kind == "project":
        advice = (
            "install the dependencies from the lock or requirements file before copying the "
            f"source, then `pip install --no-deps .` after {where}"
        )
    else:
        manifests = ", ".join(install.files) or "the manifest and lock file"
        advice = f"copy only {manifests} before {where}, install, then copy the source"
    return Violation(
        line=instr.line,
        end_line=instr.end_line,
        message=f"{message}; {advice}",
        fix=advice[:1].upper() + advice[1:],
    )
