"""## What it does
Finds apt cache mounts (`RUN --mount=type=cache,target=/var/cache/apt` or `/var/lib/apt`) that
cannot do their job, and says which of these it is:

- **docker-clean is still active.** Official Debian and Ubuntu images, and every image built on
  them (`python:*`, `node:*` except Alpine, `buildpack-deps`, `golang`, ...), ship
  `/etc/apt/apt.conf.d/docker-clean`. Its `DPkg::Post-Invoke` hook deletes every downloaded
  `.deb` after each apt run, so the `/var/cache/apt` mount stays empty. It counts as disabled
  when an earlier RUN of the stage's lineage (`FROM <stage>` included), or this RUN before its
  first apt command, removes, empties, moves or edits the file. Writing
  `Keep-Downloaded-Packages "true"` alone does not count: that setting only stops the `apt`
  program's own clean-up, and docker-clean's hook still runs
  (debuerreotype/docker-debian-artifacts#126).
  Bases that are not known to be Debian-family are not judged.
- **`sharing=locked` is missing.** BuildKit runs independent stages in parallel, and a cache mount
  is shared by default: two apt processes then use one cache at once, and apt fails on its lock
  or leaves a half-written cache. `sharing=private` is accepted too.
- **The cache is emptied under the mount.** `rm -rf /var/lib/apt/lists/*` or `apt-get clean` in a
  RUN where those folders are cache mounts deletes the cache itself (not anything in the
  layer: mounts never reach it), so the next build downloads everything again.

## Why is this bad?
The cache mount costs a mount and gives nothing: every build still downloads the lists and all
packages (the seed's claim "apt 50 s -> 15 s" does not happen with docker-clean active), and
parallel stages can fail at random on apt's lock.

The fix removes docker-clean before the first apt download of the stage's lineage (in the stage
it is built from, when that one installs packages too), so any apt RUN after it keeps its `.deb`
files in its layer unless it also uses the cache mount; DP101 adds those mounts.

## Example
```dockerfile
FROM debian:12
RUN --mount=type=cache,target=/var/cache/apt \\
    --mount=type=cache,target=/var/lib/apt \\
    apt-get update && \\
    apt-get install -y --no-install-recommends curl && \\
    rm -rf /var/lib/apt/lists/*
```

## Use instead
```dockerfile
FROM debian:12
RUN rm -f /etc/apt/apt.conf.d/docker-clean && \\
    echo 'Binary::apt::APT::Keep-Downloaded-Packages "true";' > /etc/apt/apt.conf.d/keep-cache
RUN --mount=type=cache,target=/var/cache/apt,sharing=locked \\
    --mount=type=cache,target=/var/lib/apt,sharing=locked \\
    apt-get update && \\
    apt-get install -y --no-install-recommends curl
```
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from fnmatch import fnmatchcase

from rules.base import CheckContext, Edit, Rule, Severity, Violation
from rules.commands import (
    Command,
    apt_base,
    apt_mount_role,
    is_apt_download,
    is_apt_update,
    is_under,
    package_op,
    resolve_path,
    root_base,
    run_commands,
    run_scripts,
    workdir_before,
)
from rules.model import Dockerfile, Instruction, Mount, Stage, parse_mount
from rules.shell import expand

RULE = Rule(
    id="DP102",
    name="apt-cache-mount-ineffective",
    title="apt cache mount that cannot work (docker-clean, no sharing=locked, cache deleted)",
    severity=Severity.WARNING,
    fix="Remove /etc/apt/apt.conf.d/docker-clean in an earlier RUN, add `sharing=locked` to the "
    "apt cache mounts, and do not delete the mounted folders",
    fixable=True,
)

DOCKER_CLEAN = "/etc/apt/apt.conf.d/docker-clean"
DISABLE_LINE = (
    "RUN rm -f /etc/apt/apt.conf.d/docker-clean && "
    "echo 'Binary::apt::APT::Keep-Downloaded-Packages \"true\";' > "
    "/etc/apt/apt.conf.d/keep-cache"
)
_EDITORS = frozenset({"rm", "unlink", "mv", "truncate", "shred"})
_TRUNCATE = re.compile(r">\|?\s*['\"]?/etc/apt/apt\.conf\.d/docker-clean\b")


def _names_docker_clean(word: str, cwd: str) -> bool:
    if word.startswith("-"):
        return False
    path = resolve_path(word, cwd)
    if path == DOCKER_CLEAN or fnmatchcase(DOCKER_CLEAN, path):
        return True
    # `rm -rf /etc/apt/apt.conf.d` removes it too.
    return path != "/" and is_under(DOCKER_CLEAN, path.rstrip("/"))


def disables_docker_clean(cmd: Command, cwd: str) -> bool:
    prog = cmd.program
    args = cmd.argv[1:]
    if prog in _EDITORS:
        return any(_names_docker_clean(a, cwd) for a in args)
    if prog == "sed" and any(a.startswith("-i") or a.startswith("--in-place") for a in args):
        return any(_names_docker_clean(a, cwd) for a in args)
    if prog == "ln" and any(a.startswith("-") and "f" in a for a in args):
        return bool(args) and _names_docker_clean(args[-1], cwd)
    return False


def _disabled_in(df: Dockerfile, instr: Instruction, commands: list[Command]) -> bool:
    cwd = workdir_before(df, instr)
    if any(disables_docker_clean(c, cwd) for c in commands):
        return True
    # Redirections are not words: `: > /etc/apt/apt.conf.d/docker-clean` empties it.
    return any(_TRUNCATE.search(s) for s in run_scripts(df, instr))


def docker_clean_disabled_before(df: Dockerfile, instr: Instruction) -> bool:
    """Whether a RUN before `instr` in its stage lineage disabled docker-clean."""
    stage = df.stage_of(instr)
    if stage is None:
        return False
    for i in df.lineage_instructions(stage):
        if i is instr:
            return False
        if i.keyword == "RUN" and _disabled_in(df, i, run_commands(df, i)):
            return True
    return False


_KEEP_TRUE = re.compile(r"Keep-Downloaded-Packages[\"'\s=]+(true|yes|on|1)\b", re.I)


def _keeps_downloads(
    df: Dockerfile, stage: Stage, instr: Instruction, commands: list[Command]
) -> bool:
    """Whether apt(8) is told to keep downloaded packages before or in this RUN (apt >= 1.2)."""
    for i in df.lineage_instructions(stage):
        if i.keyword == "RUN" and any(_KEEP_TRUE.search(s) for s in run_scripts(df, i)):
            return True
        if i is instr:
            break
    return any(_KEEP_TRUE.search(" ".join(c.argv)) for c in commands)


def _mount_roles(instr: Instruction, cwd: str) -> list[tuple[Mount, str, str]]:
    """(mount, role, target) of the RUN's apt cache mounts."""
    out = []
    for mount in instr.mounts:
        if mount.type != "cache":
            continue
        target = resolve_path(expand(mount.target, instr.env).value, cwd)
        role = apt_mount_role(target)
        if role:
            out.append((mount, role, target))
    return out


def _deleted_path(word: str, cwd: str) -> str | None:
    """The folder an `rm` argument deletes in (its part before the first glob)."""
    if word.startswith("-"):
        return None
    cut = len(word)
    for ch in "*?[":
        k = word.find(ch)
        if k >= 0:
            cut = min(cut, k)
    prefix = word[:cut]
    if cut < len(word) and not prefix.endswith("/"):
        prefix = posixpath.dirname(prefix)
    return resolve_path(prefix or ".", cwd)


def _emptied(commands: list[Command], mounts: list[tuple[Mount, str, str]], cwd: str) -> list[str]:
    """Commands that delete what a cache mount holds, as the user wrote them."""
    out = []
    for cmd in commands:
        if cmd.program == "rm":
            paths = [p for p in (_deleted_path(w, cwd) for w in cmd.argv[1:]) if p]
            if any(_overlaps(p, t) for p in paths for _, _, t in mounts):
                out.append(f"`rm {' '.join(cmd.argv[1:])}`")
            continue
        op = package_op(cmd)
        cache_mounted = any(role == "cache" for _, role, _ in mounts)
        if op is not None and op.manager == "apt" and "clean" in cmd.argv[1:] and cache_mounted:
            out.append(f"`{cmd.program} clean`")
    return out


def _overlaps(deleted: str, target: str) -> bool:
    return is_under(deleted, target) or (deleted != "/" and is_under(target, deleted))


def _sharing_edits(df: Dockerfile, instr: Instruction, targets: set[str]) -> list[Edit]:
    """Edits adding `sharing=locked` to the written `--mount=` flags whose target is in
    `targets` (flags sit on the RUN's lines before any heredoc body)."""
    last = instr.heredocs[0].line - 1 if instr.heredocs else instr.end_line
    cwd = workdir_before(df, instr)
    edits = []
    for number in range(instr.line, last + 1):
        text = df.lines[number - 1]
        changed = text
        for m in reversed(list(re.finditer(r"--mount=(\S+)", text))):
            spec = m.group(1)
            quote = spec[-1] if spec[-1] in "\"'" else ""
            mount = parse_mount(spec.strip("\"'"))
            target = resolve_path(expand(mount.target, instr.env).value, cwd)
            if mount.type != "cache" or target not in targets:
                continue
            body = spec[: len(spec) - len(quote)] if quote else spec
            if re.search(r"(^|,)sharing=shared\b", body):
                body = re.sub(r"(^|,)sharing=shared\b", r"\1sharing=locked", body)
            else:
                body += ",sharing=locked"
            changed = changed[: m.start(1)] + body + quote + changed[m.end(1) :]
        if changed != text:
            edits.append(Edit(number, number, (changed,)))
    return edits


def _first_download(df: Dockerfile, stage: Stage, instr: Instruction) -> Instruction:
    """The lineage's first RUN that downloads packages: docker-clean goes before it, so that one
    line serves every apt RUN after it, in this stage and the stages it is built from (DP101
    gives the unmounted ones their mounts)."""
    for i in df.lineage_instructions(stage):
        if i is instr:
            break
        if i.keyword == "RUN" and any(is_apt_download(c) for c in run_commands(df, i)):
            return i
    return instr


def check(ctx: CheckContext) -> Iterator[Violation]:
    df = ctx.dockerfile
    # Stages where an edit already disables docker-clean: stages built FROM them need no other.
    cleaned: set[int] = set()
    for stage in df.stages:
        base = root_base(df, stage.index)
        family = apt_base(base)
        if family is False:
            continue
        for instr in stage.instructions:
            if instr.keyword != "RUN" or not instr.mounts:
                continue
            cwd = workdir_before(df, instr)
            mounts = _mount_roles(instr, cwd)
            if not mounts:
                continue
            commands = run_commands(df, instr)
            apt_at = [k for k, c in enumerate(commands) if is_apt_download(c) or is_apt_update(c)]
            if not apt_at:
                continue
            problems: list[str] = []
            fixes: list[str] = []
            edits: list[Edit] = []

            downloads = any(is_apt_download(c) for c in commands)
            if (
                family
                and downloads
                and any(role == "cache" for _, role, _ in mounts)
                and not docker_clean_disabled_before(df, instr)
                and not _disabled_in(df, instr, commands[: apt_at[0]])
            ):
                keep_only = any(
                    "Keep-Downloaded-Packages" in s
                    for i in df.lineage_instructions(stage)
                    if i.keyword == "RUN" and i.line <= instr.line
                    for s in run_scripts(df, i)
                )
                problems.append(
                    f"docker-clean is still active ({base} ships {DOCKER_CLEAN}, whose "
                    "Post-Invoke hook deletes every downloaded .deb), so the /var/cache/apt "
                    "mount stays empty"
                    + (
                        "; Keep-Downloaded-Packages alone does not stop that hook"
                        if keep_only
                        else ""
                    )
                )
                fixes.append(f"run `rm -f {DOCKER_CLEAN}` in an earlier RUN of this stage")
                if not any(s.index in cleaned for s in df.lineage(stage)):
                    at = _first_download(df, stage, instr)
                    indent = re.match(r"\s*", df.lines[at.line - 1]).group(0)
                    edits.append(Edit(at.line, at.line - 1, (indent + DISABLE_LINE,)))
                    cleaned.add(at.stage)

            if (
                any(role == "cache" for _, role, _ in mounts)
                and any(c.program == "apt" and is_apt_download(c) for c in commands)
                and not _keeps_downloads(df, stage, instr, commands)
            ):
                problems.append(
                    "`apt` (unlike apt-get) deletes the .debs it downloaded after installing "
                    'unless Binary::apt::APT::Keep-Downloaded-Packages is "true", so the '
                    "/var/cache/apt mount stays empty"
                )
                fixes.append(
                    'write `Binary::apt::APT::Keep-Downloaded-Packages "true";` to a file in '
                    "/etc/apt/apt.conf.d/ in an earlier RUN, or use apt-get"
                )

            unlocked = sorted(
                {t for m, _, t in mounts if (m.get("sharing") or "shared") == "shared"}
            )
            if unlocked:
                many = len(unlocked) > 1
                problems.append(
                    f"the cache {'mounts' if many else 'mount'} at {' and '.join(unlocked)} "
                    f"{'have' if many else 'has'} no sharing=locked: parallel stages and builds "
                    "then share the cache and apt fails on its lock"
                )
                fixes.append("add `sharing=locked` to the apt cache mounts")
                edits.extend(_sharing_edits(df, instr, set(unlocked)))

            emptied = _emptied(commands, mounts, cwd)
            if emptied:
                problems.append(
                    f"{' and '.join(dict.fromkeys(emptied))} deletes the cache held by the "
                    "mount (the layer never contained it)"
                )
                fixes.append("drop the clean-up of the mounted folders")

            if problems:
                yield Violation(
                    line=instr.line,
                    end_line=instr.end_line,
                    message="apt cache mount cannot work: " + "; ".join(problems),
                    fix=_sentence("; ".join(fixes)),
                    edits=tuple(edits),
                )


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]
