"""## What it does
Finds a Dockerfile whose default build target — the last stage, which a plain `docker build .`
produces — is a debug or development stage: its name says so (a word `debug`, `dbg`, `dev`,
`devel`, `development`, `test`, `tests`, `testing` or `local`, as in `runtime-debug` or `Dev`),
or it is built `FROM` another stage of the file and adds debugging tools (vim, nano, strace,
gdb, htop, tcpdump, net-tools, iputils-ping, lsof, less, iproute2, procps with any of these;
debugpy, ipdb, pdbpp or ipython with pip).

Not reported: a Dockerfile with a single stage, one whose file name marks it as a development
file (`Dockerfile.dev`, `dev.Dockerfile`, `Dockerfile.debug`), and checks with `--target`
(the stage is then chosen on purpose).

## Why is this bad?
Whoever builds the image the ordinary way (`docker build .`, a CI template, a PaaS that builds
from the repository) ships the debug image: larger, with an editor and network tools an
attacker can use, often switched back to root, without the production settings. The seed does
exactly this: its last stage `FROM runtime AS runtime-debug` adds bash, procps, net-tools and vim.

## Example
```dockerfile
FROM python:3.13-slim AS runtime
USER 10001
CMD ["python", "-m", "app"]

FROM runtime AS runtime-debug
USER root
RUN apt-get update && apt-get install -y --no-install-recommends procps net-tools vim
USER 10001
```

## Use instead
```dockerfile
FROM python:3.13-slim AS runtime
USER 10001
CMD ["python", "-m", "app"]

FROM runtime AS runtime-debug
USER root
RUN apt-get update && apt-get install -y --no-install-recommends procps net-tools vim
USER 10001

# The production image is the last stage: `docker build .` builds it;
# `docker build --target runtime-debug .` builds the debug one.
FROM runtime AS production
```
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator

from rules.base import CheckContext, Rule, Severity, Violation
from rules.commands import package_op, run_commands

RULE = Rule(
    id="DP204",
    name="debug-stage-is-default",
    title="The default build target (the last stage) is a debug or development stage",
    severity=Severity.WARNING,
    fix="Move the debug/development stage before the production stage (or add "
    "`FROM <production> AS production` at the end), and build it with `--target`",
)

_DEBUG_WORDS = frozenset(
    {"debug", "dbg", "dev", "devel", "develop", "development", "test", "tests", "testing"}
    | {"local", "devcontainer"}
)
# Tools that only a debugging session needs (OS packages and pip distributions).
_DEBUG_TOOLS = frozenset(
    {"vim", "vim-tiny", "vim-nox", "neovim", "nano", "emacs", "emacs-nox", "strace", "ltrace"}
    | {"gdb", "htop", "tcpdump", "net-tools", "iputils-ping", "telnet", "dnsutils", "bind-tools"}
    | {"lsof", "less", "iproute2", "debugpy", "ipdb", "pdbpp", "ipython", "py-spy", "memray"}
)
# Useful in production too; they count only next to a real debugging tool.
_WEAK_TOOLS = frozenset({"procps", "procps-ng", "bash", "curl", "wget"})
_DEV_FILE_WORDS = frozenset({"dev", "devel", "development", "debug", "test", "local"})


def _is_dev_file(path: str) -> bool:
    """`Dockerfile.dev`, `dev.Dockerfile`, `Dockerfile-debug`: the whole file is for development."""
    name = posixpath.basename(path.replace("\\", "/")).lower()
    parts = set()
    for part in name.split("."):
        parts.add(part)
        if part.startswith(("dockerfile-", "dockerfile_")):
            parts.add(part[len("dockerfile-") :])
    return bool(parts & _DEV_FILE_WORDS)


def check(ctx: CheckContext) -> Iterator[Violation]:
    df = ctx.dockerfile
    if ctx.target or len(df.stages) < 2:
        return
    if _is_dev_file(df.path):
        return
    last = df.stages[-1]
    words = set(re.split(r"[-_.]+", last.name or ""))
    named = sorted(words & _DEBUG_WORDS)
    tools: list[str] = []
    if last.parent is not None:
        for instr in last.instructions:
            if instr.keyword != "RUN":
                continue
            for cmd in run_commands(df, instr):
                op = package_op(cmd)
                if op is not None and op.action == "install":
                    tools.extend(p for p in op.packages if p in _DEBUG_TOOLS | _WEAK_TOOLS)
    strong = [t for t in dict.fromkeys(tools) if t in _DEBUG_TOOLS]
    if not named and not strong:
        return
    reasons = []
    if named:
        reasons.append(f"its name {last.display_name!r} marks it as {'/'.join(named)}")
    if strong:
        reasons.append(f"it adds debugging tools ({', '.join(dict.fromkeys(tools))})")
    yield Violation(
        line=last.line,
        message=f"the last stage is the default build target and {' and '.join(reasons)}: "
        "a plain `docker build .` ships the debug image",
    )
