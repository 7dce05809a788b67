"""The whole build context is copied (`COPY . <dest>`) and the context has no `.dockerignore`.

## What it does

Reports every COPY or ADD whose source is the whole build context (`.`, `./`, `/`, in any
spelling, with any destination and flags) when the context has no `.dockerignore` (nor a
`<Dockerfile>.dockerignore` beside the Dockerfile). `--from` copies are not from the context and
are not reported.

Nothing is reported when the build context folder is unknown (a Dockerfile read from stdin):
whether it has a `.dockerignore` cannot be told then.

## Why is this bad?

Without a `.dockerignore`, everything in the folder is sent to the builder and lands in the
image: `.git`, virtualenvs, caches, test data, local `.env` files with secrets. The context
upload gets slow, the image gets big, and any change to any file (even in `.git`) invalidates
the COPY layer and every layer after it.

## Example

```dockerfile
# (no .dockerignore next to this Dockerfile)
FROM python:3.13-slim
WORKDIR /app
COPY . .
```

## Use instead

```dockerfile
# .dockerignore: .git, .venv, __pycache__/, *.pyc, .env*, tests/, docs/
FROM python:3.13-slim
WORKDIR /app
COPY . .
```
"""

from __future__ import annotations

from collections.abc import Iterator

from rules.base import CheckContext, Rule, Severity, Violation
from rules.sources import context_sources

RULE = Rule(
    id="DP403",
    name="copy-all-without-dockerignore",
    title="Whole-context COPY with no .dockerignore",
    severity=Severity.WARNING,
    fix="Add a .dockerignore that excludes .git, virtualenvs, caches, tests and secrets",
)


def check(ctx: CheckContext) -> Iterator[Violation]:
    if ctx.dockerignore is not None or ctx.context_files is None:
        return
    for instr in ctx.dockerfile.instructions:
        whole = [s for s in context_sources(instr) if s.whole_context]
        if not whole:
            continue
        yield Violation(
            line=instr.line,
            end_line=instr.end_line,
            message=(
                f"{instr.keyword} {whole[0].written} copies the whole build context, and the "
                "context has no .dockerignore: every file in the folder (.git, virtualenvs, "
                "caches, secrets) is sent and ends up in the image"
            ),
        )
