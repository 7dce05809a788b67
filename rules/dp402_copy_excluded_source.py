"""A COPY/ADD source that `.dockerignore` excludes from the build context.

## What it does

Reports a COPY or ADD whose source comes from the build context (not `--from`, not a heredoc,
not a URL) and never reaches it because `.dockerignore` excludes it:

- a file or directory that is excluded: the build fails with "not found";
- a directory whose every file is excluded: nothing of it is copied;
- a glob (`dist/*.whl`) that matches files in the context folder, all of them excluded: the
  build fails, there is nothing to copy.

A glob or directory that loses only some of its files is normal use of `.dockerignore` and is
not reported. Exceptions (`!pattern`) are honoured the way BuildKit honours them, also inside
excluded directories (`logs/` then `!logs/keep.log` sends `logs/keep.log`).

When the context folder is available, the files BuildKit would send are compared with the
files that are there. Without it (a Dockerfile read from stdin), or for a path that is not in
the folder, a literal source is decided from the patterns alone.

The message names the `.dockerignore` line that excludes the source, and an exception that would
have kept it but is broken by an inline comment (DP401).

## Why is this bad?

Excluded files are not in the context at all, so the build stops at this COPY with
`"/requirements-core.txt": not found` - often only in CI, where the context is clean. The
usual cause is a broad pattern (`*.txt`, `*`) whose exception is missing, misspelled, or
written with a comment after it.

## Example

```dockerfile
# .dockerignore: *.txt, then "!requirements*.txt  # keep" (the comment breaks the exception)
FROM python:3.13-slim
COPY requirements-core.txt ./
RUN pip install -r requirements-core.txt
```

## Use instead

```dockerfile
# .dockerignore: *.txt, then "# keep" and "!requirements*.txt" on separate lines
FROM python:3.13-slim
COPY requirements-core.txt ./
RUN pip install -r requirements-core.txt
```
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from fnmatch import fnmatchcase

from rules.base import CheckContext, Rule, Severity, Violation
from rules.dockerignore import IgnoreFile, IgnorePattern, parse_dockerignore
from rules.sources import Source, context_sources, copied_files, under

RULE = Rule(
    id="DP402",
    name="copy-excluded-source",
    title="COPY/ADD source excluded by .dockerignore",
    severity=Severity.ERROR,
    fix="Re-include the source in .dockerignore with a `!` exception, or stop copying it",
)

_INLINE_HASH = re.compile(r"[ \t\v\f]+#")
_SHOWN = 3


def check(ctx: CheckContext) -> Iterator[Violation]:
    ignore = ctx.dockerignore
    if ignore is None or not ignore.patterns:
        return
    folder = _Folder(ctx) if ctx.context_files is not None and ctx.all_files is not None else None
    for instr in ctx.dockerfile.instructions:
        for source in context_sources(instr):
            if source.whole_context:
                continue
            problem = None
            if folder is not None:
                if folder.sends_some(source):
                    continue  # the usual case, decided without listing the whole folder
                problem = _with_context(source, ignore, folder)
            if problem is None and not source.glob and (folder is None or not folder.has(source)):
                problem = _from_patterns(source, ignore)
            if problem is None:
                continue
            message, fix = problem
            yield Violation(
                line=instr.line,
                end_line=instr.end_line,
                message=f"{instr.keyword} {source.written}: {message}",
                fix=fix,
            )


class _Folder:
    """The context folder: what BuildKit sends, and (listed only when needed) what is there."""

    def __init__(self, ctx: CheckContext) -> None:
        self._ctx = ctx
        self.sent: Collection[str] = ctx.context_files or {}
        self._all: tuple[str, ...] | None = None
        self._all_set: frozenset[str] = frozenset()

    @property
    def all_files(self) -> tuple[str, ...]:
        if self._all is None:
            self._all = tuple(self._ctx.all_files or ())
            self._all_set = frozenset(self._all)
        return self._all

    def is_file(self, path: str) -> bool:
        _ = self.all_files
        return path in self._all_set

    def sends_some(self, source: Source) -> bool:
        if not source.glob and source.path in self.sent:
            return True
        return bool(copied_files(source, self.sent))

    def has(self, source: Source) -> bool:
        return self.is_file(source.path) or bool(copied_files(source, self.all_files))


def _with_context(source: Source, ignore: IgnoreFile, folder: _Folder) -> tuple[str, str] | None:
    """Nothing the source copies is sent: is something there, excluded?"""
    if source.glob:
        wanted = copied_files(source, folder.all_files)
        if not wanted:
            return None
        return (
            f"every file it matches ({_examples(wanted)}) is excluded {_why(wanted[0], ignore)}; "
            "nothing is copied and the build fails",
            _fix(wanted[0], ignore, source.path),
        )
    if folder.is_file(source.path):
        return (
            f"{source.path} is excluded {_why(source.path, ignore)}; it is not in the build "
            'context and the build fails with "not found"',
            _fix(source.path, ignore),
        )
    wanted = list(under(source.path, folder.all_files))
    if not wanted:
        return None
    return (
        f"every file under {source.path}/ ({_examples(wanted)}) is excluded "
        f"{_why(wanted[0], ignore)}; nothing of it reaches the build context",
        _fix(wanted[0], ignore, source.path + "/**"),
    )


def _from_patterns(source: Source, ignore: IgnoreFile) -> tuple[str, str] | None:
    """No folder to look at: a literal path excluded by the patterns, with no exception that
    could re-include anything below it (it may be a directory)."""
    if not ignore.excludes(source.path):
        return None
    parts = source.path.split("/")
    if any(p.exclusion and _may_match_below(p.pattern, parts) for p in ignore.patterns):
        return None
    return (
        f'{source.path} is excluded {_why(source.path, ignore)}; the build fails with "not found"',
        _fix(source.path, ignore),
    )


def _may_match_below(pattern: str, parts: list[str]) -> bool:
    """Could an exception match something strictly inside the directory `parts`?"""
    comps = pattern.split("/")
    for comp, part in zip(comps, parts, strict=False):
        if "**" in comp:
            return True
        if not fnmatchcase(part, comp.replace("[^", "[!")):
            return False
    return len(comps) > len(parts)


def _why(path: str, ignore: IgnoreFile) -> str:
    """`line 95 (*.txt)`, plus the broken exception that was meant to keep the path."""
    pattern = ignore.matching_pattern(path)
    if pattern is not None:
        text = f"by .dockerignore line {pattern.line} `{pattern.raw.strip()}`"
    else:
        text = "by .dockerignore"
    broken = _broken_exception(path, ignore)
    if broken is not None:
        text += (
            f" (the exception on line {broken.line} would keep it, but its inline comment is "
            "part of the pattern: DP401)"
        )
    return text


def _examples(paths: list[str]) -> str:
    shown = ", ".join(paths[:_SHOWN])
    more = f" and {len(paths) - _SHOWN} more" if len(paths) > _SHOWN else ""
    return f"{shown}{more}"


def _broken_exception(path: str, ignore: IgnoreFile) -> IgnorePattern | None:
    """An exception with an inline comment that, without the comment, would re-include path."""
    for pattern in ignore.patterns:
        if not pattern.exclusion:
            continue
        m = _INLINE_HASH.search(pattern.pattern)
        if m is None:
            continue
        meant = pattern.pattern[: m.start()].strip()
        if not meant:
            continue
        try:
            single = parse_dockerignore(f"{meant}\n".encode(), "<line>")
        except Exception:
            continue
        if single.patterns and single.excludes(path):
            return pattern
    return None


def _fix(path: str, ignore: IgnoreFile, keep: str | None = None) -> str:
    broken = _broken_exception(path, ignore)
    if broken is not None:
        return f"Move the comment of .dockerignore line {broken.line} to its own line (DP401)"
    return (
        f"Add `!{keep or path}` to .dockerignore after the pattern that excludes it, or stop "
        "copying it"
    )
