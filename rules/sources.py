"""COPY/ADD sources as paths in the build context, and how they match the context's files.

Shared by the build-context rules (DP402-DP404) and DP501. BuildKit resolves a source against
the context root: a leading `/` and `..` cannot leave it, and the path is cleaned the way Go's
`filepath.Clean` does. A source with `*`, `?` or `[` is a glob matched with Go's
`filepath.Match` on each path, where `*` never crosses `/`; a glob that matches a directory
copies what is inside it.
"""

# No `from __future__ import annotations`: NamedTuple field types stay objects (rules/base.py).

import re
from collections.abc import Iterable, Iterator
from fnmatch import fnmatchcase
from typing import NamedTuple

from rules.dockerignore import go_clean
from rules.model import Instruction

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_GLOB_CHARS = frozenset("*?[")


class Source(NamedTuple):  # a NamedTuple, not a dataclass: see rules/base.py
    written: str  # as the instruction has it, after variable expansion
    path: str  # context-relative and cleaned; "." is the whole context
    glob: bool

    @property
    def whole_context(self) -> bool:
        return self.path == "."


def context_sources(instr: Instruction) -> list[Source]:
    """The sources a COPY/ADD takes from the build context.

    Not: `--from` (another stage or image), heredocs (`<<EOF`), URLs and git remotes (ADD), and
    sources that expand to nothing (an undefined variable).
    """
    if instr.keyword not in ("COPY", "ADD") or instr.has_flag("from"):
        return []
    out = []
    for src in instr.args[:-1]:
        if not src or (instr.heredocs and src.startswith("<<")):
            continue
        if _URL.match(src) or src.startswith("git@"):
            continue
        path = go_clean("/" + src).lstrip("/") or "."
        out.append(Source(src, path, bool(_GLOB_CHARS & set(path))))
    return out


def glob_matches(pattern: str, path: str) -> bool:
    """Does a COPY glob copy `path`: the glob matches it, or one of its parent directories?

    Go's filepath.Match, component by component: `*` and `?` stay inside one component.
    """
    pat_parts = pattern.split("/")
    parts = path.split("/")
    if len(parts) < len(pat_parts):
        return False
    return all(
        fnmatchcase(part, _go_class(pat)) for pat, part in zip(pat_parts, parts, strict=False)
    )


def _go_class(pattern: str) -> str:
    # Go negates a class with `[^...]`, fnmatch with `[!...]`.
    return pattern.replace("[^", "[!")


def under(path: str, files: Iterable[str]) -> Iterator[str]:
    """The files a source copies: `path` itself, or everything below it (a directory)."""
    if path == ".":
        yield from files
        return
    prefix = path + "/"
    for f in files:
        if f == path or f.startswith(prefix):
            yield f


def copied_files(source: Source, files: Iterable[str]) -> list[str]:
    """The files among `files` that this source copies."""
    if source.glob:
        return [f for f in files if glob_matches(source.path, f)]
    return list(under(source.path, files))
