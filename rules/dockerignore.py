"""`.dockerignore` and the build context, read the way BuildKit reads them.

Three upstream pieces decide which files a build receives, and each is mirrored here:

- **Reading** (moby/patternmatcher `ignorefile.ReadAll`): a UTF-8 BOM is stripped from the first
  line; lines are split on `\\n` with one trailing `\\r` dropped; a line is a comment only when `#`
  is its very first character (checked *before* trimming, so `  # note` is a pattern and
  `foo  # note` is the pattern `foo  # note`); whitespace is trimmed; a leading `!` makes an
  exception and the rest is trimmed again; the pattern goes through Go's `filepath.Clean` and
  loses one leading `/`. `patternmatcher.New` then trims and cleans once more.
- **Matching** (`patternmatcher.Pattern.match`): a pattern is turned into an exact, prefix
  (`foo/**`), suffix (`**/foo`, and `**.log` which is a plain string suffix) or regexp match; `*`
  and `?` never cross `/`; `**` crosses any number of directories; `\\` escapes; `[...]` classes
  are passed to Go's regexp as written.
- **Walking** (tonistiigi/fsutil `filterFS.Walk` with `MatchesUsingParentResults`): every entry is
  matched with the results of its parent directory. A pattern that matched the parent stays
  matched for the child, and so a later line always decides over an earlier one. An excluded
  directory is still entered when an exception could re-include something inside it
  (`logs/` + `!logs/keep.log` sends `logs/keep.log`).

The rules about the parent are why `*.log` excludes only `app.log` at the root, never
`src/app.log`. They are also why `logs` excludes everything under `logs/`.

Docker's classic builder (DOCKER_BUILDKIT=0) reads and matches the same way, but it never enters
an excluded directory for a wildcard exception: with `*` + `!**/*.py` it sends only root-level
`.py` files, where BuildKit sends them all. docker-py's `exclude_paths` is older still: it strips a
line before looking for `#`, keeps a BOM, and checks a single parent directory.
"""

# No `from __future__ import annotations`: NamedTuple field types stay objects (rules/base.py).

import os
import re
import warnings
from collections.abc import Iterator
from functools import cached_property
from pathlib import Path
from typing import NamedTuple

from rules.errors import InputError

IGNORE_FILE = ".dockerignore"
# Our limit, not BuildKit's: the same ceiling the Dockerfile reader uses.
MAX_BYTES = 5 * 1024 * 1024
# bufio.Scanner's default buffer: a longer line makes BuildKit fail with "token too long".
MAX_LINE_BYTES = 64 * 1024 - 1

_BOM = b"\xef\xbb\xbf"
# Go's unicode.IsSpace set, used by strings.TrimSpace. Python's str.strip() also strips
# U+001C..U+001F, which Go keeps.
_GO_SPACE = (
    "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
# Characters that make fsutil give up pruning excluded directories (filter.go, patternChars).
_FSUTIL_PATTERN_CHARS = frozenset("*[]?^\\")
# patternmatcher's shouldEscape: regexp metacharacters that mean nothing to filepath.Match.
_REGEX_ESCAPED = frozenset(".+()|{}$")


def _trim_space(text: str) -> str:
    return text.strip(_GO_SPACE)


def go_clean(path: str) -> str:
    """Go's `path/filepath.Clean` for '/' separators (posixpath.normpath keeps a leading '//')."""
    rooted = path.startswith("/")
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts and parts[-1] != "..":
                parts.pop()
            elif not rooted:
                parts.append("..")
            continue
        parts.append(part)
    cleaned = "/".join(parts)
    if rooted:
        return "/" + cleaned
    return cleaned or "."


# --- patterns -------------------------------------------------------------------------------


class _BadPattern(ValueError):
    pass


def _check_filepath_syntax(pattern: str) -> None:
    """Go's filepath.Match(pattern, ".") error check, which patternmatcher.New runs.

    Go validates the whole pattern even after a mismatch: a `\\` must escape something, and a
    class needs at least one item, no unescaped `-` or `]` where a character is expected, and a
    closing `]`.
    """
    i, n = 0, len(pattern)

    def class_char(j: int) -> int:
        if j >= n or pattern[j] in "-]":
            raise _BadPattern("bad character class")
        if pattern[j] == "\\":
            j += 1
            if j >= n:
                raise _BadPattern("trailing backslash in character class")
        j += 1
        if j >= n:
            raise _BadPattern("unterminated character class")
        return j

    while i < n:
        ch = pattern[i]
        if ch == "\\":
            if i + 1 >= n:
                raise _BadPattern("trailing backslash")
            i += 2
        elif ch == "[":
            i += 1
            if i < n and pattern[i] == "^":
                i += 1
            items = 0
            while True:
                if i < n and pattern[i] == "]" and items:
                    i += 1
                    break
                i = class_char(i)
                if pattern[i] == "-":
                    i = class_char(i + 1)
                items += 1
        else:
            i += 1


def _go_regexp_source(pattern: str) -> tuple[str, str]:
    """Port of patternmatcher's Pattern.compile: the match kind and Go's regexp source."""
    out = ["^"]
    kind = "exact"
    pos, n, step = 0, len(pattern), 0
    while pos < n:
        ch = pattern[pos]
        pos += 1
        if ch == "*":
            if pos < n and pattern[pos] == "*":
                pos += 1
                if pos < n and pattern[pos] == "/":
                    pos += 1  # `**/` is treated as `**`
                if pos >= n:
                    if kind == "exact":
                        kind = "prefix"
                    else:
                        out.append(".*")
                        kind = "regexp"
                else:
                    out.append("(.*/)?")
                    kind = "regexp"
                if step == 0:
                    kind = "suffix"
            else:
                out.append("[^/]*")
                kind = "regexp"
        elif ch == "?":
            out.append("[^/]")
            kind = "regexp"
        elif ch in _REGEX_ESCAPED:
            out.append("\\" + ch)
        elif ch == "\\":
            if pos < n:
                out.append("\\" + pattern[pos])
                pos += 1
                kind = "regexp"
            else:
                out.append("\\")
        elif ch in "[]":
            out.append(ch)
            kind = "regexp"
        else:
            out.append(ch)
        step += 1
    out.append("$")
    return kind, "".join(out)


# Go RE2 escapes and POSIX classes that can reach the regexp, in Python's spelling. Go's are ASCII.
_ESCAPES_OUTSIDE = {
    "a": r"\a",
    "f": r"\f",
    "t": r"\t",
    "n": r"\n",
    "r": r"\r",
    "v": r"\v",
    "d": "[0-9]",
    "D": "[^0-9]",
    "s": "[\\t\\n\\f\\r ]",
    "S": "[^\\t\\n\\f\\r ]",
    "w": "[0-9A-Za-z_]",
    "W": "[^0-9A-Za-z_]",
    "A": r"\A",
    "z": r"\Z",
    "b": r"\b",
    "B": r"\B",
}
_ESCAPES_INSIDE = {
    "a": r"\a",
    "f": r"\f",
    "t": r"\t",
    "n": r"\n",
    "r": r"\r",
    "v": r"\v",
    "d": "0-9",
    "s": "\\t\\n\\f\\r ",
    "w": "0-9A-Za-z_",
}
_POSIX_CLASSES = {
    "alnum": "0-9A-Za-z",
    "alpha": "A-Za-z",
    "ascii": "\\x00-\\x7f",
    "blank": "\\t ",
    "cntrl": "\\x00-\\x1f\\x7f",
    "digit": "0-9",
    "graph": "!-~",
    "lower": "a-z",
    "print": " -~",
    "punct": "!-/:-@\\[-`{-~",
    "space": "\\t\\n\\v\\f\\r ",
    "upper": "A-Z",
    "word": "0-9A-Za-z_",
    "xdigit": "0-9A-Fa-f",
}


def _python_regexp(go_source: str) -> re.Pattern[str]:
    """Translate the regexp source patternmatcher builds into Python's `re` with Go's meaning.

    Only what can occur there is handled: our own `[^/]*`, `(.*/)?` and `.*`, classes passed
    through from the pattern, and `\\x` escapes of any character. An escape Go's regexp rejects
    (`\\q`) or one we do not translate raises _BadPattern: the build would fail on it.
    """
    out: list[str] = []
    i, n = 0, len(go_source)
    in_class = first = False
    while i < n:
        ch = go_source[i]
        if ch == "\\":
            if i + 1 >= n:
                raise _BadPattern("trailing backslash")
            esc = go_source[i + 1]
            i += 2
            if not esc.isascii():
                raise _BadPattern(f"invalid escape \\{esc}")
            if not esc.isalnum():
                out.append(re.escape(esc))
            else:
                table = _ESCAPES_INSIDE if in_class else _ESCAPES_OUTSIDE
                if esc not in table:
                    raise _BadPattern(f"escape \\{esc} is not supported")
                out.append(table[esc])
            first = False
            continue
        if in_class:
            if ch == "]" and not first:
                in_class = False
                out.append("]")
            elif ch == "[" and go_source.startswith("[:", i):
                end = go_source.find(":]", i + 2)
                name = go_source[i + 2 : end] if end != -1 else ""
                if name in _POSIX_CLASSES:
                    out.append(_POSIX_CLASSES[name])
                    i = end + 2
                    first = False
                    continue
                out.append("\\[")
            elif ch in "[&~|":
                out.append("\\" + ch)  # literal in Go; Python warns about set operations
            else:
                out.append(ch)
            first = False
            i += 1
            continue
        if ch == "[":
            in_class = first = True
            out.append("[")
            i += 1
            if i < n and go_source[i] == "^":
                out.append("^")
                i += 1
            continue
        if ch == "$" and i == n - 1:
            out.append(r"\Z")  # Python's `$` also matches before a final newline
        else:
            out.append(ch)
        i += 1
    if in_class:
        raise _BadPattern("unterminated character class")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return re.compile("".join(out))
    except re.error as exc:
        raise _BadPattern(str(exc)) from None


class _Matcher:
    """One compiled pattern (patternmatcher.Pattern)."""

    def __init__(self, pattern: str, exclusion: bool) -> None:
        self.pattern = pattern
        self.exclusion = exclusion
        self.kind, source = _go_regexp_source(pattern)
        self.regexp = _python_regexp(source) if self.kind == "regexp" else None
        if self.kind == "prefix":
            self.text = pattern[:-2]
        elif self.kind == "suffix":
            self.text = pattern[2:]
        else:
            self.text = pattern

    def match(self, path: str) -> bool:
        kind = self.kind
        if kind == "exact":
            return path == self.text
        if kind == "prefix":
            return path.startswith(self.text)
        if kind == "suffix":
            suffix = self.text
            if path.endswith(suffix):
                return True
            # `**/foo` matches "foo" at the root too.
            return suffix[:1] == "/" and path == suffix[1:]
        assert self.regexp is not None
        return self.regexp.match(path) is not None

    @cached_property
    def without_trailing_glob(self) -> str:
        """fsutil's patternWithoutTrailingGlob."""
        text = self.pattern
        text = text.removesuffix("/**")
        return text.removesuffix("/*")

    @cached_property
    def component_regexps(self) -> tuple[re.Pattern[str] | str | None, ...] | None:
        """Per path component: a literal, a regexp, or None for `**`; None if unsure."""
        comps: list[re.Pattern[str] | str | None] = []
        for comp in self.pattern.split("/"):
            if "**" in comp:
                comps.append(None)
            elif any(c in comp for c in "*?[]\\"):
                try:
                    _check_filepath_syntax(comp)
                    kind, source = _go_regexp_source(comp)
                    comps.append(_python_regexp(source) if kind == "regexp" else comp)
                except _BadPattern:
                    return None
            else:
                comps.append(comp)
        return tuple(comps)

    def may_match_below(self, dir_parts: list[str]) -> bool:
        """Could this pattern match some path strictly inside the directory `dir_parts`?

        Conservative (True when unsure). Used only to skip excluded directories that fsutil
        would enter, when no exception can re-include anything in them. Skipping those does not
        change the result: a child of an excluded directory inherits every pattern its parent
        matched, so only an exception that matches the child itself can re-include it.
        """
        comps = self.component_regexps
        if comps is None or self.kind == "suffix":
            return True
        for comp, part in zip(comps, dir_parts, strict=False):
            if comp is None:
                return True
            if isinstance(comp, str):
                if comp != part:
                    return False
            elif comp.match(part) is None:
                return False
        return len(comps) > len(dir_parts)


# --- the file -------------------------------------------------------------------------------


class IgnorePattern(NamedTuple):  # a NamedTuple, not a dataclass: see rules/base.py
    line: int  # 1-based line in .dockerignore
    raw: str  # the line as written (without newline, CR or BOM)
    pattern: str  # cleaned pattern (without '!'), as patternmatcher matches it
    exclusion: bool  # True for '!' lines (re-include)


# Per pattern: did it match this path (patternmatcher.MatchInfo.parentMatched)?
_MatchInfo = tuple[bool, ...]


class IgnoreFile:
    """A parsed .dockerignore. Immutable, equal by (path, patterns, lines); its matchers are
    compiled once here. A plain class with read-only properties rather than a frozen dataclass
    (start-up time, see rules/base.py)."""

    __slots__ = ("_lines", "_matchers", "_only_prefix_exceptions", "_path", "_patterns")

    def __init__(
        self, path: str, patterns: tuple[IgnorePattern, ...], lines: tuple[str, ...]
    ) -> None:
        self._path = path
        self._patterns = patterns
        self._lines = lines  # raw lines (no newline, CR or BOM), for rules like DP401
        matchers = []
        for pat in patterns:
            try:
                matchers.append(_Matcher(pat.pattern, pat.exclusion))
            except _BadPattern as exc:
                raise InputError(path, _bad_pattern_message(pat.raw, exc), pat.line) from None
        self._matchers: tuple[_Matcher, ...] = tuple(matchers)
        self._only_prefix_exceptions = not any(
            m.exclusion and any(c in _FSUTIL_PATTERN_CHARS for c in m.without_trailing_glob)
            for m in matchers
        )

    @property
    def path(self) -> str:
        return self._path

    @property
    def patterns(self) -> tuple[IgnorePattern, ...]:
        return self._patterns

    @property
    def lines(self) -> tuple[str, ...]:
        return self._lines

    def _key(self) -> tuple[str, tuple[IgnorePattern, ...], tuple[str, ...]]:
        return self._path, self._patterns, self._lines

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, IgnoreFile):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return (
            f"IgnoreFile(path={self._path!r}, patterns={self._patterns!r}, lines={self._lines!r})"
        )

    @property
    def has_exceptions(self) -> bool:
        return any(p.exclusion for p in self.patterns)

    # patternmatcher.MatchesUsingParentResults
    def _match(self, path: str, parent: _MatchInfo | None) -> tuple[bool, _MatchInfo]:
        matched = False
        info = [False] * len(self._matchers)
        for i, matcher in enumerate(self._matchers):
            hit = parent[i] if parent else False
            if not hit:
                # An include is only tried while the path is not excluded, an exception only
                # while it is.
                if matcher.exclusion != matched:
                    continue
                hit = matcher.match(path)
                if not hit and not parent and "/" in path:
                    # No parent results (a path matched on its own): try every parent dir.
                    parts = path.split("/")
                    hit = any(matcher.match("/".join(parts[:k])) for k in range(1, len(parts)))
            info[i] = hit
            if hit:
                matched = not matcher.exclusion
        return matched, tuple(info)

    def _fsutil_skips(self, dirpath: str) -> bool:
        """fsutil's test for an excluded directory: skip it, or walk in for exceptions?"""
        if not self._only_prefix_exceptions:
            return False
        dir_slash = dirpath + "/"
        return not any(
            (m.without_trailing_glob + "/").startswith(dir_slash)
            for m in self._matchers
            if m.exclusion
        )

    def _prunable(self, dirpath: str) -> bool:
        """An excluded directory whose contents all stay excluded: nothing below is walked."""
        if self._fsutil_skips(dirpath):
            return True
        parts = dirpath.split("/")
        return not any(m.may_match_below(parts) for m in self._matchers if m.exclusion)

    def _decide(self, relpath: str) -> tuple[bool, int | None]:
        """Walk to `relpath` as fsutil does: (excluded, index of the deciding pattern)."""
        relpath = _normalize_relpath(relpath)
        if not self._matchers or relpath == ".":
            return False, None
        parts = relpath.split("/")
        info: _MatchInfo | None = None
        for depth in range(1, len(parts)):
            dirpath = "/".join(parts[:depth])
            excluded, info = self._match(dirpath, info)
            if excluded and self._fsutil_skips(dirpath):
                return True, _last_hit(info)
        excluded, info = self._match(relpath, info)
        return excluded, _last_hit(info)

    def excludes(self, relpath: str) -> bool:
        """Is this context-relative path excluded from the build context?

        `relpath` is taken as a file; its parents as directories. For a directory, the answer is
        about the directory entry itself: files inside it may still be re-included.
        """
        return self._decide(relpath)[0]

    def matching_pattern(self, relpath: str) -> IgnorePattern | None:
        """The last pattern that decided `relpath` (an exception if it was re-included)."""
        index = self._decide(relpath)[1]
        return None if index is None else self.patterns[index]


def _last_hit(info: _MatchInfo) -> int | None:
    for i in range(len(info) - 1, -1, -1):
        if info[i]:
            return i
    return None


def _normalize_relpath(relpath: str) -> str:
    path = go_clean(relpath.replace(os.sep, "/"))
    return path.lstrip("/") or "."


def _bad_pattern_message(raw: str, exc: Exception) -> str:
    return f"invalid pattern {raw.strip()!r} ({exc}): BuildKit fails the build on it"


def parse_dockerignore(data: bytes, path: str = IGNORE_FILE) -> IgnoreFile:
    """Parse .dockerignore bytes as ignorefile.ReadAll and patternmatcher.New do.

    Raises InputError for what is not a text file and for what BuildKit rejects (a lone `!`, a
    malformed pattern, a line longer than 64 KiB).
    """
    if len(data) > MAX_BYTES:
        raise InputError(
            path, f"file is {len(data) / 1e6:.1f} MB; a .dockerignore over 5 MB is not supported"
        )
    data = data.removeprefix(_BOM)
    raw_lines = data.split(b"\n")
    if raw_lines and raw_lines[-1] == b"":
        raw_lines.pop()  # bufio.ScanLines yields no empty token after a final newline
    lines: list[str] = []
    patterns: list[IgnorePattern] = []
    for number, raw_bytes in enumerate(raw_lines, start=1):
        raw_bytes = raw_bytes.removesuffix(b"\r")
        if b"\x00" in raw_bytes:
            raise InputError(path, "binary file (NUL byte): not a .dockerignore", number)
        if len(raw_bytes) > MAX_LINE_BYTES:
            raise InputError(path, "line longer than 64 KiB: BuildKit cannot read it", number)
        try:
            raw = raw_bytes.decode("utf-8")
        except UnicodeDecodeError:
            raise InputError(path, "not UTF-8 text: not a .dockerignore", number) from None
        lines.append(raw)
        parsed = _parse_line(raw)
        if parsed is None:
            continue
        pattern, exclusion = parsed
        if not pattern:
            raise InputError(path, 'illegal exclusion pattern "!": BuildKit rejects it', number)
        try:
            _check_filepath_syntax(pattern)
        except _BadPattern as exc:
            raise InputError(path, _bad_pattern_message(raw, exc), number) from None
        patterns.append(IgnorePattern(number, raw, pattern, exclusion))
    return IgnoreFile(path, tuple(patterns), tuple(lines))


def _parse_line(raw: str) -> tuple[str, bool] | None:
    """One line to (pattern, exclusion), or None for a comment or blank line.

    An empty pattern with exclusion=True is the lone `!` BuildKit rejects.
    """
    # ignorefile.ReadAll
    if raw.startswith("#"):
        return None
    text = _trim_space(raw)
    if not text:
        return None
    invert = text[0] == "!"
    if invert:
        text = _trim_space(text[1:])
    if text:
        text = go_clean(text)
        if len(text) > 1 and text[0] == "/":
            text = text[1:]
    if invert:
        text = "!" + text
    # patternmatcher.New: trims and cleans again (so "/ foo" ends up as "foo").
    text = _trim_space(text)
    if not text:
        return None
    text = go_clean(text)
    if text[0] == "!":
        return text[1:], True
    return text, False


def ignore_file_path(context_dir: str | Path, dockerfile: str | Path | None = None) -> Path | None:
    """The ignore file BuildKit uses for this context, or None.

    `<Dockerfile>.dockerignore` next to the Dockerfile wins over the context's `.dockerignore`
    (BuildKit's dockerui, Docker 23+).
    """
    if dockerfile is not None:
        specific = Path(f"{dockerfile}.dockerignore")
        if specific.exists():
            return specific
    candidate = Path(context_dir) / IGNORE_FILE
    return candidate if candidate.exists() or candidate.is_symlink() else None


def read_dockerignore(
    context_dir: str | Path, dockerfile: str | Path | None = None
) -> IgnoreFile | None:
    """Read the context's ignore file; None when there is none."""
    path = ignore_file_path(context_dir, dockerfile)
    if path is None:
        return None
    try:
        data = path.read_bytes()
    except IsADirectoryError:
        raise InputError(str(path), "is a directory, not a .dockerignore file") from None
    except OSError as exc:
        raise InputError(str(path), f"cannot read: {exc.strerror or exc}") from None
    return parse_dockerignore(data, str(path))


# --- the walk -------------------------------------------------------------------------------


def _scan(directory: str, rel: str) -> list[tuple[str, os.DirEntry[str]]]:
    with os.scandir(directory) as it:
        entries = sorted(it, key=lambda e: e.name)  # filepath.WalkDir reads in lexical order
    return [(f"{rel}/{e.name}" if rel else e.name, e) for e in entries]


def _walk(
    context_dir: str | Path, ignore: IgnoreFile | None
) -> Iterator[tuple[str, os.DirEntry[str]]]:
    """Non-directory entries BuildKit would send, in filepath.WalkDir order."""
    root = os.fspath(context_dir)
    if not Path(root).is_dir():
        raise InputError(root, "build context is not a directory")
    active = ignore if ignore is not None and ignore.patterns else None
    # Per open directory: its remaining entries and its patterns' match results.
    stack: list[tuple[Iterator[tuple[str, os.DirEntry[str]]], _MatchInfo | None]] = [
        (iter(_scan(root, "")), None)
    ]
    while stack:
        entries, info = stack[-1]
        item = next(entries, None)
        if item is None:
            stack.pop()
            continue
        relpath, entry = item
        excluded, child_info = active._match(relpath, info) if active else (False, None)
        try:
            is_dir = entry.is_dir(follow_symlinks=False)
        except OSError:
            is_dir = False
        if not is_dir:
            if not excluded:
                yield relpath, entry
            continue
        if excluded and active is not None and active._prunable(relpath):
            continue
        try:
            children = _scan(entry.path, relpath)
        except OSError as exc:
            if excluded:
                continue  # fsutil ignores errors on excluded directories
            raise InputError(entry.path, f"cannot read directory: {exc.strerror}") from None
        stack.append((iter(children), child_info))


def walk_context(context_dir: str | Path, ignore: IgnoreFile | None) -> dict[str, int]:
    """Files BuildKit would send: posix relpath -> size in bytes.

    Everything that is not a directory is listed; symlinks are not followed (their size is the
    link's). The .dockerignore and the Dockerfile are listed unless a pattern excludes them.
    """
    files: dict[str, int] = {}
    for relpath, entry in _walk(context_dir, ignore):
        try:
            files[relpath] = entry.stat(follow_symlinks=False).st_size
        except FileNotFoundError:
            continue  # removed while walking
    return files


def list_all_files(context_dir: str | Path) -> list[str]:
    """Every non-directory path in the context, unfiltered, in walk order."""
    return [relpath for relpath, _ in _walk(context_dir, None)]
