"""## What it does
Compares the port a HEALTHCHECK probes with the port the server listens on, and reports a
mismatch when there is positive evidence of a different port. The probe's port comes from a
local URL (`http://localhost:8080/health`, `http://127.0.0.1/` is port 80), `nc -z localhost
8000`, Python's `socket.create_connection(("127.0.0.1", 8000))` /
`HTTPConnection("localhost", 8000)`, or a `--port`/`-addr=:PORT` option. Variables in a shell-form
check are expanded with the image's ENV, as the container's shell would.

The listening port comes, in this order of preference, from:
1. the server command that ENTRYPOINT/CMD start (directly, through `sh -c`, or in an entrypoint
   script copied from the context): uvicorn `--port` (default 8000, or `UVICORN_PORT`),
   gunicorn/hypercorn `-b/--bind host:port`, daphne `-p`, granian/fastapi `--port`,
   `flask run --port` (default 5000, or `FLASK_RUN_PORT`), `manage.py runserver [addr:]port`
   (default 8000), `python -m http.server [port]`, `waitress-serve --port/--listen`,
   `streamlit run --server.port` (default 8501); variables resolved from ENV and from the
   script's own defaults (`: "${PORT:=8000}"`);
2. EXPOSE in the final stage and the stages it is built FROM;
3. `ENV PORT`.

Nothing is reported when none of these is known (a server configured by a file, a probe that
is a script).

## Why is this bad?
The check can never succeed: the container goes unhealthy a minute after every start,
orchestrators restart it in a loop or never route to it, and `depends_on: service_healthy`
waits forever, while the service itself works. It usually happens when the port is changed in
one place (CMD, an ENV, the entrypoint) and not in the HEALTHCHECK.

## Example
```dockerfile
FROM python:3.13-slim
EXPOSE 8080
HEALTHCHECK CMD python -c "import urllib.request as u; u.urlopen('http://localhost:8000/health')"
CMD ["uvicorn", "app.main:app", "--host", "0.0.0.0", "--port", "8080"]
```

## Use instead
```dockerfile
FROM python:3.13-slim
ENV PORT=8080
EXPOSE 8080
HEALTHCHECK CMD python -c "import urllib.request as u; u.urlopen('http://localhost:$PORT/health')"
CMD ["sh", "-c", "exec uvicorn app.main:app --host 0.0.0.0 --port \\"$PORT\\""]
```
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from rules.base import CheckContext, Rule, Severity, Violation
from rules.commands import (
    Launched,
    launched_commands,
    python_invocation,
    runtime_env,
    server_name,
    shell_c_script,
)
from rules.model import Dockerfile, Instruction, Stage
from rules.shell import expand

RULE = Rule(
    id="DP304",
    name="healthcheck-port-mismatch",
    title="HEALTHCHECK probes a port the server does not listen on",
    severity=Severity.WARNING,
    fix="Probe the port the server listens on; set it once (`ENV PORT=8000`) and use the "
    "variable in both the server command and the HEALTHCHECK",
)

_LOCAL = r"(?:localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1?\]|::1)"
_PROBES = (
    # `http://localhost:${PORT}/` with PORT unknown has a port, just not one we know.
    re.compile(rf"\b(https?)://(?:[^/\s@'\"]*@)?{_LOCAL}(?::(\d+)(?![\w.])|(?![:\w.-]))"),
    re.compile(rf"\bnc\s+(?:-\w+\s+)*{_LOCAL}\s+(\d+)\b"),
    re.compile(
        rf"(?:connect(?:_ex)?|create_connection)\(\s*\(\s*['\"]{_LOCAL}['\"]\s*,\s*(\d+)\s*\)"
    ),
    re.compile(rf"HTTPS?Connection\(\s*['\"]{_LOCAL}['\"]\s*,\s*(?:port\s*=\s*)?(\d+)"),
    re.compile(r"(?:^|\s)--port[= ](\d+)\b"),
    re.compile(rf"(?:^|\s)-addr(?:ess)?[= ]{_LOCAL}?:(\d+)\b"),
)


def check(ctx: CheckContext) -> Iterator[Violation]:
    df = ctx.dockerfile
    final = df.final_stage(ctx.target)
    health = df.last_in_lineage(final, "HEALTHCHECK")
    if health is None:
        return
    env = runtime_env(df, final.index)
    probed = probe_ports(health, env)
    if not probed:
        return
    listening, source = _listening(ctx, df, final, env)
    if not listening:
        return
    wrong = [p for p in probed if p not in listening]
    if not wrong:
        return
    ports = ", ".join(str(p) for p in sorted(listening))
    yield Violation(
        line=health.line,
        end_line=health.end_line,
        message=f"HEALTHCHECK probes port {', '.join(str(p) for p in wrong)}, but {source} "
        f"{'port' if len(listening) == 1 else 'ports'} {ports}: the check can never succeed",
    )


def probe_ports(health: Instruction, env: dict[str, str]) -> list[int]:
    kind, _, rest = health.value.strip().partition(" ")
    if kind.upper() != "CMD":
        return []
    if health.json_args is not None:
        script = shell_c_script(health.json_args)
        text = (
            expand(script, env, remove_quotes=False).value if script else " ".join(health.json_args)
        )
    else:
        text = expand(rest, env, remove_quotes=False).value
    ports: list[int] = []
    for pattern in _PROBES:
        for m in pattern.finditer(text):
            groups = m.groups()
            if len(groups) == 2:  # a URL: the scheme's port when none is written
                scheme, port = groups
                ports.append(int(port) if port else (443 if scheme == "https" else 80))
            else:
                ports.append(int(groups[0]))
    return list(dict.fromkeys(ports))


def _listening(
    ctx: CheckContext, df: Dockerfile, final: Stage, env: dict[str, str]
) -> tuple[set[int], str]:
    ports: set[int] = set()
    names: list[str] = []
    for item in launched_commands(df, final.index, ctx.context_texts):
        name = server_name(item.command)
        if name is None:
            continue
        scope = _script_defaults(item.script_text, env) if item.script_text else dict(env)
        found = server_ports(item, name, scope)
        if found:
            ports |= found
            names.append(name)
    if ports:
        return ports, f"{' and '.join(dict.fromkeys(names))} listens on"
    exposed: set[int] = set()
    for instr in df.lineage_instructions(final):
        if instr.keyword == "EXPOSE":
            for arg in instr.args:
                exposed |= _expose_ports(arg)
    if exposed:
        return exposed, "the image EXPOSEs"
    port = env.get("PORT", "")
    if port.isdigit():
        return {int(port)}, "ENV PORT sets"
    return set(), ""


def _expose_ports(arg: str) -> set[int]:
    spec = arg.split("/", 1)[0]
    low, _, high = spec.partition("-")
    if not low.isdigit() or (high and not high.isdigit()):
        return set()
    if high and int(high) - int(low) < 1000:
        return set(range(int(low), int(high) + 1))
    return {int(low)}


def _script_defaults(text: str, env: dict[str, str]) -> dict[str, str]:
    """Defaults an entrypoint script gives itself: `: "${PORT:=8000}"`, `PORT=${PORT:-8000}`."""
    scope = dict(env)
    for m in re.finditer(r"\$\{(\w+):?=([^}]*)\}", text):
        if not scope.get(m.group(1)):
            scope[m.group(1)] = expand(m.group(2), scope).value
    for m in re.finditer(r"^\s*(?:export\s+)?(\w+)=(\S+)\s*$", text, re.MULTILINE):
        scope[m.group(1)] = expand(m.group(2), scope).value
    return scope


def _values(args: list[str], *names: str) -> list[str]:
    """Values of options: `--port 8000`, `--port=8000`, `-p 8000`, `-p8000`."""
    out = []
    for i, arg in enumerate(args):
        for name in names:
            if arg == name and i + 1 < len(args):
                out.append(args[i + 1])
            elif name.startswith("--") and arg.startswith(name + "="):
                out.append(arg[len(name) + 1 :])
            elif len(name) == 2 and arg.startswith(name) and len(arg) > 2 and arg[2] != "-":
                out.append(arg[2:].lstrip("="))
    return out


def _port(value: str) -> int | None:
    value = value.strip()
    if value.startswith(("unix:", "fd://")):
        return None
    tail = value.rsplit(":", 1)[-1] if ":" in value else value
    return int(tail) if tail.isdigit() else None


def server_ports(item: Launched, name: str, env: dict[str, str]) -> set[int]:
    """Ports a server command listens on; empty when they cannot be known."""
    words = []
    for word in item.command.words:
        text = word.text
        if word.dynamic:
            if not item.in_shell:
                return set()  # exec form: `$PORT` reaches the server as written
            text = expand(word.raw, env).value
            if not text:
                return set()
        words.append(text)
    call = python_invocation(item.command)
    args = words[1:]
    if call is not None and call.kind in ("module", "script"):
        args = words[len(words) - len(call.args) :]
    if name == "uvicorn":
        if _values(args, "--uds", "--fd"):
            return set()
        given = _values(args, "--port")
        default = env.get("UVICORN_PORT", "8000")
        return {p for p in (_port(v) for v in given or [default]) if p is not None}
    if name in ("gunicorn", "hypercorn"):
        binds = _values(args, "-b", "--bind")
        if name == "gunicorn":
            binds += _values(env.get("GUNICORN_CMD_ARGS", "").split(), "-b", "--bind")
        ports = set()
        for bind in binds:
            if bind.startswith(("unix:", "fd://")):
                continue
            ports.add(_port(bind) if ":" in bind else 8000)
        return {p for p in ports if p is not None}
    if name == "daphne":
        if _values(args, "-u", "--unix-socket", "--fd"):
            return set()
        endpoints = _values(args, "-e", "--endpoint")
        found = {int(m.group(1)) for e in endpoints for m in [re.search(r"port=(\d+)", e)] if m}
        given = _values(args, "-p", "--port")
        return found | {p for p in (_port(v) for v in given or ([] if found else ["8000"])) if p}
    if name in ("granian", "fastapi"):
        if _values(args, "--uds"):
            return set()
        return {p for p in (_port(v) for v in _values(args, "--port") or ["8000"]) if p}
    if name == "flask":
        if "run" not in args:
            return set()
        default = env.get("FLASK_RUN_PORT", "5000")
        return {p for p in (_port(v) for v in _values(args, "-p", "--port") or [default]) if p}
    if name == "http.server":
        rest = [a for a in args if not a.startswith("-")]
        skip = set(_values(args, "-b", "--bind", "-d", "--directory", "-p", "--protocol"))
        positional = [a for a in rest if a not in skip and a.isdigit()]
        return {int(positional[0]) if positional else 8000}
    if name == "waitress-serve":
        listen = _values(args, "--listen")
        ports = {p for p in (_port(v) for v in listen) if p}
        given = _values(args, "--port")
        return ports | {p for p in (_port(v) for v in given or ([] if ports else ["8080"])) if p}
    if name == "streamlit":
        return {p for p in (_port(v) for v in _values(args, "--server.port") or ["8501"]) if p}
    if name == "python" and call is not None and call.target.endswith("manage.py"):
        if "runserver" not in args:
            return set()
        after = args[args.index("runserver") + 1 :]
        addr = next((a for a in after if not a.startswith("-")), "8000")
        port = _port(addr)
        return {port} if port else set()
    return set()
