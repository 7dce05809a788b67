"""A `.dockerignore` line with a `#` that is not in column 0: the comment is part of the pattern.

## What it does

Reports `.dockerignore` lines where a `#` comes after the start of the line: a comment written
after a pattern (`!requirements*.txt  # keep`), or an indented comment (`  # note`).

BuildKit (moby/patternmatcher `ignorefile.ReadAll`) treats a line as a comment only when `#` is
its very first character, checked before whitespace is trimmed. Anything else is a pattern, so
`!requirements*.txt  # keep` is the exception `requirements*.txt  # keep`, which matches no
file, and `  # note` is the pattern `# note`.

A `#` can be part of a real file name, so a `#` is reported only where it starts a comment-like
word: after a space or tab, or first on an indented line. When the build context is known and
the whole line, `#` included, matches a file there, the line is taken as meant and not reported.

## Why is this bad?

The pattern silently does something else. An exception with a comment after it re-includes
nothing: in the seed's `.dockerignore`, `*.txt` then `!requirements*.txt  # ...` leaves every
requirements file out of the context and the build fails with "not found". An exclusion with a
comment after it excludes nothing it was meant to, and secrets or caches are sent to the build.
docker-py and some linters drop such text as a comment, so the file looks right everywhere but
in BuildKit.

## Example

```dockerfile
# .dockerignore
*.txt
!requirements*.txt  # the dependency lists are needed
  # scripts are development only
scripts/*
```

## Use instead

```dockerfile
# .dockerignore
*.txt
# the dependency lists are needed
!requirements*.txt
# scripts are development only
scripts/*
```

The autofix moves the comment to its own line above the pattern and removes the indentation of
an indented comment.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from rules.base import CheckContext, Edit, Rule, Severity, Violation
from rules.dockerignore import IgnoreFile, parse_dockerignore

RULE = Rule(
    id="DP401",
    name="dockerignore-inline-comment",
    title="A .dockerignore comment not in column 0 is part of the pattern",
    severity=Severity.WARNING,
    fix="Put the comment on its own line, starting in column 0",
    fixable=True,
)

# Whitespace as Go's strings.TrimSpace sees it on an ASCII line; a `#` after it starts the text
# a writer meant as a comment.
_INLINE_HASH = re.compile(r"[ \t\v\f]+#")


def check(ctx: CheckContext) -> Iterator[Violation]:
    ignore = ctx.dockerignore
    if ignore is None:
        return
    for number, raw in enumerate(ignore.lines, start=1):
        if raw.startswith("#") or not raw.strip():
            continue  # a real comment, or a blank line
        body = raw.lstrip()
        indent = len(raw) - len(body)
        if body.startswith("#"):
            if _names_a_file(body, ctx):
                continue
            yield Violation(
                line=number,
                column=indent + 1,
                file="dockerignore",
                message=(
                    f"{body.strip()!r} is indented, so it is not a comment: BuildKit reads it "
                    f"as the pattern {body.strip()!r} ('#' starts a comment only in column 0)"
                ),
                fix="Start the comment in column 0",
                edits=(Edit(number, number, (body.rstrip(),), file="dockerignore"),),
            )
            continue
        m = _INLINE_HASH.search(raw)
        if m is None:
            continue
        hash_at = m.end() - 1
        kept = raw[: m.start()].rstrip()
        comment = raw[hash_at:].rstrip()
        if _names_a_file(body, ctx):
            continue
        exception = body.startswith("!")
        effect = (
            "the exception re-includes nothing it was meant to"
            if exception
            else "it excludes nothing it was meant to"
        )
        edits: tuple[Edit, ...] = ()
        if kept.strip() not in ("", "!"):
            edits = (Edit(number, number, (comment, kept), file="dockerignore"),)
        yield Violation(
            line=number,
            column=hash_at + 1,
            file="dockerignore",
            message=(
                f"inline comment in {body.strip()!r}: BuildKit reads the whole line as the "
                f"pattern {_pattern_text(body)!r}, so {effect} (only a '#' in column 0 starts "
                "a comment)"
            ),
            fix=f"Move {comment!r} to its own line above {kept.strip()!r}",
            edits=edits,
        )


def _pattern_text(body: str) -> str:
    text = body.strip()
    return text[1:].strip() if text.startswith("!") else text


def _names_a_file(body: str, ctx: CheckContext) -> bool:
    """Does the line, `#` included, match a file in the context? Then the `#` is meant."""
    if ctx.all_files is None:
        return False
    pattern = _pattern_text(body)
    try:
        single: IgnoreFile = parse_dockerignore((pattern + "\n").encode(), "<line>")
    except Exception:
        return False  # the real file parsed, so this cannot fail; if it does, report the line
    if not single.patterns:
        return False
    return any(single.excludes(path) for path in ctx.all_files if "#" in path)
