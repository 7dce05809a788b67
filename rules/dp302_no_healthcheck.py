"""## What it does
Finds a final image without a HEALTHCHECK: neither the final stage (the last one, or `--target`)
nor any stage it is built `FROM` sets one. `HEALTHCHECK NONE` is a deliberate choice and is not
reported; a HEALTHCHECK that is written wrongly is DP309's concern, not this rule's.

## Why is this bad?
Without a health check Docker reports the container as running as soon as its process starts,
not when it can serve: `docker compose` `depends_on: condition: service_healthy`, Swarm rolling
updates and the startup benchmark (time to healthy) cannot tell a booting or hung service from a
working one, so a broken deploy goes unnoticed and traffic reaches a container that cannot answer.
It is a warning, not advice, because this project measures and gates "startup to healthy".

## Example
```dockerfile
FROM python:3.13-slim
USER 10001
CMD ["uvicorn", "app.main:app", "--host", "0.0.0.0", "--port", "8000"]
```

## Use instead
```dockerfile
FROM python:3.13-slim
USER 10001
HEALTHCHECK --interval=30s --timeout=3s --start-period=30s --retries=3 \\
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health')"]
CMD ["uvicorn", "app.main:app", "--host", "0.0.0.0", "--port", "8000"]
```
"""

from __future__ import annotations

from collections.abc import Iterator

from rules.base import CheckContext, Rule, Severity, Violation

RULE = Rule(
    id="DP302",
    name="no-healthcheck",
    title="The final image has no HEALTHCHECK",
    severity=Severity.WARNING,
    fix="Add `HEALTHCHECK CMD ...` probing the service (or `HEALTHCHECK NONE` to say that none "
    "is wanted)",
)


def check(ctx: CheckContext) -> Iterator[Violation]:
    df = ctx.dockerfile
    final = df.final_stage(ctx.target)
    if df.last_in_lineage(final, "HEALTHCHECK") is not None:
        return
    where = f"stage {final.label()!r}" if final.display_name else "the final stage"
    yield Violation(
        line=final.line,
        message=f"{where} has no HEALTHCHECK (nor does any stage it is built FROM): Docker "
        "cannot tell a container that serves from one that only runs",
    )
