"""## What it does
Finds empty lines inside an instruction that continues over several lines with `\\`.

## Why is this bad?
BuildKit skips an empty line in a continuation and keeps joining, but the syntax is deprecated:
it warns "Empty continuation line found" and says a future release will reject it
(moby/moby#24725). A reader also takes the empty line for the end of the instruction, and the
classic builder and other parsers (dockerfile-parse) do end it there, so the rest of the command
becomes a separate, broken instruction for them.

## Example
```dockerfile
FROM python:3.13-slim
RUN apt-get update && \\
    apt-get install -y --no-install-recommends curl && \\

    rm -rf /var/lib/apt/lists/*
```

## Use instead
```dockerfile
FROM python:3.13-slim
RUN apt-get update && \\
    apt-get install -y --no-install-recommends curl && \\
    rm -rf /var/lib/apt/lists/*
```
"""

from __future__ import annotations

from collections.abc import Iterator

from rules.base import CheckContext, Rule, Severity, Violation

RULE = Rule(
    id="DP902",
    name="empty-continuation-line",
    title="Empty line inside a continued instruction",
    severity=Severity.INFO,
    fix="Delete the empty line, or put a `#` comment on it",
)


def check(ctx: CheckContext) -> Iterator[Violation]:
    for line in ctx.dockerfile.empty_continuation_lines:
        yield Violation(
            line=line,
            message="Empty continuation line found: BuildKit deprecates this syntax and other "
            "parsers end the instruction here",
        )
