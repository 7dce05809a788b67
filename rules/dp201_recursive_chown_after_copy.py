"""## What it does
Finds a recursive `chown` or `chmod` (`-R`, `--recursive`, `-Rf`, or `find PATH -exec chown`)
in a RUN of the final image over files that an earlier layer added: a COPY/ADD destination
(including the WORKDIR filled by `COPY . .`), or a folder an earlier RUN created (a venv, a
`pip install --target` folder, a clone, an unpacked archive). `chown -R user:group /app` inside
an `&&` chain, a heredoc script or `sh -c` counts. A path the same RUN creates first
(`mkdir -p /app/data && chown -R app /app/data`) is not reported.

`check --fix` rewrites the simple, safe case to `COPY --chown`: it adds `--chown=user:group`
to the COPY and removes the `chown` from the RUN (or the whole RUN when it did nothing else).
It does so only when the result is the same image: the chown names `user:group` literally and
one path, that path is exactly the destination of one earlier COPY with a single source in
the same stage, nothing else wrote there, the destination did not exist before the COPY
(BuildKit's `--chown` applies to the folders it creates, not to existing ones), the user and
group exist when the COPY runs (numeric, root, or created by an earlier RUN), and the chown
sits at the start or end of an `&&`/`;` chain.

## Why is this bad?
A layer stores every file whose metadata changed. `chown -R` over copied files therefore
writes all of them again into a new layer: the image carries two copies (the COPY's and the
chown's), so it grows by the size of the tree, and the step is slow. `COPY --chown` (and
`--chmod`) set the owner while copying, in one layer, for free.

## Example
```dockerfile
FROM python:3.13-slim
RUN groupadd -g 10001 app && useradd -u 10001 -g app app
COPY src /app/src
RUN chown -R app:app /app/src
USER app
```

## Use instead
```dockerfile
FROM python:3.13-slim
RUN groupadd -g 10001 app && useradd -u 10001 -g app app
COPY --chown=app:app src /app/src
USER app
```
"""

# No `from __future__ import annotations`: NamedTuple field types stay objects (rules/base.py).

import posixpath
import re
from collections.abc import Iterator
from typing import NamedTuple

from rules.base import CheckContext, Edit, Rule, Severity, Violation
from rules.commands import (
    SYSTEM_DIRS,
    Added,
    Command,
    added_by,
    apt_base,
    copy_brings,
    copy_targets,
    image_name,
    is_under,
    is_windows_stage,
    resolve_path,
    root_base,
    run_commands,
    split_commands,
    unwrap,
    word_value,
    workdir_before,
)
from rules.model import Dockerfile, Instruction
from rules.sources import glob_matches

RULE = Rule(
    id="DP201",
    name="recursive-chown-after-copy",
    title="A recursive chown/chmod over files an earlier layer added",
    severity=Severity.WARNING,
    fix="Set ownership and mode while copying: `COPY --chown=user:group` / `COPY --chmod=...`, "
    "or chown in the same RUN that creates the files",
    fixable=True,
)

_MODE_CHARS = set("rwxXstugoa+-=,01234567")
# chown options the COPY --chown rewrite can drop without changing the result.
_HARMLESS = {"--recursive", "--verbose", "--changes", "--silent", "--quiet"}
_SPEC = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*:[A-Za-z0-9_][A-Za-z0-9_.-]*$")
_SEPARATOR = re.compile(r"^[ \t]*(?:\\\n[ \t]*)*(&&|;)[ \t]*(?:\\\n[ \t]*)*$")
_TRAILING = re.compile(r"^[ \t]*(?:\\\n[ \t]*)*$")
_USER_ADDERS = ("useradd", "adduser", "groupadd", "addgroup")


# NamedTuples, not dataclasses: start-up time, see rules/base.py.
class Change(NamedTuple):
    cmd: Command  # the command as run_commands gives it (unwrapped)
    tool: str  # chown | chgrp | chmod
    spec: str | None  # owner or mode
    targets: tuple[str, ...]  # absolute; None-free (unknown words are left out)
    options: tuple[str, ...]
    literal: bool  # every target and the spec are written literally (no variables)
    via_find: bool


def check(ctx: CheckContext) -> Iterator[Violation]:
    df = ctx.dockerfile
    final = df.final_stage(ctx.target)
    if is_windows_stage(df, final.index):
        return
    added: list[Added] = []
    lineage = list(df.lineage_instructions(final))
    for instr in lineage:
        if instr.keyword == "RUN":
            yield from _check_run(ctx, instr, added, lineage)
        added.extend(added_by(df, instr, ctx.context_files))


def _check_run(
    ctx: CheckContext, instr: Instruction, added: list[Added], lineage: list[Instruction]
) -> Iterator[Violation]:
    df = ctx.dockerfile
    cwd = workdir_before(df, instr)
    commands = run_commands(df, instr)
    for k, cmd in enumerate(commands):
        change = _recursive_change(cmd, cwd, instr)
        if change is None:
            continue
        for target in change.targets:
            if _made_here(commands[:k], target, cwd):
                continue
            hits = [a for a in added if _overlaps(ctx, a, target)]
            if not hits:
                continue
            first = hits[0]
            what = first.how if first.how in ("COPY", "ADD") else f"`{first.how}`"
            shown = " ".join(cmd.argv)
            shown = shown if len(shown) <= 60 else shown[:57] + "..."
            edits = _fix(ctx, instr, cmd, change, target, hits, lineage)
            yield Violation(
                line=instr.line,
                end_line=instr.end_line,
                message=f"`{shown}` rewrites {target}, which {what} on line {first.instr.line} "
                f"added ({first.path}): every file is stored again in this layer",
                fix=_fix_text(change, hits),
                edits=edits,
            )
            break


def _fix_text(change: Change, hits: list[Added]) -> str | None:
    copies = sorted({a.instr.line for a in hits if a.copy is not None})
    if not copies or not change.spec or change.tool == "chmod":
        return None
    where = "line" if len(copies) == 1 else "lines"
    owner = f"<user>:{change.spec}" if change.tool == "chgrp" else change.spec
    return (
        f"Use `COPY --chown={owner}` on {where} {', '.join(map(str, copies))} and drop "
        f"the {change.tool}"
    )


def _recursive_change(cmd: Command, cwd: str, instr: Instruction) -> Change | None:
    prog = cmd.program
    values = [word_value(w, instr.env) for w in cmd.words[1:]]
    literal = not any(w.dynamic for w in cmd.words[1:])
    if prog in ("chown", "chgrp", "chmod"):
        options: list[str] = []
        operands: list[str | None] = []
        for value in values:
            if value is not None and value.startswith("-") and not operands and value != "-":
                if prog == "chmod" and set(value[1:]) <= _MODE_CHARS and "R" not in value:
                    operands.append(value)  # `chmod -R -x dir`: `-x` is the mode
                else:
                    options.append(value)
            else:
                operands.append(value)
        recursive = "--recursive" in options or any(
            o.startswith("-") and not o.startswith("--") and "R" in o for o in options
        )
        if not recursive:
            return None
        reference = any(o.startswith("--reference") for o in options)
        spec = None if reference else (operands[0] if operands else None)
        paths = operands if reference else operands[1:]
        targets = tuple(resolve_path(p, cwd) for p in paths if p)
        return Change(cmd, prog, spec, targets, tuple(options), literal, False)
    if prog == "find":
        args = [v or "" for v in values]
        for i, arg in enumerate(args[:-1]):
            tool = args[i + 1].rsplit("/", 1)[-1]
            if arg in ("-exec", "-execdir") and tool in ("chown", "chgrp", "chmod"):
                starts = []
                for start in args:
                    if start.startswith(("-", "(", "!")):
                        break
                    starts.append(start)
                spec = args[i + 2] if i + 2 < len(args) else None
                targets = tuple(resolve_path(s, cwd) for s in starts or ["."] if s)
                return Change(cmd, tool, spec, targets, (), False, True)
    return None


def _made_here(before: list[Command], target: str, cwd: str) -> bool:
    """The same RUN creates the path first (`mkdir -p /app/data && chown -R app /app/data`)."""
    for cmd in before:
        if cmd.program in ("mkdir", "install", "cp", "mv", "ln"):
            for word in cmd.argv[1:]:
                if not word.startswith("-") and resolve_path(word, cwd) == target:
                    return True
    return False


def _overlaps(ctx: CheckContext, item: Added, target: str) -> bool:
    if target == "/":
        return True
    # The chown covers what was added (`chown -R app /app` after `COPY src /app/src`).
    if glob_matches(target.lstrip("/"), item.path.lstrip("/")):
        return True
    # The chown reaches inside an added folder: only when it is known to hold files there.
    if item.directory and item.path != "/" and target.startswith(item.path + "/"):
        if item.copy is None:
            return item.path not in SYSTEM_DIRS
        known = copy_brings(ctx.context_files, item.copy, target)
        if known is None:
            # No context to look in: `/app/*` surely touches what `COPY . /app` brought, a
            # named subfolder (`/app/data`) may be one the Dockerfile makes itself.
            return any(ch in target[len(item.path) :] for ch in "*?[")
        return known
    return False


# --------------------------------------------------------------------------- the autofix


def _fix(
    ctx: CheckContext,
    run: Instruction,
    cmd: Command,
    change: Change,
    target: str,
    hits: list[Added],
    lineage: list[Instruction],
) -> tuple[Edit, ...]:
    """COPY --chown=user:group instead of `chown -R user:group <COPY's destination>`, when that
    gives the same image; () otherwise."""
    df = ctx.dockerfile
    if change.tool != "chown" or change.via_find or not change.literal or df.escape != "\\":
        return ()
    if not _harmless_options(change.options) or len(change.targets) != 1:
        return ()
    spec = change.spec or ""
    if not _SPEC.match(spec) or any(ch in target for ch in "*?["):
        return ()
    if len(hits) != 1 or hits[0].copy is None or hits[0].instr.keyword != "COPY":
        return ()
    copy = hits[0].instr
    if copy.stage != run.stage or copy.heredocs or len(copy_targets(df, copy)) != 1:
        return ()
    if hits[0].path != target or target in SYSTEM_DIRS:
        return ()
    existing = copy.flag("chown")
    if existing is not None and existing != spec:
        return ()
    k_copy, k_run = lineage.index(copy), lineage.index(run)
    if not _new_at_copy(df, lineage[:k_copy], target):
        return ()
    if not _untouched(df, lineage[k_copy + 1 : k_run], target):
        return ()
    if is_under(workdir_before(df, run), target):
        return ()  # relative paths in the RUN may write inside it
    if not _names_exist(df, lineage[:k_copy], spec):
        return ()
    new_run = _without_command(df, run, cmd, target)
    if new_run is None:
        return ()
    lines = list(df.lines[copy.line - 1 : copy.end_line])
    if existing is None:
        m = re.match(r"^(\s*copy[ \t]+)", lines[0], re.IGNORECASE)
        if m is None:
            return ()
        lines[0] = f"{m.group(1)}--chown={spec} {lines[0][m.end() :]}"
    between = list(df.lines[copy.end_line : run.line - 1])
    return (Edit(copy.line, run.end_line, tuple(lines + between + new_run)),)


def _harmless_options(options: tuple[str, ...]) -> bool:
    for option in options:
        if option.startswith("--"):
            if option not in _HARMLESS:
                return False
        elif not set(option[1:]) <= set("Rvcf"):
            return False
    return True


def _new_at_copy(df: Dockerfile, before: list[Instruction], target: str) -> bool:
    """Nothing made `target` (or something inside it) before the COPY, and its parent folder
    exists: then the COPY creates exactly `target`, and `--chown` applies to it too. (BuildKit
    also chowns parent folders that the COPY creates, which `chown -R target` would not.)"""
    if not _parent_exists(df, before, target):
        return False
    for instr in before:
        if instr.keyword == "WORKDIR" and instr.args:
            if is_under(resolve_path(instr.args[0], workdir_before(df, instr)), target):
                return False
        elif (instr.keyword == "RUN" and target in instr.script) or (
            instr.keyword in ("COPY", "ADD")
            and any(is_under(t.path, target) for t in copy_targets(df, instr))
        ):
            return False
    return True


# Folders every Debian, Ubuntu or Alpine based image has.
_FHS_DIRS = frozenset(
    {"/", "/bin", "/etc", "/home", "/lib", "/opt", "/root", "/run", "/sbin", "/srv", "/tmp"}
    | {"/usr", "/usr/bin", "/usr/lib", "/usr/local", "/usr/local/bin", "/usr/local/lib"}
    | {"/usr/local/share", "/usr/share", "/usr/src", "/var", "/var/cache", "/var/lib"}
    | {"/var/log", "/var/tmp"}
)


def _parent_exists(df: Dockerfile, before: list[Instruction], target: str) -> bool:
    parent = posixpath.dirname(target)
    if parent == "/":
        return True
    if before:
        stage = df.stage_of(before[0])
        base = root_base(df, stage.index) if stage is not None else ""
        repo, tag = image_name(base)
        if parent in _FHS_DIRS and (apt_base(base) or "alpine" in f"{repo}:{tag}"):
            return True
    for instr in before:
        if instr.keyword == "WORKDIR" and instr.args:
            if is_under(resolve_path(instr.args[0], workdir_before(df, instr)), parent):
                return True
        elif instr.keyword in ("COPY", "ADD"):
            if any(is_under(t.path, parent) and t.path != parent for t in copy_targets(df, instr)):
                return True
        elif instr.keyword == "RUN" and re.search(
            rf"mkdir\b[^;&|]*{re.escape(parent)}\b", instr.script
        ):
            return True
    return False


def _untouched(df: Dockerfile, between: list[Instruction], target: str) -> bool:
    """No RUN between the COPY and the chown may have written inside `target`."""
    for instr in between:
        if instr.keyword == "RUN" and (
            target in instr.script or is_under(workdir_before(df, instr), target)
        ):
            return False
    return True


def _names_exist(df: Dockerfile, before: list[Instruction], spec: str) -> bool:
    """COPY --chown resolves names in the image's /etc/passwd and /etc/group at the COPY."""
    user, group = spec.split(":", 1)
    created: set[str] = {"root"}
    for instr in before:
        if instr.keyword != "RUN":
            continue
        for cmd in run_commands(df, instr):
            if cmd.program in _USER_ADDERS:
                names = [a for a in cmd.argv[1:] if not a.startswith("-")]
                if names:
                    # useradd/adduser also make a group of the same name by default.
                    created.add(names[-1])
    return all(name.isdigit() or name in created for name in (user, group))


def _without_command(
    df: Dockerfile, run: Instruction, cmd: Command, target: str
) -> list[str] | None:
    """The RUN's lines with the chown command removed ([] when nothing else is left)."""
    if run.json_args is not None or run.heredocs:
        return None
    lines = df.lines[run.line - 1 : run.end_line]
    if any(line.lstrip().startswith("#") for line in lines[1:]):
        return None
    raw = "\n".join(lines)
    m = re.match(r"^\s*run\b", raw, re.IGNORECASE)
    if m is None:
        return None
    pos = m.end()
    while True:  # skip the RUN's flags (`--mount=...`)
        ws = re.match(r"(?:[ \t]|\\\n)*", raw[pos:])
        pos += ws.end() if ws else 0
        if not raw.startswith("--", pos):
            break
        flag = re.match(r"\S+", raw[pos:])
        pos += flag.end() if flag else 0
    script = raw[pos:]
    commands = split_commands(script)
    matches = [i for i, c in enumerate(commands) if unwrap(c).argv == cmd.argv]
    if len(matches) != 1 or target in _other_text(commands, matches[0]):
        return None
    i = matches[0]
    this = commands[i]
    starts = [w.start for w in this.words] + [w.start for _, w in this.assignments]
    start, end = min(starts), this.words[-1].end
    if len(commands) == 1:
        return [] if _TRAILING.match(script[end:]) and not script[:start].strip() else None
    # `A && chown && B` loses nothing without the chown (it does not fail); with `;` or `||`
    # around it, what runs after a failure would change, so only `&&` chains (and a leading
    # `chown ...;`) are rewritten.
    if i + 1 < len(commands):
        nxt = commands[i + 1]
        nxt_start = min([w.start for w in nxt.words] + [w.start for _, w in nxt.assignments])
        after = _SEPARATOR.match(script[end:nxt_start])
        if after is None:
            return None
        if i > 0:
            before = _SEPARATOR.match(script[commands[i - 1].words[-1].end : start])
            if before is None or before.group(1) != "&&" or after.group(1) != "&&":
                return None
        new_script = script[:start] + script[nxt_start:]
    else:
        prev_end = commands[i - 1].words[-1].end
        before = _SEPARATOR.match(script[prev_end:start])
        if before is None or before.group(1) != "&&" or not _TRAILING.match(script[end:]):
            return None
        new_script = script[:prev_end]
    return (raw[:pos] + new_script).rstrip().split("\n")


def _other_text(commands: list[Command], skip: int) -> str:
    return " ".join(" ".join(c.argv) for k, c in enumerate(commands) if k != skip)
