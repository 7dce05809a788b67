"""The Dockerfile model: instructions, stages, flags, heredocs and variables, 1-based lines.

Parsing starts with dockerfile-parse (`_first_pass`), from the file's bytes. Its line structure
is wrong on inputs BuildKit accepts, so the structure is then read again the way BuildKit's
parser (moby/buildkit frontend/dockerfile/parser) reads a file, and every place where the two
disagree is kept as a `Correction` (shown by `dockerfile-rules parse`):

- heredoc bodies become fake instructions (dockerfile-parse#145);
- an empty line inside a continuation ends the instruction there (BuildKit keeps joining and
  warns, moby/moby#24725), and the next line becomes a fake instruction;
- a BOM makes the first keyword `\\ufeffFROM` (moby/moby#23221);
- whitespace after the escape character ends the instruction (BuildKit still continues);
- comments inside a continuation are listed before the instruction that contains them.

On top of the structure, the model does what dockerfile-parse does not: `${V:-x}` and the other
expansion forms (dockerfile-parse#122), instruction flags (`--mount=...` stays raw text there),
exec versus shell form, case-insensitive stage names and what a stage inherits.
"""

# No `from __future__ import annotations`: NamedTuple field types stay objects (rules/base.py).

import io
import json
import re
from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import NamedTuple

from dockerfile_parse import DockerfileParser

from rules.errors import InputError
from rules.shell import expand, split_words

KEYWORDS = frozenset(
    {
        "ADD",
        "ARG",
        "CMD",
        "COPY",
        "ENTRYPOINT",
        "ENV",
        "EXPOSE",
        "FROM",
        "HEALTHCHECK",
        "LABEL",
        "MAINTAINER",
        "ONBUILD",
        "RUN",
        "SHELL",
        "STOPSIGNAL",
        "USER",
        "VOLUME",
        "WORKDIR",
    }
)
HEREDOC_KEYWORDS = frozenset({"RUN", "COPY", "ADD"})
# Instructions whose arguments BuildKit expands with ARG/ENV values.
EXPANDED_KEYWORDS = frozenset(
    {"ADD", "COPY", "ENV", "EXPOSE", "FROM", "LABEL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR"}
)
# Docker gives every container this PATH when the image sets none.
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
DEFAULT_SHELL = ("/bin/sh", "-c")
MAX_BYTES = 5 * 1024 * 1024

_DIRECTIVE = re.compile(r"^#[ \t]*([a-zA-Z][a-zA-Z0-9]*)[ \t]*=[ \t]*(.+?)[ \t]*$")
_HEREDOC = re.compile(r"^(\d*)<<(-?)([^<]*)$")


# Instruction, Stage and Dockerfile compare and hash by identity, as the `eq=False` dataclasses
# they were did: they hold dicts, rules key caches on them and find them with `is`. NamedTuples
# (see rules/base.py for why not dataclasses) get these in their bodies; `__ne__` too, or
# tuple's own `!=` would compare the fields.
def _same(self: tuple, other: object) -> bool:
    return self is other


def _not_same(self: tuple, other: object) -> bool:
    return self is not other


class Heredoc(NamedTuple):
    name: str
    body: str  # as written, up to the terminator; `<<-` tabs are stripped by `text`
    line: int  # first body line
    end_line: int  # the terminator's line
    chomp: bool  # `<<-`
    expand: bool  # False when the delimiter is quoted: the body is taken literally

    @property
    def text(self) -> str:
        if not self.chomp:
            return self.body
        return "\n".join(line.lstrip("\t") for line in self.body.split("\n"))


class Mount(NamedTuple):
    type: str
    target: str
    options: tuple[tuple[str, str], ...]

    def get(self, key: str, default: str | None = None) -> str | None:
        for k, v in self.options:
            if k == key:
                return v
        return default


class KeyValue(NamedTuple):
    """One `key=value` of ENV, ARG or LABEL; `value` is expanded (None for `ARG NAME`)."""

    key: str
    raw: str | None
    value: str | None
    undefined: tuple[str, ...] = ()


class Instruction(NamedTuple):
    keyword: str  # upper case
    line: int
    end_line: int
    value: str  # the text after the keyword and flags, continuations joined, comments removed
    flags: tuple[str, ...]  # as BuildKit extracts them: "--mount=type=cache,target=/x"
    heredocs: tuple[Heredoc, ...]
    stage: int  # index of its stage; -1 for ARGs before the first FROM
    json_args: tuple[str, ...] | None = None  # exec form, when the value is a JSON string array
    sub_keyword: str | None = None  # ONBUILD's instruction
    # Variables in scope before this instruction (ARG and ENV), for rules that resolve values.
    env: Mapping[str, str] = MappingProxyType({})
    # ENV / ARG / LABEL entries.
    pairs: tuple[KeyValue, ...] = ()
    # Arguments after expansion, for instructions BuildKit expands (COPY srcs+dest, USER, ...).
    args: tuple[str, ...] = ()

    __eq__ = _same
    __ne__ = _not_same
    __hash__ = object.__hash__

    def flag_values(self, name: str) -> list[str]:
        prefix = f"--{name}"
        out = []
        for f in self.flags:
            if f == prefix:
                out.append("")
            elif f.startswith(prefix + "="):
                out.append(f[len(prefix) + 1 :])
        return out

    def flag(self, name: str) -> str | None:
        values = self.flag_values(name)
        return values[-1] if values else None

    def has_flag(self, name: str) -> bool:
        return bool(self.flag_values(name))

    @property
    def mounts(self) -> tuple[Mount, ...]:
        return tuple(parse_mount(v) for v in self.flag_values("mount"))

    @property
    def is_exec_form(self) -> bool:
        return self.json_args is not None

    @property
    def looks_like_json(self) -> bool:
        return self.value.lstrip().startswith("[")

    @property
    def script(self) -> str:
        """What the shell runs for RUN: the command line plus heredoc bodies fed to it.

        `RUN <<EOF` with nothing else runs the body as the script, so rules that look at commands
        must see the body (the heredoc-run case).
        """
        if self.json_args is not None:
            return " ".join(self.json_args)
        parts = [self.value]
        parts.extend(h.text for h in self.heredocs)
        return "\n".join(parts)


class Stage(NamedTuple):
    index: int
    name: str | None  # lower case, as BuildKit stores it
    display_name: str | None  # as written
    base: str  # after ARG expansion
    line: int
    parent: int | None  # index of the stage it is FROM, if any
    platform: str | None
    instructions: tuple[Instruction, ...]  # FROM first

    __eq__ = _same
    __ne__ = _not_same
    __hash__ = object.__hash__

    @property
    def from_instruction(self) -> Instruction:
        return self.instructions[0]

    def label(self) -> str:
        return self.display_name or f"#{self.index}"


class Comment(NamedTuple):
    line: int
    text: str  # without the leading '#'


class Correction(NamedTuple):
    """Where dockerfile-parse reads the file differently from BuildKit."""

    line: int
    message: str


class Dockerfile(NamedTuple):
    path: str
    lines: tuple[str, ...]  # the source lines without line endings (BOM removed)
    escape: str
    directives: tuple[tuple[str, str, int], ...]  # (name, value, line)
    has_bom: bool
    instructions: tuple[Instruction, ...]
    stages: tuple[Stage, ...]
    comments: tuple[Comment, ...]
    empty_continuation_lines: tuple[int, ...]
    build_args: Mapping[str, str]
    corrections: tuple[Correction, ...] = ()

    __eq__ = _same
    __ne__ = _not_same
    __hash__ = object.__hash__

    def directive(self, name: str) -> tuple[str, int] | None:
        for k, v, line in self.directives:
            if k == name:
                return v, line
        return None

    @property
    def meta_args(self) -> tuple[Instruction, ...]:
        return tuple(i for i in self.instructions if i.stage == -1)

    def stage_by_name(self, name: str) -> Stage | None:
        """Stage names compare case-insensitively (BuildKit lower-cases `AS Name`)."""
        low = name.lower()
        for stage in self.stages:
            if stage.name == low:
                return stage
        if low.isdigit() and int(low) < len(self.stages):
            return self.stages[int(low)]
        return None

    def final_stage(self, target: str | None = None) -> Stage:
        if target:
            stage = self.stage_by_name(target)
            if stage is None:
                raise InputError(self.path, f"target stage {target!r} could not be found")
            return stage
        return self.stages[-1]

    def lineage(self, stage: Stage) -> list[Stage]:
        """The stage and the stages it is built FROM, the root first."""
        chain = [stage]
        while chain[0].parent is not None:
            chain.insert(0, self.stages[chain[0].parent])
        return chain

    def lineage_instructions(self, stage: Stage) -> Iterator[Instruction]:
        for s in self.lineage(stage):
            yield from s.instructions

    def last_in_lineage(self, stage: Stage, keyword: str) -> Instruction | None:
        """The instruction that sets an image-config value (USER, HEALTHCHECK, SHELL, CMD...)."""
        found = None
        for instr in self.lineage_instructions(stage):
            if instr.keyword == keyword:
                found = instr
        return found

    def shell_at(self, instr: Instruction) -> tuple[str, ...]:
        """The SHELL in force for a RUN: the last SHELL before it in its stage's lineage."""
        if instr.stage < 0:
            return DEFAULT_SHELL
        shell: tuple[str, ...] = DEFAULT_SHELL
        for i in self.lineage_instructions(self.stages[instr.stage]):
            if i is instr:
                break
            if i.keyword == "SHELL" and i.json_args:
                shell = i.json_args
        return shell

    def stage_of(self, instr: Instruction) -> Stage | None:
        return self.stages[instr.stage] if instr.stage >= 0 else None

    def to_json(self) -> dict:
        return {
            "file": self.path,
            "escape": self.escape,
            "directives": [{"name": n, "value": v, "line": ln} for n, v, ln in self.directives],
            "instructions": [
                {
                    "keyword": i.keyword,
                    "line": i.line,
                    "end_line": i.end_line,
                    "flags": list(i.flags),
                    "value": i.value,
                    "exec_form": i.json_args is not None,
                    "heredocs": [{"name": h.name, "body": h.body} for h in i.heredocs],
                    "stage": i.stage,
                }
                for i in self.instructions
            ],
            "stages": [
                {
                    "name": s.display_name,
                    "base": s.base,
                    "line": s.line,
                    "parent": self.stages[s.parent].display_name if s.parent is not None else None,
                }
                for s in self.stages
            ],
            "comments": [{"line": c.line, "text": c.text} for c in self.comments],
            "empty_continuation_lines": list(self.empty_continuation_lines),
            "corrections": [{"line": c.line, "message": c.message} for c in self.corrections],
        }


def parse_mount(spec: str) -> Mount:
    """`type=cache,target=/x,sharing=locked` in any key order; keys as BuildKit spells them."""
    options: list[tuple[str, str]] = []
    for part in _split_csv(spec):
        key, sep, value = part.partition("=")
        key = key.strip().lower()
        if not sep:
            # `readonly`, `ro`, `required` may stand alone.
            options.append((key, "true"))
            continue
        key = {"dst": "target", "destination": "target", "src": "source", "ro": "readonly"}.get(
            key, key
        )
        options.append((key, value.strip()))
    kind = dict(options).get("type", "bind")
    target = dict(options).get("target", "")
    return Mount(kind, target, tuple(options))


def _split_csv(text: str) -> list[str]:
    # Mount specs are CSV; quotes protect commas inside a value.
    out, cur, quote = [], [], ""
    for ch in text:
        if quote:
            if ch == quote:
                quote = ""
            else:
                cur.append(ch)
        elif ch in "\"'":
            quote = ch
        elif ch == ",":
            out.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    if cur:
        out.append("".join(cur))
    return [p for p in out if p.strip()]


# --------------------------------------------------------------------------- line scanner


class _Raw:
    __slots__ = ("end_line", "heredocs", "keyword", "line", "rest")

    def __init__(
        self, keyword: str, line: int, end_line: int, rest: str, heredocs: list[Heredoc]
    ) -> None:
        self.keyword = keyword
        self.line = line
        self.end_line = end_line
        self.rest = rest
        self.heredocs = heredocs


def _decode(data: bytes, path: str) -> tuple[str, bool]:
    if len(data) > MAX_BYTES:
        raise InputError(
            path,
            f"file is {len(data) / 1e6:.1f} MB; a Dockerfile over {MAX_BYTES // 2**20} MB is not "
            "checked",
        )
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise InputError(path, "binary file (NUL byte): not a Dockerfile", line)
    has_bom = data.startswith(b"\xef\xbb\xbf")
    if has_bom:
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(path, "not UTF-8 text: not a Dockerfile", line) from None
    if not text.strip():
        raise InputError(path, "file is empty: a Dockerfile needs at least a FROM")
    return text, has_bom


def _is_comment(line: str) -> bool:
    return line.lstrip(" \t").startswith("#")


def _scan(
    path: str, lines: list[str]
) -> tuple[str, list[tuple[str, str, int]], list[_Raw], list[Comment], list[int]]:
    escape = "\\"
    directives: list[tuple[str, str, int]] = []
    comments: list[Comment] = []
    empties: list[int] = []
    raws: list[_Raw] = []

    # Parser directives: only at the very top, before any other line (BuildKit stops reading them
    # at the first line that is not one).
    n = 0
    seen: set[str] = set()
    while n < len(lines):
        m = _DIRECTIVE.match(lines[n])
        if not m:
            break
        name, value = m.group(1).lower(), m.group(2)
        if name in seen:
            raise InputError(path, f"only one {name} parser directive can be used", n + 1)
        seen.add(name)
        directives.append((name, value, n + 1))
        if name == "escape":
            if value not in ("\\", "`"):
                raise InputError(path, f"invalid escape token {value!r}: use \\ or `", n + 1)
            escape = value
        n += 1
    continuation = re.compile(re.escape(escape) + r"[ \t]*$")

    def trim_continuation(text: str) -> tuple[str, bool]:
        m = continuation.search(text)
        if m:
            return text[: m.start()], False
        return text, True

    i = n
    while i < len(lines):
        raw_line = lines[i]
        i += 1
        start = i
        if _is_comment(raw_line):
            comments.append(Comment(i, raw_line.lstrip(" \t")[1:].strip()))
            continue
        text = raw_line.lstrip(" \t")
        text, ended = trim_continuation(text)
        if ended and not text.strip():
            continue
        while not ended and i < len(lines):
            nxt = lines[i]
            i += 1
            if _is_comment(nxt):
                comments.append(Comment(i, nxt.lstrip(" \t")[1:].strip()))
                continue
            if not nxt.strip():
                empties.append(i)
                continue
            part, ended = trim_continuation(nxt)
            text += part
        end = i
        keyword, _, rest = text.strip().partition(" ")
        if "\t" in keyword:
            keyword, _, more = keyword.partition("\t")
            rest = more + " " + rest
        upper = keyword.upper()
        if upper not in KEYWORDS:
            shown = keyword if len(keyword) <= 40 else keyword[:40] + "..."
            raise InputError(path, f"unknown instruction: {shown}", start)
        heredocs: list[Heredoc] = []
        # ONBUILD RUN <<EOF does not read a body: BuildKit's parser only looks for heredocs in
        # RUN, COPY and ADD themselves.
        if upper in HEREDOC_KEYWORDS:
            for name, chomp, expand_body in _heredoc_names(text, escape):
                body: list[str] = []
                first = i + 1
                while True:
                    if i >= len(lines):
                        raise InputError(path, f"unterminated heredoc <<{name}", start)
                    candidate = lines[i]
                    i += 1
                    if (candidate.lstrip("\t") if chomp else candidate) == name:
                        break
                    body.append(candidate + "\n")
                heredocs.append(Heredoc(name, "".join(body), first, i, chomp, expand_body))
            end = i
        raws.append(_Raw(upper, start, end, rest.strip(), heredocs))
    return escape, directives, raws, comments, empties


def _heredoc_names(line: str, escape: str) -> list[tuple[str, bool, bool]]:
    if "<<" not in line:
        return []
    out = []
    for word in split_words(line, escape):
        m = _HEREDOC.match(word)
        if not m or not m.group(3):
            continue
        raw_name = m.group(3)
        name = expand(raw_name, {}, "\\").value
        if not name or len(split_words(raw_name)) != 1:
            continue
        quoted = any(q in raw_name for q in "'\"") or raw_name.startswith("\\")
        out.append((name, m.group(2) == "-", not quoted))
    return out


def extract_flags(rest: str) -> tuple[list[str], str]:
    """Leading `--name=value` words, unquoted, and the rest (BuildKit's extractBuilderFlags)."""
    flags: list[str] = []
    pos = 0
    n = len(rest)
    while True:
        while pos < n and rest[pos].isspace():
            pos += 1
        if pos >= n or not rest.startswith("--", pos):
            return flags, rest[pos:]
        word: list[str] = []
        quote = ""
        while pos < n:
            ch = rest[pos]
            if quote:
                if ch == quote:
                    quote = ""
                elif ch == "\\" and pos + 1 < n:
                    pos += 1
                    word.append(rest[pos])
                else:
                    word.append(ch)
            elif ch.isspace():
                break
            elif ch in "'\"":
                quote = ch
            elif ch == "\\" and pos + 1 < n:
                pos += 1
                word.append(rest[pos])
            else:
                word.append(ch)
            pos += 1
        token = "".join(word)
        if token == "--":
            return flags, rest[pos:].lstrip()
        flags.append(token)


def _json_args(value: str) -> tuple[str, ...] | None:
    text = value.strip()
    if not text.startswith("["):
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if isinstance(data, list) and all(isinstance(x, str) for x in data):
        return tuple(data)
    return None


def _name_values(value: str, escape: str) -> list[tuple[str, str | None]]:
    """ENV/LABEL/ARG entries, per BuildKit's parseNameVal (`ENV k v` legacy form included)."""
    words = split_words(value, escape)
    if not words:
        return []
    if "=" not in words[0]:
        # Legacy `ENV key value with spaces`: one pair, the rest of the line is the value.
        key, _, rest = value.strip().partition(" ")
        return [(key, rest.strip() if rest.strip() else None)]
    out: list[tuple[str, str | None]] = []
    for w in words:
        key, sep, val = w.partition("=")
        out.append((key, val if sep else None))
    return out


# --------------------------------------------------------------------------- the model


def parse_dockerfile(
    data: bytes, path: str = "Dockerfile", build_args: Mapping[str, str] | None = None
) -> Dockerfile:
    """Parse a Dockerfile's bytes into the model. Raises InputError on what BuildKit rejects."""
    text, has_bom = _decode(data, path)
    # Only "\n" ends a line for BuildKit (a trailing "\r" is dropped); str.splitlines would
    # also break at form feeds, U+2028 and friends inside a quoted LABEL value.
    lines = [line[:-1] if line.endswith("\r") else line for line in text.split("\n")]
    if lines and lines[-1] == "":
        lines.pop()
    first = _first_pass(data)
    escape, directives, raws, comments, empties = _scan(path, lines)
    if not raws:
        raise InputError(path, "file with no instructions: a Dockerfile needs at least a FROM")
    build_args = dict(build_args or {})
    model = _Builder(path, escape, build_args).build(
        lines, directives, raws, comments, empties, has_bom
    )
    return model._replace(corrections=tuple(_corrections(first, raws)))


def _first_pass(data: bytes) -> list[tuple[str, int, int]]:
    """dockerfile-parse's reading: (keyword as it reports it, first line, last line), 1-based."""
    parser = DockerfileParser(fileobj=io.BytesIO(data), env_replace=False)
    try:
        structure = parser.structure
    except Exception:  # its failure is only a difference from BuildKit; ours decides
        return []
    return [
        (e["instruction"], e["startline"] + 1, e["endline"] + 1)
        for e in structure
        if e["instruction"] != "COMMENT"
    ]


def _corrections(first: list[tuple[str, int, int]], raws: list["_Raw"]) -> list[Correction]:
    """Every place where BuildKit's reading (ours) differs from dockerfile-parse's."""
    ours = {r.line: r for r in raws}
    out: list[Correction] = []
    for keyword, start, end in first:
        raw = ours.get(start)
        if raw is not None:
            if keyword != raw.keyword or end != raw.end_line:
                out.append(
                    Correction(
                        start,
                        f"dockerfile-parse reads {keyword!r} on lines {start}-{end}; BuildKit "
                        f"reads {raw.keyword} on lines {raw.line}-{raw.end_line}",
                    )
                )
            continue
        owner = next((r for r in raws if r.line < start <= r.end_line), None)
        if owner is None:
            what = "BuildKit reads no instruction there"
        elif any(h.line <= start <= h.end_line for h in owner.heredocs):
            what = f"it is the heredoc body of the {owner.keyword} on line {owner.line}"
        else:
            what = f"it is part of the {owner.keyword} on line {owner.line}"
        out.append(Correction(start, f"dockerfile-parse reads a {keyword!r} instruction: {what}"))
    theirs = {start for _, start, _ in first}
    for raw in raws:
        if raw.line not in theirs:
            out.append(Correction(raw.line, f"dockerfile-parse misses the {raw.keyword}"))
    return sorted(out)


class _Builder:
    def __init__(self, path: str, escape: str, build_args: dict[str, str]) -> None:
        self.path = path
        self.escape = escape
        self.build_args = build_args

    def error(self, message: str, line: int) -> InputError:
        return InputError(self.path, message, line)

    def build(self, lines, directives, raws, comments, empties, has_bom) -> Dockerfile:
        instructions: list[Instruction] = []
        stages: list[Stage] = []
        meta: dict[str, str] = {}  # ARG values before the first FROM
        stage_instrs: list[Instruction] = []
        stage_header: dict | None = None
        # Per-stage state; ENV carries over to stages built FROM this one, ARG does not.
        final_env: list[dict[str, str]] = []
        env: dict[str, str] = {}
        args: dict[str, str] = {}

        def close_stage() -> None:
            if stage_header is None:
                return
            stages.append(Stage(instructions=tuple(stage_instrs), **stage_header))
            final_env.append(dict(env))

        for raw in raws:
            flags, rest = extract_flags(raw.rest)
            if not rest and raw.keyword not in ("RUN",) and not raw.heredocs:
                raise self.error(f"{raw.keyword} requires at least one argument", raw.line)
            keyword = raw.keyword
            index = len(stages) if stage_header is not None else -1
            if keyword == "FROM":
                close_stage()
                stage_instrs = []
                index = len(stages)
                words = rest.split()
                if len(words) not in (1, 3) or (len(words) == 3 and words[1].upper() != "AS"):
                    raise self.error("FROM requires either one or three arguments", raw.line)
                exp = expand(words[0], meta, self.escape)
                base = exp.value
                if not base:
                    raise self.error(
                        f"base name ({words[0]}) should not be blank after ARG expansion",
                        raw.line,
                    )
                name = words[2] if len(words) == 3 else None
                if name is not None and not re.fullmatch(r"[a-zA-Z][a-zA-Z0-9_.-]*", name):
                    raise self.error(f"invalid name for build stage: {name!r}", raw.line)
                parent = None
                for s in stages:
                    if s.name == base.lower():
                        parent = s.index
                if parent is None:
                    for k, s_hdr in enumerate(stages):
                        if base.isdigit() and int(base) == k:
                            parent = s_hdr.index
                platform = flags and next(
                    (f.split("=", 1)[1] for f in flags if f.startswith("--platform=")), None
                )
                stage_header = {
                    "index": index,
                    "name": name.lower() if name else None,
                    "display_name": name,
                    "base": base,
                    "line": raw.line,
                    "parent": parent,
                    "platform": platform or None,
                }
                env = dict(final_env[parent]) if parent is not None else {"PATH": DEFAULT_PATH}
                args = {}
                instr = Instruction(
                    keyword,
                    raw.line,
                    raw.end_line,
                    rest,
                    tuple(flags),
                    tuple(raw.heredocs),
                    index,
                    env=dict(meta),
                    args=(base,),
                )
            elif stage_header is None and keyword != "ARG":
                raise self.error(
                    f"{keyword} before the first FROM: only ARG may come before FROM", raw.line
                )
            else:
                scope = {**args, **env} if index >= 0 else dict(meta)
                instr = self.instruction(raw, flags, rest, index, scope, meta)
                if keyword == "ARG":
                    target = meta if index < 0 else args
                    for kv in instr.pairs:
                        if kv.key in self.build_args:
                            target[kv.key] = self.build_args[kv.key]
                        elif kv.value is not None:
                            target[kv.key] = kv.value
                        elif index >= 0 and kv.key in meta:
                            target[kv.key] = meta[kv.key]
                elif keyword == "ENV":
                    for kv in instr.pairs:
                        env[kv.key] = kv.value or ""
            instructions.append(instr)
            if index >= 0:
                stage_instrs.append(instr)
        close_stage()
        if not stages:
            raise self.error("no FROM instruction: a Dockerfile needs a build stage", 1)
        return Dockerfile(
            path=self.path,
            lines=tuple(lines),
            escape=self.escape,
            directives=tuple(directives),
            has_bom=has_bom,
            instructions=tuple(instructions),
            stages=tuple(stages),
            comments=tuple(comments),
            empty_continuation_lines=tuple(empties),
            build_args=dict(self.build_args),
        )

    def instruction(self, raw: _Raw, flags, rest, index, scope, meta) -> Instruction:
        keyword = raw.keyword
        sub = None
        json_args = None
        pairs: tuple[KeyValue, ...] = ()
        args: tuple[str, ...] = ()
        if keyword == "ONBUILD":
            sub, _, _ = rest.partition(" ")
            sub = sub.upper()
            if sub in ("ONBUILD", "FROM", "MAINTAINER"):
                raise self.error(f"{sub} isn't allowed as an ONBUILD trigger", raw.line)
            if sub not in KEYWORDS:
                raise self.error(f"unknown instruction: {sub}", raw.line)
        if keyword in ("RUN", "CMD", "ENTRYPOINT", "SHELL", "COPY", "ADD", "VOLUME"):
            json_args = _json_args(rest)
            if keyword == "SHELL" and json_args is None:
                raise self.error("SHELL requires the arguments to be in JSON form", raw.line)
        if keyword == "HEALTHCHECK":
            _, _, cmd_rest = rest.partition(" ")
            if rest.split(" ", 1)[0].upper() == "CMD":
                json_args = _json_args(cmd_rest)
        if keyword in ("ENV", "ARG", "LABEL"):
            entries = []
            if keyword == "ARG":
                raw_pairs = [
                    (k, v) for w in split_words(rest, self.escape) for k, _, v in [w.partition("=")]
                ]
                raw_pairs = [
                    (k, v if "=" in w else None)
                    for w, (k, v) in zip(split_words(rest, self.escape), raw_pairs, strict=True)
                ]
            else:
                raw_pairs = _name_values(rest, self.escape)
            local = dict(scope)
            for key, val in raw_pairs:
                if not key:
                    raise self.error(f"{keyword} names can not be blank", raw.line)
                if keyword == "ENV" and val is None:
                    raise self.error("ENV must have two arguments", raw.line)
                if val is None:
                    entries.append(KeyValue(key, None, None))
                    continue
                exp = expand(val, local, self.escape)
                entries.append(KeyValue(key, val, exp.value, tuple(exp.undefined)))
                if keyword == "ENV":
                    # Later pairs of one ENV see earlier ones (BuildKit applies them in order).
                    local[key] = exp.value
            pairs = tuple(entries)
        elif keyword in EXPANDED_KEYWORDS:
            words = list(json_args) if json_args is not None else split_words(rest, self.escape)
            if keyword in ("COPY", "ADD") and len(words) < 2 and not raw.heredocs:
                raise self.error(f"{keyword} requires at least two arguments", raw.line)
            args = tuple(
                w if json_args is not None else expand(w, scope, self.escape).value for w in words
            )
        return Instruction(
            keyword,
            raw.line,
            raw.end_line,
            rest,
            tuple(flags),
            tuple(raw.heredocs),
            index,
            json_args=json_args,
            sub_keyword=sub,
            env=dict(scope),
            pairs=pairs,
            args=args,
        )


def expand_in(instr: Instruction, text: str, escape: str = "\\") -> str:
    """Expand `text` with the variables in scope at `instr`."""
    return expand(text, instr.env, escape).value
