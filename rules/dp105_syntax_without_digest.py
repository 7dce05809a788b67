"""## What it does
Finds a `# syntax=` parser directive that names its frontend image by tag (or by nothing)
without an `@sha256:` digest, e.g. `# syntax=docker/dockerfile:1.4`.

## Why is this bad?
With a `# syntax=` line, BuildKit does not use the frontend built into the engine: it resolves the
named image in the registry at the start of every build. A tag costs that round trip on each
build, makes the build fail when the registry cannot be reached (offline machines, air-gapped CI,
rate limits), and lets the frontend change under you when the tag moves. A digest is resolved
from the local cache once pulled, and is reproducible. Builds that need no newer syntax than the
engine's can drop the line entirely and use the built-in frontend.

## Example
```dockerfile
# syntax=docker/dockerfile:1.4
FROM python:3.13-slim
```

## Use instead
```dockerfile
# syntax=docker/dockerfile:1.4@sha256:<digest of the frontend you tested with>
FROM python:3.13-slim
```
or no `# syntax=` line at all when the engine's built-in frontend is recent enough.
"""

from __future__ import annotations

from collections.abc import Iterator

from rules.base import CheckContext, Rule, Severity, Violation

RULE = Rule(
    id="DP105",
    name="syntax-without-digest",
    title="`# syntax=` frontend referenced by tag, without a digest",
    severity=Severity.INFO,
    fix="Pin the frontend by digest (`docker/dockerfile:1@sha256:...`) or drop the directive",
)


def check(ctx: CheckContext) -> Iterator[Violation]:
    found = ctx.dockerfile.directive("syntax")
    if found is None:
        return
    ref, line = found
    ref = ref.strip()
    if "@sha256:" in ref.lower():
        return
    name = ref.rsplit("/", 1)[-1]
    what = "by tag" if ":" in name else "without a tag (the moving `latest`)"
    yield Violation(
        line=line,
        message=f"`# syntax={ref}` names the frontend {what} and no digest: BuildKit resolves "
        "it in the registry on every build, and the build fails when the registry is "
        "unreachable",
    )
