"""## What it does
Finds an ENV (or ARG) that sets a search-path variable — PATH, PYTHONPATH, LD_LIBRARY_PATH,
LIBRARY_PATH, CLASSPATH, PKG_CONFIG_PATH, CPATH, C_INCLUDE_PATH, CPLUS_INCLUDE_PATH, NODE_PATH,
PERL5LIB, RUBYLIB — to a value with an empty entry after BuildKit expands it: a leading or
trailing `:`, or `::`. The usual cause is appending a variable that is not set, as in the
seed's `PYTHONPATH="/install/lib/python3.13/site-packages:${PYTHONPATH}"` when no PYTHONPATH was
set before. `${PYTHONPATH:+:${PYTHONPATH}}` is the spelling that adds the separator only when
there is something to separate.

Variables set by the base image are not visible in the Dockerfile; the one well-known case
(`LD_LIBRARY_PATH` and `LIBRARY_PATH` of the nvidia/cuda images) is not reported. MANPATH is left
out on purpose: an empty entry there means "the default manual path". Windows images are
skipped (their lists use `;`).

## Why is this bad?
An empty entry means "the current directory". With `PYTHONPATH=/app/lib:` every Python process
imports modules from whatever directory it runs in first (a `json.py` or `logging.py` in the
working directory shadows the standard library); with `LD_LIBRARY_PATH` the dynamic loader
searches the working directory for shared libraries; with `PATH`, commands are looked up there.
That is a behaviour difference between the image and a developer's machine and an injection risk.

## Example
```dockerfile
FROM python:3.13-slim
ENV PYTHONPATH="/install/lib/python3.13/site-packages:${PYTHONPATH}"
```

## Use instead
```dockerfile
FROM python:3.13-slim
ENV PYTHONPATH="/install/lib/python3.13/site-packages${PYTHONPATH:+:${PYTHONPATH}}"
```
"""

from __future__ import annotations

from collections.abc import Iterator

from rules.base import CheckContext, Rule, Severity, Violation
from rules.commands import image_name, is_windows_stage, root_base
from rules.model import Instruction, KeyValue

RULE = Rule(
    id="DP306",
    name="path-empty-entry",
    title="A PATH-like variable has an empty entry (the current directory)",
    severity=Severity.WARNING,
    fix="Append an existing value only when it is set: `VAR=/new${VAR:+:${VAR}}`, or drop "
    "the reference to the unset variable",
)

PATH_VARIABLES = frozenset(
    {"PATH", "PYTHONPATH", "LD_LIBRARY_PATH", "LIBRARY_PATH", "CLASSPATH", "PKG_CONFIG_PATH"}
    | {"CPATH", "C_INCLUDE_PATH", "CPLUS_INCLUDE_PATH", "NODE_PATH", "PERL5LIB", "RUBYLIB"}
)
# Variables that well-known base images set, so `${VAR}` is not empty there.
_BASE_SETS = {"nvidia/cuda": frozenset({"LD_LIBRARY_PATH", "LIBRARY_PATH", "PATH"})}


def check(ctx: CheckContext) -> Iterator[Violation]:
    df = ctx.dockerfile
    for instr in df.instructions:
        if instr.keyword not in ("ENV", "ARG"):
            continue
        if instr.stage >= 0 and is_windows_stage(df, instr.stage):
            continue
        preset = _base_variables(ctx, instr)
        for kv in instr.pairs:
            if kv.key not in PATH_VARIABLES or kv.value is None:
                continue
            message = _problem(instr, kv, preset)
            if message:
                yield Violation(line=instr.line, end_line=instr.end_line, message=message)


def _base_variables(ctx: CheckContext, instr: Instruction) -> frozenset[str]:
    if instr.stage < 0:
        return frozenset()
    repo, _ = image_name(root_base(ctx.dockerfile, instr.stage))
    return _BASE_SETS.get(repo, frozenset())


def _problem(instr: Instruction, kv: KeyValue, preset: frozenset[str]) -> str | None:
    value = kv.value or ""
    if not value.strip():
        return None  # unset in effect; no entry at all
    undefined = [v for v in kv.undefined if v not in preset]
    if set(kv.undefined) & preset:
        return None  # the base image gives it a value we cannot see
    entries = value.split(":")
    if all(entries):
        return None
    where = "a leading ':'" if not entries[0] else "a trailing ':'" if not entries[-1] else "'::'"
    cause = ""
    if undefined:
        names = ", ".join(f"${{{v}}}" for v in dict.fromkeys(undefined))
        cause = f" because {names} is not set at this point"
    shown = value if len(value) <= 60 else f"{value[:20]}...{value[-30:]}"
    return (
        f"{instr.keyword} {kv.key} expands to {shown!r}, with an empty entry ({where}){cause}: "
        "an empty entry means the current directory"
    )
