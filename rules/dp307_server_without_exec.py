"""## What it does
Finds a server that a shell starts and stays the parent of, so that the shell, not the server, is
the container's PID 1:

- CMD or ENTRYPOINT in shell form (`CMD uvicorn app:app`), or in exec form through a shell
  (`CMD ["sh", "-c", "alembic upgrade head && uvicorn app:app"]`), where the server is not
  started with `exec`;
- an entrypoint script copied from the build context (`COPY docker-entrypoint.sh /usr/local/bin/`
  with `ENTRYPOINT ["docker-entrypoint.sh"]`) whose last server command — or the `"$@"` that runs
  the CMD — is not `exec`'d, or is started in the background (`uvicorn ... &` then `wait`).

Servers are uvicorn, gunicorn, hypercorn, daphne, granian, waitress, uwsgi, flask, fastapi,
celery, streamlit, `python ...` (any script or `-m` module), node/npm, java, dotnet, nginx,
httpd, php-fpm, puma/rails, caddy. A launcher that forwards signals to the whole process group
(`dumb-init`, `tini -g`) as the ENTRYPOINT, and a script that installs its own `trap` for TERM,
are accepted. Windows images are skipped.

## Why is this bad?
`docker stop` (and Kubernetes, and `docker compose down`) sends SIGTERM to PID 1. A shell that
is waiting for a child does not pass the signal on, so the server never starts its graceful
shutdown: open requests are cut off, workers are not drained, and after the stop timeout (10 s
by default) everything is killed with SIGKILL — every deploy is slow and drops requests. Some
shells happen to `exec` a lone last command, but that depends on the shell and breaks as soon
as the line gains a `&&`; `exec` (or the exec form) makes it certain.

## Example
```dockerfile
FROM python:3.13-slim
USER 10001
CMD alembic upgrade head && uvicorn app.main:app --host 0.0.0.0 --port 8000
```

## Use instead
```dockerfile
FROM python:3.13-slim
USER 10001
CMD alembic upgrade head && exec uvicorn app.main:app --host 0.0.0.0 --port 8000
```
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator

from rules.base import CheckContext, Rule, Severity, Violation
from rules.commands import (
    Launched,
    is_windows_stage,
    launch_instructions,
    launched_commands,
    server_name,
)

RULE = Rule(
    id="DP307",
    name="server-without-exec",
    title="The server is started by a shell that stays PID 1 (no exec)",
    severity=Severity.WARNING,
    fix="Start the server with `exec` (shell form, `sh -c`, entrypoint scripts: `exec uvicorn "
    '...`, `exec "$@"`), or use the exec form `CMD ["uvicorn", ...]`',
)

_TRAP_TERM = re.compile(r"^\s*trap\s.*\b(TERM|SIGTERM|15|EXIT|INT)\b", re.MULTILINE)


def check(ctx: CheckContext) -> Iterator[Violation]:
    df = ctx.dockerfile
    final = df.final_stage(ctx.target)
    if is_windows_stage(df, final.index) or _group_forwarding(ctx):
        return
    launched = launched_commands(df, final.index, ctx.context_texts)
    servers = [(item, name) for item in launched if (name := server_name(item.command))]
    if not servers:
        return
    item, name = servers[-1]
    if not item.in_shell or (item.execd and not item.background):
        return
    if _TRAP_TERM.search(item.script_text):
        return
    yield Violation(
        line=item.instr.line,
        end_line=item.instr.end_line,
        message=_message(item, name),
    )


def _message(item: Launched, name: str) -> str:
    how = "in the background (`&`)" if item.background else "without `exec`"
    tail = f"the shell stays PID 1 and SIGTERM from `docker stop` never reaches {name}"
    if item.script is not None:
        return f"{item.script} starts {name} {how} (line {item.line}): {tail}"
    instr = item.instr
    if instr.json_args is None:
        return f"{instr.keyword} in shell form runs {name} under /bin/sh -c {how}: {tail}"
    return f"{instr.keyword} runs {name} through `{instr.json_args[0]} -c` {how}: {tail}"


def _group_forwarding(ctx: CheckContext) -> bool:
    """dumb-init (by default) and `tini -g` signal the whole process group, shell included."""
    df = ctx.dockerfile
    entrypoint, cmd = launch_instructions(df, df.final_stage(ctx.target).index)
    first = entrypoint or cmd
    if first is None or first.json_args is None or not first.json_args:
        return False
    argv = first.json_args
    prog = posixpath.basename(argv[0])
    if prog == "dumb-init":
        return "--single-child" not in argv and "-c" not in argv
    if prog in ("tini", "tini-static"):
        return any(a == "-g" or (a.startswith("-") and "g" in a[1:]) for a in argv[1:3])
    return False
