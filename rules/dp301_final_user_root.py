"""## What it does
Finds a final image that runs as root: the final stage (the last one, or `--target`), following
`FROM <stage>` inheritance, ends with no USER, or with `USER root`, `USER 0`, `USER root:group` or
`USER 0:0`. Variables are resolved as BuildKit resolves them (`USER ${APP_UID}` with
`ARG APP_UID=0` is root; a variable that expands to nothing is root too).

USER in stages the final image is not built from does not count: a builder stage that runs as
root and is only copied from (`COPY --from=build`) is fine. Bases that are known to set a
non-root user themselves (a `nonroot` or `rootless` tag, `nginx-unprivileged`, Bitnami images)
and Windows images (where the Linux notion of root does not apply) are not flagged.

## Why is this bad?
A process running as root in the container is root on the host's kernel: any escape from the
application (a deserialisation bug, a path traversal, a dependency's post-install hook at run
time) gets full control of the container's files and a much larger kernel attack surface.
Kubernetes' `runAsNonRoot` refuses such images outright.

## Example
```dockerfile
FROM python:3.13-slim AS build
USER root
RUN pip install --prefix=/install httpx

FROM python:3.13-slim
COPY --from=build /install /usr/local
CMD ["python", "-m", "app"]
```

## Use instead
```dockerfile
FROM python:3.13-slim AS build
RUN pip install --prefix=/install httpx

FROM python:3.13-slim
RUN useradd --uid 10001 --no-create-home app
COPY --from=build /install /usr/local
USER 10001
CMD ["python", "-m", "app"]
```
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from rules.base import CheckContext, Rule, Severity, Violation
from rules.commands import image_name, is_windows_stage, root_base

RULE = Rule(
    id="DP301",
    name="final-user-root",
    title="The final image runs as root",
    severity=Severity.WARNING,
    fix="Create an unprivileged user and end the final stage with `USER <uid>` (numeric, e.g. "
    "`USER 10001`)",
)

# Images that already switch to an unprivileged user in their own config.
_NONROOT_BASE = re.compile(
    r"(^|[:/_-])(nonroot|rootless)([-_.]|$)|nginx-unprivileged|^bitnami/", re.IGNORECASE
)


def check(ctx: CheckContext) -> Iterator[Violation]:
    df = ctx.dockerfile
    final = df.final_stage(ctx.target)
    if is_windows_stage(df, final.index):
        return
    user_instr = df.last_in_lineage(final, "USER")
    if user_instr is None:
        repo, tag = image_name(root_base(df, final.index))
        if _NONROOT_BASE.search(f"{repo}:{tag}"):
            return
        where = f"stage {final.label()!r}" if final.display_name else "the final stage"
        yield Violation(
            line=final.line,
            message=f"{where} sets no USER (nor does any stage it is built FROM): the "
            "container runs as root",
        )
        return
    written = user_instr.value.strip()
    user = user_instr.args[0] if user_instr.args else ""
    name = user.partition(":")[0].strip()
    if name in ("", "root") or (name.isdigit() and int(name) == 0):
        if not name:
            what = f"`USER {written}` expands to an empty user, which is root"
        elif user != written:
            what = f"`USER {written}` resolves to {user!r}, which is root"
        else:
            what = f"`USER {written}` is root"
        stage = df.stage_of(user_instr)
        suffix = ""
        if stage is not None and stage.index != final.index:
            suffix = f" (inherited from stage {stage.label()!r})"
        yield Violation(
            line=user_instr.line,
            message=f"{what}{suffix}: the final image runs as root",
        )
