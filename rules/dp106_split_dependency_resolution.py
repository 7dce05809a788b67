"""## What it does
Finds dependency groups that are installed into separate places (`pip install --prefix=...`,
`--target=...`, or separate virtual environments) by separate installs, each resolving its own
requirements, and then combined: copied into one stage with `COPY --from=...`, or joined on
`PYTHONPATH`. It is not flagged when the installs share one resolution: every group installed with
`--no-deps` (from one lock split into groups), with a constraints file (`-c`, `PIP_CONSTRAINT`,
`UV_CONSTRAINT`), or with `uv pip sync`. Groups built up in one virtual environment stage by
stage (`FROM deps-core AS deps-ai`, same venv) are not separate and are not flagged.

Destinations are found from `--prefix`/`--target`, from the program's path
(`/opt/venv-ai/bin/pip`, `/opt/venv-ai/bin/python -m pip`), from `uv pip install --python`, from
`VIRTUAL_ENV`, and from a `PATH` that starts with the `bin` folder of a venv made earlier
(`python -m venv`, `virtualenv`, `uv venv`).

## Why is this bad?
Each pip run resolves only its own group, so the packages the groups share are installed once per
group, often in different versions (the seed's core and ai groups share 15 packages, 8 of them in
different versions, pydantic among them). The image is bigger (the seed's layout: 541 MB against
474 MB for one install), and at run time whichever copy comes first on `PYTHONPATH` wins, so the
other group runs against versions its resolver never chose. `pip check` cannot see the conflict
across prefixes.

## Example
```dockerfile
FROM python:3.13-slim AS core
COPY requirements-core.txt .
RUN pip install --prefix=/install-core -r requirements-core.txt

FROM python:3.13-slim AS ai
COPY requirements-ai.txt .
RUN pip install --prefix=/install-ai -r requirements-ai.txt

FROM python:3.13-slim
COPY --from=core /install-core /install-core
COPY --from=ai /install-ai /install-ai
ENV PYTHONPATH=/install-core/lib/python3.13/site-packages:/install-ai/lib/python3.13/site-packages
```

## Use instead
```dockerfile
FROM python:3.13-slim AS core
RUN python -m venv /venv
COPY requirements.lock requirements-core.txt ./
RUN /venv/bin/pip install --no-deps -r requirements-core.txt

FROM core AS ai
COPY requirements-ai.txt ./
RUN /venv/bin/pip install --no-deps -r requirements-ai.txt

FROM python:3.13-slim
COPY --from=ai /venv /venv
ENV PATH=/venv/bin:$PATH
```
(`requirements-core.txt` and `requirements-ai.txt` are the two halves of one lock compiled from
all groups together, e.g. with `uv pip compile` or `pip-compile`.)
"""

# No `from __future__ import annotations`: NamedTuple field types stay objects (rules/base.py).

import posixpath
import re
from collections.abc import Iterator
from typing import NamedTuple

from rules.base import CheckContext, Rule, Severity, Violation
from rules.commands import (
    Command,
    Installer,
    installer,
    is_under,
    resolve_path,
    run_commands,
    workdir_before,
)
from rules.model import Dockerfile, Instruction, Stage

RULE = Rule(
    id="DP106",
    name="split-dependency-resolution",
    title="Dependency groups resolved separately, then combined",
    severity=Severity.WARNING,
    fix="Resolve all groups together: one lock for every group, each group installed with "
    "`--no-deps` (or with `-c` on that lock) into one venv built up stage by stage",
)

_SYSTEM = frozenset({"/", "/usr", "/usr/local"})


# NamedTuples, not dataclasses: start-up time, see rules/base.py.
class GroupInstall(NamedTuple):
    dest: str
    instr: Instruction
    stage: Stage
    shared: bool  # resolved against a shared lock or constraints
    # The stage that made this environment: installs into one folder along one FROM chain (a
    # venv built up stage by stage) are one environment; the same folder in unrelated stages
    # (`--prefix=/install` in two builders) is two.
    env: int = -1

    @property
    def key(self) -> tuple[str, int]:
        return (self.dest, self.env)


def _venvs_made(df: Dockerfile, stage: Stage, limit: Instruction) -> set[str]:
    """Folders made into virtual environments by RUNs before `limit` in the lineage."""
    out: set[str] = set()
    for instr in df.lineage_instructions(stage):
        if instr is limit:
            break
        if instr.keyword != "RUN":
            continue
        cwd = workdir_before(df, instr)
        for cmd in run_commands(df, instr):
            args = [a for a in cmd.argv[1:] if not a.startswith("-")]
            words = cmd.argv
            target = None
            if cmd.program == "virtualenv" and args:
                target = args[0]
            elif cmd.program == "uv" and args[:1] == ["venv"]:
                target = args[1] if len(args) > 1 else ".venv"
            elif "-m" in words:
                k = words.index("-m")
                if k + 1 < len(words) and words[k + 1] in ("venv", "virtualenv"):
                    rest = [a for a in words[k + 2 :] if not a.startswith("-")]
                    target = rest[0] if rest else None
            if target:
                out.add(resolve_path(target, cwd))
    return out


def destination(
    df: Dockerfile, stage: Stage, instr: Instruction, inst: Installer, cwd: str
) -> str | None:
    """Where an install puts packages when it is not the system site-packages; else None."""
    for option in ("--prefix", "--target", "-t"):
        values = inst.values(option)
        if values:
            return resolve_path(values[-1], cwd)
    if inst.tool == "uv":
        python = inst.values("--python", "-p")
        if python and "/bin/" in python[-1]:
            return _venv_of(resolve_path(python[-1], cwd))
        if inst.flag("--system"):
            return None
    exe = inst.exe
    if exe.startswith("/") and "/bin/" in exe:
        return _venv_of(resolve_path(exe, cwd))
    env = instr.env
    venv = env.get("VIRTUAL_ENV")
    if venv:
        return resolve_path(venv, cwd)
    made = _venvs_made(df, stage, instr)
    for entry in env.get("PATH", "").split(":"):
        folder = resolve_path(entry, cwd) if entry else ""
        if folder.endswith("/bin") and posixpath.dirname(folder) in made:
            return posixpath.dirname(folder)
        if folder in ("/usr/local/bin", "/usr/bin", "/bin"):
            break
    return None


def _venv_of(program: str) -> str | None:
    root = posixpath.dirname(posixpath.dirname(program))
    return None if root in _SYSTEM else root


def _shared(inst: Installer, cmd: Command, instr: Instruction) -> bool:
    if inst.flag("--no-deps") or inst.sub == "pip sync":
        return True
    if inst.constraint_files:
        return True
    env_keys = ("PIP_CONSTRAINT", "UV_CONSTRAINT")
    return any(instr.env.get(k) or cmd.assigned(k) for k in env_keys)


def group_installs(df: Dockerfile) -> dict[int, list[GroupInstall]]:
    """Per stage, the installs into separate destinations made by its own RUNs."""
    out: dict[int, list[GroupInstall]] = {}
    for stage in df.stages:
        for instr in stage.instructions:
            if instr.keyword != "RUN":
                continue
            cwd = workdir_before(df, instr)
            for cmd in run_commands(df, instr):
                inst = installer(cmd)
                if inst is None or inst.tool not in ("pip", "uv") or inst.sub == "download":
                    continue
                if inst.tool == "uv" and not inst.sub.startswith("pip"):
                    continue
                dest = destination(df, stage, instr, inst, cwd)
                if dest is None:
                    continue
                earlier = [
                    g for s in df.lineage(stage) for g in out.get(s.index, []) if g.dest == dest
                ]
                env = earlier[0].env if earlier else stage.index
                out.setdefault(stage.index, []).append(
                    GroupInstall(dest, instr, stage, _shared(inst, cmd, instr), env)
                )
    return out


def _in_lineage(df: Dockerfile, stage: Stage, groups: dict[int, list[GroupInstall]]):
    return [g for s in df.lineage(stage) for g in groups.get(s.index, [])]


def check(ctx: CheckContext) -> Iterator[Violation]:
    df = ctx.dockerfile
    groups = group_installs(df)
    if not groups:
        return
    # Destinations each stage holds: its lineage's installs, plus what COPY --from brought.
    holds: dict[int, dict[tuple[str, int], list[GroupInstall]]] = {}
    for stage in df.stages:
        held: dict[tuple[str, int], list[GroupInstall]] = {}
        if stage.parent is not None:
            for key, items in holds.get(stage.parent, {}).items():
                held.setdefault(key, []).extend(items)
        for g in groups.get(stage.index, []):
            held.setdefault(g.key, []).append(g)
        copies: list[tuple[Instruction, list[GroupInstall]]] = []
        for instr in stage.instructions:
            brought = _copied_groups(df, instr, holds)
            if brought:
                copies.append((instr, brought))
                for g in brought:
                    held.setdefault(g.key, []).append(g)
        holds[stage.index] = held
        if copies:
            combined = {g.key: g for _, brought in copies for g in brought}
            for key, items in held.items():
                combined.setdefault(key, items[0])
            if len(combined) >= 2 and not all(g.shared for g in combined.values()):
                yield _violation(df, stage, copies, list(combined.values()))
                continue
        env_finding = _pythonpath_join(df, stage, held)
        if env_finding is not None:
            yield env_finding


def _copied_groups(
    df: Dockerfile,
    instr: Instruction,
    holds: dict[int, dict[tuple[str, int], list[GroupInstall]]],
) -> list[GroupInstall]:
    if instr.keyword not in ("COPY", "ADD") or not instr.has_flag("from"):
        return []
    source_stage = df.stage_by_name(instr.flag("from") or "")
    if source_stage is None or source_stage.index not in holds:
        return []
    out: list[GroupInstall] = []
    for src in instr.args[:-1]:
        # Sources of COPY --from are paths in the other stage, from its root.
        path = resolve_path(src, "/")
        for (dest, _), items in holds[source_stage.index].items():
            if is_under(dest, path) or is_under(path, dest):
                out.extend(items[:1])
    return out


def _pythonpath_join(
    df: Dockerfile, stage: Stage, held: dict[tuple[str, int], list[GroupInstall]]
) -> Violation | None:
    """An ENV PYTHONPATH of this stage that joins two or more separately installed groups."""
    for instr in stage.instructions:
        if instr.keyword != "ENV":
            continue
        for kv in instr.pairs:
            if kv.key != "PYTHONPATH" or not kv.value:
                continue
            entries = [e for e in kv.value.split(":") if e]
            joined = {
                key: items[0]
                for key, items in held.items()
                if any(is_under(resolve_path(e, "/"), key[0]) for e in entries)
            }
            if len(joined) >= 2 and not all(g.shared for g in joined.values()):
                return Violation(
                    line=instr.line,
                    end_line=instr.end_line,
                    message=f"PYTHONPATH joins {_groups_text(list(joined.values()))}, which "
                    "were resolved separately: " + _CONSEQUENCE,
                )
    return None


_CONSEQUENCE = (
    "packages they share are installed once per group, possibly in different versions, and "
    "the first on PYTHONPATH wins at run time"
)


def _groups_text(items: list[GroupInstall]) -> str:
    parts = [
        f"{g.dest} (line {g.instr.line}, stage {g.stage.label()})"
        for g in sorted(items, key=lambda g: g.instr.line)
    ]
    if len(parts) == 1:
        return parts[0]
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _violation(
    df: Dockerfile,
    stage: Stage,
    copies: list[tuple[Instruction, list[GroupInstall]]],
    combined: list[GroupInstall],
) -> Violation:
    first, last = copies[0][0], copies[-1][0]
    lines = f"line {first.line}" if first is last else f"lines {first.line}-{last.end_line}"
    unshared = [g for g in combined if not g.shared]
    why = (
        "none of them uses --no-deps or a shared constraints file"
        if len(unshared) == len(combined)
        else f"{_groups_text(unshared)} "
        + ("resolves on its own" if len(unshared) == 1 else "each resolve on their own")
    )
    message = (
        f"dependency groups installed separately into {_groups_text(combined)} are combined "
        f"in stage {stage.label()} ({lines}) with no shared resolution ({why}): " + _CONSEQUENCE
    )
    return Violation(line=first.line, end_line=last.end_line, message=re.sub(r"\s+", " ", message))
