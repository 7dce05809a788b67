"""The application's Python sources are not bytecode-compiled in the final image.

## What it does

In a Python image (a `python`/`pypy` base, Python installed by the package manager, a pip/uv
install, or a CMD/ENTRYPOINT that runs python, uvicorn, gunicorn ...), follows the final stage
and the stages it is built FROM, and finds the last instruction that brings application source
into it:

- a COPY/ADD from the build context of Python code: the whole context, a directory, a `.py`
  file or a glob that copies `.py` files (requirements files, `.ini`, `.toml` and scripts are
  not source);
- a `COPY --from=<stage>` of a stage that holds source it did not compile.

It reports that instruction when nothing after it compiles the source:

- `python -m compileall` with a target that is not a library folder (any interpreter spelling:
  `python3`, `python3.13`, `/opt/venv/bin/python`, `-OO`, `-Bm`; any compileall options).
  compileall of `site-packages` or a virtualenv does not cover the application, and compileall
  without a target compiles `sys.path`, which leaves out the working directory;
- `python -c "...compileall..."`;
- `pip install` of a local path (`.`, `/app`, a built wheel) without `-e` or `--no-compile`:
  pip compiles what it installs;
- uv's bytecode compilation: `UV_COMPILE_BYTECODE` set to a true value, or `--compile-bytecode`,
  anywhere in the final stage's lineage.

## Why is this bad?

Without `.pyc` files in the image, every container start compiles every imported module first.
With `PYTHONDONTWRITEBYTECODE=1` (common in Dockerfiles), or a non-root user who cannot write
next to the sources, the result is never kept: each start, and each worker process, pays again.
The seed measured startup 4 s -> 3 s from compileall alone.

## Example

```dockerfile
FROM python:3.13-slim
ENV PYTHONDONTWRITEBYTECODE=1
WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY src/ ./src/
CMD ["uvicorn", "src.main:app"]
```

## Use instead

```dockerfile
FROM python:3.13-slim
ENV PYTHONDONTWRITEBYTECODE=1
WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY src/ ./src/
RUN python -m compileall -q src/
CMD ["uvicorn", "src.main:app"]
```
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from rules.base import CheckContext, Rule, Severity, Violation
from rules.commands import (
    commands_of,
    exec_command,
    image_name,
    installer,
    is_python,
    package_op,
    python_invocation,
    run_commands,
    shell_c_script,
    unwrap,
)
from rules.sources import context_sources, copied_files

if TYPE_CHECKING:
    from rules.model import Dockerfile, Instruction, Stage

RULE = Rule(
    id="DP501",
    name="no-bytecode-compile",
    title="Application sources are not bytecode-compiled in the final image",
    severity=Severity.INFO,
    fix="Add `RUN python -m compileall -q <app dir>` after the last COPY of source",
)

# compileall options that take a value (python -m compileall --help).
_COMPILEALL_VALUE_OPTS = frozenset({"-d", "-s", "-p", "-x", "-i", "-r", "-j", "-o", "-e"})
_LIBRARY = re.compile(
    r"(site|dist)-packages|/lib/python[\d.]*(/|$)|(^|/)\.?venv(/|$)|^/usr(/local)?(/lib)?/?$"
)
_SERVERS = frozenset(
    {"uvicorn", "gunicorn", "hypercorn", "granian", "daphne", "celery", "fastapi", "flask"}
    | {"django-admin", "streamlit", "pytest", "alembic"}
)
_TRUE = frozenset({"1", "true", "yes", "on", "y", "t"})
_RAW, _COMPILED, _NONE = "raw", "compiled", "none"


def check(ctx: CheckContext) -> Iterator[Violation]:
    df = ctx.dockerfile
    if not df.stages:
        return
    final = df.final_stage(ctx.target)
    lineage = list(df.lineage_instructions(final))
    if not _is_python_image(df, final, lineage) or _uv_compiles(df, lineage):
        return
    state, culprit = _state(ctx, df, final, {})
    if state != _RAW or culprit is None:
        return
    what = " ".join([culprit.keyword, *_from_flags(culprit), culprit.value])
    if len(what) > 60:
        what = what[:57] + "..."
    message = (
        f"{what} brings application source into the final image and nothing compiles it to "
        "bytecode afterwards (no `python -m compileall`, no UV_COMPILE_BYTECODE)"
    )
    if _dont_write_bytecode(lineage):
        message += (
            "; with PYTHONDONTWRITEBYTECODE=1 Python never saves the result, so every start "
            "compiles it again"
        )
    else:
        message += ", so every new container compiles it on its first imports"
    dest = culprit.args[-1] if culprit.args else "<app dir>"
    yield Violation(
        line=culprit.line,
        end_line=culprit.end_line,
        message=message,
        fix=f"Add `RUN python -m compileall -q {dest}` after the last COPY of source",
    )


def _state(
    ctx: CheckContext, df: Dockerfile, stage: Stage, memo: dict[int, tuple[str, object]]
) -> tuple[str, Instruction | None]:
    """Does the stage hold application source: none, compiled, or raw (and where it came in)."""
    if stage.index in memo:
        return memo[stage.index]  # type: ignore[return-value]
    memo[stage.index] = (_NONE, None)  # a cycle is DP900's business
    state, culprit = _NONE, None
    for instr in df.lineage_instructions(stage):
        if instr.keyword in ("COPY", "ADD"):
            source = instr.flag("from")
            if source is not None:
                other = df.stage_by_name(source)
                if other is None or other.index >= stage.index:
                    continue  # an image, not a stage of this file
                other_state, _ = _state(ctx, df, other, memo)
                if other_state == _RAW:
                    state, culprit = _RAW, instr
                elif other_state == _COMPILED and state == _NONE:
                    state = _COMPILED
            elif _copies_source(ctx, instr):
                state, culprit = _RAW, instr
        elif instr.keyword == "RUN" and state == _RAW and _compiles(df, instr):
            state = _COMPILED
    memo[stage.index] = (state, culprit)
    return state, culprit


def _copies_source(ctx: CheckContext, instr: Instruction) -> bool:
    files = ctx.context_files
    for source in context_sources(instr):
        if files is not None:
            copied = copied_files(source, files)
            if copied:
                if any(f.endswith((".py", ".pyw")) for f in copied):
                    return True
                continue  # real files, none of them Python
        # No context folder, or nothing there that matches: judge by the name.
        base = source.path.rsplit("/", 1)[-1]
        if source.whole_context or base.endswith((".py", ".pyw", "*")):
            return True
        if not source.glob and "." not in base:
            return True  # most likely a package directory (src, app)
    return False


def _compiles(df: Dockerfile, instr: Instruction) -> bool:
    for cmd in run_commands(df, instr):
        call = python_invocation(cmd)
        if call is not None:
            if call.kind == "module" and call.target == "compileall":
                if _compileall_covers_app(call.args, instr):
                    return True
                continue
            if call.kind == "code" and "compileall" in call.target:
                return True
        found = installer(cmd)
        if found is not None and found.tool == "pip" and found.sub == "install":
            if found.flag("-e", "--editable", "--no-compile"):
                continue
            if any(p.startswith((".", "/")) or p.endswith(".whl") for p in found.positional):
                return True
    return False


def _compileall_covers_app(args, instr: Instruction) -> bool:
    targets = []
    skip = False
    for word in args:
        text = word.text
        if skip:
            skip = False
            continue
        if text.startswith("-") and text != "-":
            skip = text in _COMPILEALL_VALUE_OPTS or text == "--invalidation-mode"
            continue
        targets.append(word)
    if not targets:
        # compileall with no folder compiles sys.path, which skips the working directory; the
        # application is on it only through PYTHONPATH.
        return any(p and not _LIBRARY.search(p) for p in instr.env.get("PYTHONPATH", "").split(":"))
    return any(w.dynamic or not _LIBRARY.search(w.text) for w in targets)


def _uv_compiles(df: Dockerfile, lineage: list[Instruction]) -> bool:
    for instr in lineage:
        if instr.keyword in ("ENV", "ARG"):
            for pair in instr.pairs:
                if pair.key == "UV_COMPILE_BYTECODE" and (pair.value or "").lower() in _TRUE:
                    return True
        elif instr.keyword == "RUN":
            for cmd in run_commands(df, instr):
                if cmd.program == "uv" and any(
                    w.text in ("--compile-bytecode", "--compile") for w in cmd.words
                ):
                    return True
                value = cmd.assigned("UV_COMPILE_BYTECODE")
                if value is not None and value.lower() in _TRUE:
                    return True
    return False


def _from_flags(instr: Instruction) -> list[str]:
    return [f for f in instr.flags if f.startswith("--from=")]


def _dont_write_bytecode(lineage: list[Instruction]) -> bool:
    value = ""
    for instr in lineage:
        if instr.keyword == "ENV":
            for pair in instr.pairs:
                if pair.key == "PYTHONDONTWRITEBYTECODE":
                    value = pair.value or ""
    return bool(value)


def _is_python_image(df: Dockerfile, final: Stage, lineage: list[Instruction]) -> bool:
    repo, tag = image_name(df.lineage(final)[0].base)
    last = repo.rsplit("/", 1)[-1]
    if "python" in last or "pypy" in last or "python" in tag:
        return True
    if any(s in last for s in ("uvicorn", "gunicorn", "fastapi", "django", "flask")):
        return True
    for instr in lineage:
        if instr.keyword == "RUN":
            for cmd in run_commands(df, instr):
                op = package_op(cmd)
                if (
                    op is not None
                    and op.manager != "pip"
                    and op.action in ("install", "add")
                    and any(p.startswith(("python", "pypy")) for p in op.packages)
                ):
                    return True
                if installer(cmd) is not None:
                    return True
    for keyword in ("ENTRYPOINT", "CMD"):
        instr = df.last_in_lineage(final, keyword)
        if instr is not None and _runs_python(instr):
            return True
    return False


def _runs_python(instr: Instruction) -> bool:
    if instr.json_args is not None:
        cmd = exec_command(instr.json_args)
        script = shell_c_script(cmd.argv)
        if script is None:
            return _python_program(cmd.argv)
        text = script
    else:
        text = instr.value
    return any(_python_program(unwrap(c).argv) for c in commands_of(text))


def _python_program(argv: tuple[str, ...]) -> bool:
    if not argv:
        return False
    prog = argv[0].rsplit("/", 1)[-1]
    return is_python(prog) or prog in _SERVERS or prog.endswith(".py") or prog == "manage.py"
