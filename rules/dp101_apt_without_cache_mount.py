"""## What it does
Finds a RUN that downloads Debian packages (`apt-get install`, `apt install`, `aptitude install`,
`upgrade`, `build-dep`; after `sudo`, `env`, `DEBIAN_FRONTEND=...`, inside `sh -c '...'` or a
heredoc script) without BuildKit cache mounts for both of apt's folders:
`/var/cache/apt` (the downloaded `.deb` files) and `/var/lib/apt` (the package lists).
Mounts count in any spelling (`target=`, `dst=`, `destination=`, keys in any order, a trailing
`/`, or a subfolder such as `/var/lib/apt/lists`).

A RUN that only runs `apt-get update` is not flagged: a cache mount there would hide the lists
from the later RUN that installs (the lists would stay in the cache, not in the layer). Bases that
do not use apt (Alpine, distroless, RPM-based) are skipped.

## Why is this bad?
Whenever the layer is rebuilt (a changed package list, a base image update, `--no-cache`
builds in CI with a persistent builder), apt downloads the package lists and every package again.
A cache mount keeps them between builds and never ends up in the image, so it is faster and
needs no `rm -rf /var/lib/apt/lists/*` to stay small. Debian's `docker-clean` must also be
disabled for the `.deb` cache to fill (DP102).

## Example
```dockerfile
FROM python:3.13-slim
RUN apt-get update && \\
    apt-get install -y --no-install-recommends libpq5 && \\
    rm -rf /var/lib/apt/lists/*
```

## Use instead
```dockerfile
FROM python:3.13-slim
RUN rm -f /etc/apt/apt.conf.d/docker-clean && \\
    echo 'Binary::apt::APT::Keep-Downloaded-Packages "true";' > /etc/apt/apt.conf.d/keep-cache
RUN --mount=type=cache,target=/var/cache/apt,sharing=locked \\
    --mount=type=cache,target=/var/lib/apt,sharing=locked \\
    apt-get update && \\
    apt-get install -y --no-install-recommends libpq5
```
"""

from __future__ import annotations

from collections.abc import Iterator

from rules.base import CheckContext, Edit, Rule, Severity, Violation
from rules.commands import (
    APT_CACHE,
    APT_STATE,
    Command,
    apt_base,
    apt_mount_role,
    is_apt_download,
    is_apt_update,
    package_op,
    prepend_run_flags,
    resolve_path,
    root_base,
    run_commands,
    workdir_before,
)
from rules.model import Dockerfile, Instruction
from rules.shell import expand

RULE = Rule(
    id="DP101",
    name="apt-without-cache-mount",
    title="apt install without cache mounts for /var/cache/apt and /var/lib/apt",
    severity=Severity.WARNING,
    fix="Add `--mount=type=cache,target=/var/cache/apt,sharing=locked "
    "--mount=type=cache,target=/var/lib/apt,sharing=locked` to the RUN",
    fixable=True,
)

_FOLDER = {"cache": APT_CACHE, "lists": APT_STATE}
_WHAT = {"cache": "the downloaded packages", "lists": "the package lists"}


def mount_flag(folder: str) -> str:
    return f"--mount=type=cache,target={folder},sharing=locked"


def apt_roles(instr: Instruction, cwd: str) -> set[str]:
    """The apt folders ("cache", "lists") a RUN's cache mounts hold."""
    roles = set()
    for mount in instr.mounts:
        if mount.type != "cache":
            continue
        role = apt_mount_role(resolve_path(expand(mount.target, instr.env).value, cwd))
        if role:
            roles.add(role)
    return roles


def insert_flags(df: Dockerfile, instr: Instruction, flags: list[str]) -> Edit | None:
    """An Edit putting `flags` right after the RUN keyword."""
    lines = prepend_run_flags(df.lines[instr.line - 1], flags, df.escape)
    if lines is None:
        return None
    return Edit(instr.line, instr.line, tuple(lines))


def check(ctx: CheckContext) -> Iterator[Violation]:
    df = ctx.dockerfile
    for stage in df.stages:
        if apt_base(root_base(df, stage.index)) is False:
            continue
        for instr in stage.instructions:
            if instr.keyword != "RUN":
                continue
            commands = run_commands(df, instr)
            first = next((k for k, c in enumerate(commands) if is_apt_download(c)), None)
            if first is None:
                continue
            download = commands[first]
            roles = apt_roles(instr, workdir_before(df, instr))
            missing = [r for r in ("cache", "lists") if r not in roles]
            if not missing:
                continue
            tool = download.program
            what = " and ".join(f"{_FOLDER[r]} ({_WHAT[r]})" for r in missing)
            mounts = "cache mounts" if len(missing) > 1 else "a cache mount"
            message = (
                f"`{tool} {_action(download)}` runs without {mounts} for {what}: "
                "every rebuild of this layer downloads them again"
            )
            # A new, empty /var/lib/apt mount hides lists an earlier layer fetched, so it is
            # only added when this RUN fetches the lists itself before installing.
            updates_first = any(is_apt_update(c) for c in commands[:first])
            to_add = [r for r in missing if r == "cache" or updates_first]
            edits: tuple[Edit, ...] = ()
            edit = insert_flags(df, instr, [mount_flag(_FOLDER[r]) for r in to_add])
            if to_add and edit is not None:
                edits = (edit,)
            fix = "Add `" + " ".join(mount_flag(_FOLDER[r]) for r in missing) + "` to the RUN"
            if "lists" in missing and not updates_first:
                fix = (
                    "Run `apt-get update` in this same RUN and add "
                    "`--mount=type=cache,target=/var/lib/apt,sharing=locked` (and one for "
                    "/var/cache/apt): a lists mount hides the lists an earlier layer fetched"
                )
            yield Violation(
                line=instr.line,
                end_line=instr.end_line,
                message=message,
                fix=fix,
                edits=edits,
            )


def _action(cmd: Command) -> str:
    op = package_op(cmd)
    return op.action if op is not None else ""
