"""## What it does
Finds compilers and build dependencies installed in the final image: `gcc`, `g++`, `clang`,
`gfortran`, `make`, `cmake`, `ninja`, `autoconf`/`automake`/`libtool`, `pkg-config`,
`build-essential` (Debian) or `build-base` (Alpine), Rust and Go toolchains, JDKs, and any
`-dev`/`-devel` package (headers such as `libpq-dev`, `python3-dev`, `openssl-devel`,
`linux-headers`), installed with apt-get/apt, apk, yum, dnf or microdnf in the final stage or in
a stage it is built `FROM`. Builder stages that the final image only copies from
(`COPY --from=builder`) are the right place for them and are not reported, and neither is an
install that removes the same packages again in the same RUN
(`apk add --virtual .build-deps ... && pip install ... && apk del .build-deps`).

## Why is this bad?
A compiler toolchain and headers add 150-300 MB to an image whose application only needs the
compiled result and the runtime libraries (`libpq5`, not `libpq-dev`). Every deploy pulls them,
every vulnerability scan reports them, and an attacker who gets a shell finds a compiler ready.

## Example
```dockerfile
FROM python:3.13-slim
RUN apt-get update && apt-get install -y --no-install-recommends gcc libpq-dev
COPY requirements.txt .
RUN pip install -r requirements.txt
```

## Use instead
```dockerfile
FROM python:3.13-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends gcc libpq-dev
COPY requirements.txt .
RUN pip wheel --wheel-dir /wheels -r requirements.txt

FROM python:3.13-slim
RUN apt-get update && apt-get install -y --no-install-recommends libpq5 \\
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /wheels /wheels
RUN pip install --no-index /wheels/*.whl
```
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from rules.base import CheckContext, Rule, Severity, Violation
from rules.commands import Command, PackageOp, package_op, run_commands

RULE = Rule(
    id="DP203",
    name="build-tools-in-final-stage",
    title="Compilers, build-essential or -dev packages installed in the final image",
    severity=Severity.WARNING,
    fix="Install build tools in a builder stage and copy only the result (wheels, a venv, a "
    "binary) into the final stage; install runtime libraries there instead of -dev packages",
)

# A pattern, compiled on first use by re's cache: a file whose final stage installs nothing
# never pays for it.
_BUILD_TOOLS = (
    r"^("
    r"(gcc|g\+\+|cpp|clang|clang\+\+|gfortran|llvm)(-\d+(\.\d+)*)?"
    r"|gcc-c\+\+|build-essential|build-base|make|cmake|ninja|ninja-build|meson|autoconf"
    r"|automake|libtool|pkg-config|pkgconf|pkgconfig|bison|flex|rustc|cargo|rust|golang"
    r"|golang-go|go|default-jdk|default-jdk-headless|(openjdk|java)-?\d*(-\d+)?-(jdk|devel)"
    r"(-headless)?|linux-headers|kernel-headers|musl-dev|libc-dev|libc6-dev|glibc-devel"
    r"|@development-tools|development tools"
    r")$"
)
_DEV_SUFFIX = re.compile(r"[-.](dev|devel)$")


def is_build_tool(package: str) -> bool:
    return bool(re.match(_BUILD_TOOLS, package) or _DEV_SUFFIX.search(package))


def check(ctx: CheckContext) -> Iterator[Violation]:
    df = ctx.dockerfile
    final = df.final_stage(ctx.target)
    for instr in df.lineage_instructions(final):
        if instr.keyword != "RUN":
            continue
        cmds = run_commands(df, instr)
        ops = [op for op in (package_op(c) for c in cmds) if op is not None]
        installed: list[str] = []
        for op in ops:
            if op.manager != "pip" and op.action == "install":
                installed.extend(p for p in op.packages if is_build_tool(p))
        all_removed = _marks_all_auto(cmds)
        left = [
            p for p in dict.fromkeys(installed) if not all_removed and not _removed_again(p, ops)
        ]
        if not left:
            continue
        stage = df.stage_of(instr)
        where = ""
        if stage is not None and stage.index != final.index:
            where = f" in stage {stage.label()!r}, which the final image is built FROM"
        shown = ", ".join(left[:6]) + (f" and {len(left) - 6} more" if len(left) > 6 else "")
        yield Violation(
            line=instr.line,
            end_line=instr.end_line,
            message=f"installs build tools ({shown}){where}: they ship in the final image",
        )


def _removed_again(package: str, ops: list[PackageOp]) -> bool:
    """The same RUN removes it: `apt-get purge gcc`, `apk del .build-deps` (its --virtual)."""
    for op in ops:
        if op.action != "remove":
            continue
        if package in op.packages:
            return True
        for other in ops:
            if (
                other.action == "install"
                and other.virtual
                and other.virtual.lower() in op.packages
                and package in other.packages
            ):
                return True
    return False


def _marks_all_auto(cmds: list[Command]) -> bool:
    """The official images' `apt-mark auto '.*'; apt-mark manual $saved; apt-get purge
    --auto-remove`: everything the RUN installed is removed at its end."""
    marked = False
    for cmd in cmds:
        if cmd.program == "apt-mark" and cmd.argv[1:2] == ("auto",):
            marked = True
        op = package_op(cmd)
        autoremove = op is not None and (
            op.action == "autoremove"
            or (op.action == "remove" and bool({"--auto-remove", "--autoremove"} & set(op.options)))
        )
        if marked and op is not None and op.manager == "apt" and autoremove:
            return True
    return False
