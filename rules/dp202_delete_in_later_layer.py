"""## What it does
Finds files deleted in a later layer than the one that added them, in the final image (the
final stage and the stages it is built `FROM`). A deletion is `rm`, `find ... -delete` or
`find ... -exec rm`, `pip cache purge`, `apt-get clean`, `yum clean`/`dnf clean`, and removing
packages (`apt-get purge`, `apk del` of a package or `--virtual` group, `pip uninstall`). It is
reported when what it deletes was added by an earlier instruction whose additions can be known:

- a COPY/ADD destination (`COPY src ./src`, then `RUN find src -name '*.py' -delete`; the build
  context is consulted, when there is one, to see that the copied files match);
- a download (`curl -o`, `curl -O`, `wget`, `wget -O`), a `git clone`, a venv, a `pip install
  --target/--prefix` folder, an archive unpacked with `tar -C`/`unzip -d`;
- package-manager state: the apt lists and cache after `apt-get update`/`install`
  (`rm -rf /var/lib/apt/lists/*` in a later RUN), `/var/cache/apk`, the yum/dnf cache, pip's
  cache (`~/.cache/pip`) after a `pip install` without `--no-cache-dir`;
- packages installed by an earlier RUN.

Cleanup in the same RUN is the right way and is not reported; neither is deleting under a
`--mount` (cache, tmpfs, bind) of either RUN, since those files are never in a layer, nor
anything in builder stages the final image only copies from.

## Why is this bad?
Each instruction adds a layer on top of the previous ones; deleting a file in a later layer
only hides it. The bytes are still in the earlier layer, so the image is exactly as big as
before (plus a little bookkeeping), every pull still downloads them, and a secret or a source
file that was meant to be removed is still readable from the image.

## Example
```dockerfile
FROM python:3.13-slim
RUN apt-get update && apt-get install -y --no-install-recommends libpq5
RUN curl -fsSLo /tmp/tool.tar.gz https://example.com/tool.tar.gz \\
    && tar -xzf /tmp/tool.tar.gz -C /usr/local/bin
RUN rm -rf /var/lib/apt/lists/* /tmp/tool.tar.gz
COPY src ./src
RUN python -m compileall -b src && find src -name '*.py' -delete
```

## Use instead
```dockerfile
FROM python:3.13-slim
RUN apt-get update && apt-get install -y --no-install-recommends libpq5 \\
    && rm -rf /var/lib/apt/lists/*
RUN curl -fsSLo /tmp/tool.tar.gz https://example.com/tool.tar.gz \\
    && tar -xzf /tmp/tool.tar.gz -C /usr/local/bin && rm /tmp/tool.tar.gz
# Compile in a builder stage and copy only the .pyc files into the final one.
COPY --from=build /app/src ./src
```
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from fnmatch import fnmatchcase

from rules.base import CheckContext, Rule, Severity, Violation
from rules.commands import (
    SYSTEM_DIRS,
    Added,
    Command,
    Deletion,
    added_by,
    copy_brings,
    deletions_of,
    is_under,
    is_windows_stage,
    package_op,
    run_commands,
    run_mount_targets,
    user_before,
    workdir_before,
)
from rules.model import Instruction
from rules.sources import glob_matches

RULE = Rule(
    id="DP202",
    name="delete-in-later-layer",
    title="Files deleted in a later layer than the one that added them",
    severity=Severity.WARNING,
    fix="Delete files in the same RUN that creates them, use a cache or tmpfs mount for "
    "temporary files, or build in a separate stage and COPY only what the image needs",
)


def check(ctx: CheckContext) -> Iterator[Violation]:
    df = ctx.dockerfile
    final = df.final_stage(ctx.target)
    if is_windows_stage(df, final.index):
        return
    added: list[Added] = []
    installed: dict[tuple[str, str], Instruction] = {}
    for instr in df.lineage_instructions(final):
        if instr.keyword == "RUN":
            hits = list(_hits(ctx, instr, added, installed))
            if hits:
                shown = "; ".join(hits[:2]) + (
                    f"; and {len(hits) - 2} more" if len(hits) > 2 else ""
                )
                yield Violation(
                    line=instr.line,
                    end_line=instr.end_line,
                    message=f"{shown}: the files stay in that earlier layer, so the image does "
                    "not get smaller",
                )
            for cmd in run_commands(df, instr):
                op = package_op(cmd)
                if op is not None and op.action == "install":
                    for name in op.packages:
                        installed[(op.manager, name)] = instr
                    if op.virtual:
                        installed[(op.manager, op.virtual.lower())] = instr
        added.extend(added_by(df, instr, ctx.context_files))


def _hits(
    ctx: CheckContext,
    instr: Instruction,
    added: list[Added],
    installed: dict[tuple[str, str], Instruction],
) -> Iterator[str]:
    df = ctx.dockerfile
    mounts = run_mount_targets(df, instr)
    cwd = workdir_before(df, instr)
    user, _ = user_before(df, instr)
    for cmd in run_commands(df, instr):
        op = package_op(cmd)
        if op is not None and op.action == "remove":
            earlier = [p for p in op.packages if (op.manager, p) in installed]
            if earlier:
                lines = sorted({installed[(op.manager, p)].line for p in earlier})
                yield (
                    f"`{_shown(cmd)}` removes {', '.join(earlier)}, installed by the RUN on "
                    f"line {', '.join(map(str, lines))}"
                )
            continue
        for deletion in deletions_of(cmd, cwd, instr.env, user):
            if any(is_under(deletion.path, m) for m in mounts):
                continue
            for item in added:
                if _overlap(ctx, item, deletion):
                    what = item.how if item.how in ("COPY", "ADD") else f"`{item.how}`"
                    target = deletion.path
                    if deletion.names:
                        target = f"{' and '.join(deletion.names)} under {deletion.path}"
                    yield (
                        f"`{deletion.command}` deletes {target}, which {what} on line "
                        f"{item.instr.line} added ({item.path})"
                    )
                    break


def _shown(cmd: Command) -> str:
    text = " ".join(cmd.argv)
    return text if len(text) <= 60 else text[:57] + "..."


def _overlap(ctx: CheckContext, item: Added, deletion: Deletion) -> bool:
    added_path = item.path
    deleted = deletion.path
    # The deletion names what was added, or a folder above it (`rm -rf /tmp/*`).
    if glob_matches(deleted.lstrip("/"), added_path.lstrip("/")):
        if not deletion.names:
            return True
        if item.copy is not None:
            return _context_has(ctx, item, added_path, deletion.names)
        # `find -name` over a downloaded file: its name must match; a folder's contents are
        # not known, so a folder counts.
        base = posixpath.basename(added_path)
        return item.directory or any(fnmatchcase(base, n) for n in deletion.names)
    # The deletion reaches inside a folder that was added (`rm -rf /app/tests` after COPY . .).
    if item.directory and added_path != "/" and (deleted.startswith(added_path + "/")):
        if item.copy is None:
            return added_path not in SYSTEM_DIRS
        return _context_has(ctx, item, deleted, deletion.names)
    return False


def _context_has(ctx: CheckContext, item: Added, deleted: str, names: tuple[str, ...]) -> bool:
    """Whether the COPY brought in files that the deletion removes; True when the build context
    cannot tell (no context, --from, a glob source, a source missing from the context)."""
    if item.copy is None:
        return True
    return copy_brings(ctx.context_files, item.copy, deleted, names) is not False
