"""## What it does
Finds a HEALTHCHECK that runs a program the final image does not have. The programs judged are
the usual probes — `curl`, `wget`, `nc`, `bash`, `python`/`python3`, `node` — and `/bin/sh`
itself, which the shell form (`HEALTHCHECK CMD curl ...`) needs. What an image has is known
for well-known base families:

- `scratch`: nothing;
- distroless and Chainguard images: only the language runtime (`python3`, `node`);
- distroless `:debug`, Chainguard `-dev`, `busybox`, Alpine and `*-alpine`: `sh` and BusyBox's
  `wget` and `nc` (and the language); no `curl`, no `bash`;
- `debian`, `ubuntu` and `*-slim` images (python, node...): `sh` and `bash` (and the language);
  no `curl`, no `wget`.

A program counts as present when the final stage or a stage it is built `FROM` installs it
(`apt-get install curl`, `apk add curl`, `microdnf install wget`...), copies it
(`COPY --from=curl /usr/bin/curl /usr/bin/curl`, or a whole `bin/` folder), or downloads it into
a `bin/` folder. Other bases (full `python:3.13`, `nginx`, private images) are not judged.

## Why is this bad?
The check fails every time with "executable file not found" (exec form) or
"curl: not found" (shell form, exit 127), so Docker marks a working container unhealthy;
orchestrators restart it in a loop, or a `depends_on: service_healthy` never starts.

## Example
```dockerfile
FROM python:3.13-slim
USER 10001
HEALTHCHECK CMD curl -f http://localhost:8000/health || exit 1
CMD ["uvicorn", "app.main:app", "--host", "0.0.0.0", "--port", "8000"]
```

## Use instead
```dockerfile
FROM python:3.13-slim
USER 10001
HEALTHCHECK CMD ["python", "-c", "import urllib.request as u; u.urlopen('http://127.0.0.1:8000/health')"]
CMD ["uvicorn", "app.main:app", "--host", "0.0.0.0", "--port", "8000"]
```
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator

from rules.base import CheckContext, Rule, Severity, Violation
from rules.commands import (
    commands_of,
    copy_targets,
    image_name,
    is_windows_stage,
    package_op,
    root_base,
    run_commands,
    shell_c_script,
)
from rules.model import Dockerfile, Instruction, Stage

RULE = Rule(
    id="DP303",
    name="healthcheck-program-missing",
    title="HEALTHCHECK runs a program the final image does not have",
    severity=Severity.ERROR,
    fix="Install the program in the final stage, or probe with what the image has (e.g. "
    '`python -c "import urllib.request ..."` on python images, BusyBox `wget` on Alpine)',
)

# The programs this rule judges; anything else (the application's own CLI) is not guessed at.
JUDGED = frozenset({"sh", "bash", "curl", "wget", "nc", "python", "python3", "node"})
_BUSYBOX = frozenset({"sh", "wget", "nc"})
_DEBIAN = frozenset({"sh", "bash"})
# Packages that provide a program.
_PROVIDERS = {
    "curl": frozenset({"curl", "curl-minimal"}),
    "wget": frozenset({"wget", "wget2", "busybox", "busybox-static"}),
    "nc": frozenset(
        {"netcat", "netcat-openbsd", "netcat-traditional", "ncat", "nmap-ncat", "busybox"}
        | {"busybox-extras", "nmap"}
    ),
    "bash": frozenset({"bash"}),
    "sh": frozenset({"bash", "dash", "busybox", "busybox-static"}),
    "python": frozenset({"python3", "python3-minimal", "python-is-python3", "python", "python3.11"})
    | frozenset({"python3.12", "python3.13", "python3.9", "python3.10"}),
    "node": frozenset({"nodejs", "node"}),
}
_PROVIDERS["python3"] = _PROVIDERS["python"]


def base_programs(ref: str) -> frozenset[str] | None:
    """Which judged programs an image has, or None when the base is not one we know."""
    repo, tag = image_name(ref)
    name = repo.rsplit("/", 1)[-1]
    lang: set[str] = set()
    if name.startswith(("python", "pypy")):
        lang = {"python", "python3"}
    elif name.startswith(("node", "nodejs")):
        lang = {"node"}
    if repo == "scratch":
        return frozenset()
    if "distroless" in repo or repo.startswith("chainguard/") or "/chainguard/" in f"/{repo}":
        debug = "debug" in tag or tag.endswith("-dev") or tag == "dev"
        if name.startswith("python"):
            lang = {"python", "python3"}
        return frozenset(lang | (_BUSYBOX if debug else set()))
    if name == "busybox":
        return _BUSYBOX
    if name == "alpine" or re.search(r"(^|[-.])alpine", tag):
        return frozenset(_BUSYBOX | lang)
    if name in ("debian", "ubuntu"):
        return _DEBIAN
    if re.search(r"(^|[-.])slim", tag) and lang:
        return frozenset(_DEBIAN | lang)
    return None


def check(ctx: CheckContext) -> Iterator[Violation]:
    df = ctx.dockerfile
    final = df.final_stage(ctx.target)
    health = df.last_in_lineage(final, "HEALTHCHECK")
    if health is None or is_windows_stage(df, final.index):
        return
    kind, _, rest = health.value.strip().partition(" ")
    if kind.upper() != "CMD":
        return
    base = root_base(df, final.index)
    has = base_programs(base)
    if has is None:
        return
    needed = _programs(health, rest.strip())
    missing = [p for p in needed if p in JUDGED and p not in has]
    missing = [p for p in dict.fromkeys(missing) if not _provided(df, final, p)]
    if not missing:
        return
    shell_form = health.json_args is None
    what = []
    for program in missing:
        if program == "sh" and shell_form:
            what.append("/bin/sh (the shell form runs the check through it)")
        else:
            what.append(program)
    yield Violation(
        line=health.line,
        end_line=health.end_line,
        message=f"HEALTHCHECK runs {', '.join(what)}, which {base} does not have and nothing in "
        "the final stage installs: the check always fails and the container is marked unhealthy",
    )


def _programs(health: Instruction, rest: str) -> list[str]:
    """Programs the check runs, in order; `sh` first for the shell form."""
    if health.json_args is not None:
        argv = list(health.json_args)
        if not argv:
            return []
        script = shell_c_script(argv)
        first = posixpath.basename(argv[0])
        if script is None:
            return [first]
        return [first, *(c.program for c in commands_of(script) if c.program)]
    if rest.startswith("["):
        return []  # invalid JSON (DP308): what runs is not what was meant
    return ["sh", *(c.program for c in commands_of(rest) if c.program)]


def _provided(df: Dockerfile, final: Stage, program: str) -> bool:
    """Installed, copied or downloaded in the final image's lineage, and not removed again."""
    providers = _PROVIDERS.get(program, frozenset({program}))
    bin_path = re.compile(rf"/bin/{re.escape(program)}\b")
    present: set[str] = set()  # provider packages installed and not removed
    other = False  # put there another way (COPY, a download into a bin/ folder)
    for instr in df.lineage_instructions(final):
        if instr.keyword == "RUN":
            if bin_path.search(instr.script):
                other = True
            for cmd in run_commands(df, instr):
                op = package_op(cmd)
                if op is None or op.manager == "pip":
                    continue
                if op.action == "install":
                    present |= providers & set(op.packages)
                elif op.action == "remove":
                    present -= set(op.packages)
        elif instr.keyword in ("COPY", "ADD"):
            for target in copy_targets(df, instr):
                base = posixpath.basename(target.path)
                if base == program or posixpath.basename(target.source.rstrip("/")) == program:
                    other = True
                if target.contents and posixpath.basename(target.path) in ("bin", "sbin"):
                    other = True  # a whole bin/ folder: it may well hold the program
    return other or bool(present)
