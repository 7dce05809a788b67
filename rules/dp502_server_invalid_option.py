"""uvicorn or gunicorn started with an option it does not accept: the server exits at start.

## What it does

Reads how the image starts its ASGI/WSGI server and checks every option against the server's
real option table:

- where: CMD and ENTRYPOINT (exec and shell form, `sh -c "..."`, ENTRYPOINT + CMD combined),
  the `GUNICORN_CMD_ARGS` variable, and the shell scripts of the build context that the
  Dockerfile copies or starts (`exec uvicorn ... \\` continued over several lines);
- how: `uvicorn`, `gunicorn`, `python -m uvicorn|gunicorn`, also behind `exec`, `tini --`,
  `gosu`, `uv run` ...; `gunicorn -k uvicorn.workers.UvicornWorker` takes gunicorn's options;
- against what: uvicorn's click command and gunicorn's argparse parser, introspected from the
  installed packages when they are importable, otherwise the tables generated from uvicorn
  0.32.1 and gunicorn 23.0.0 (`rules/data/server_options.json`, see `rules/option_tables.py`).

It reports unknown options (`--max-requests` given to uvicorn, whose option is
`--limit-max-requests`; `--max-requests-jitter`, which uvicorn does not have), options gunicorn
finds ambiguous (argparse accepts unique prefixes only), a flag given a value or an option left
without one, and literal values the server rejects: `--loop` and `--http` outside their
choices, a number that is not one. In exec form nothing expands variables, so
`"--port", "$PORT"` passes the text `$PORT` and is reported too; in shell form and scripts a
value with a variable is only known at run time and is not checked.

## Why is this bad?

Both servers refuse to start on an option they do not know: uvicorn prints `No such option:
--max-requests` and exits 2; gunicorn prints `unrecognized arguments`. The image builds fine
and the container dies at start, in every replica. The mix-up usually comes from copying
gunicorn's tuning flags (`--max-requests`, `--max-requests-jitter`, `-w`, `--keep-alive`) to
a uvicorn command line.

## Example

```dockerfile
FROM python:3.13-slim
CMD ["uvicorn", "src.main:app", "--host", "0.0.0.0", \\
     "--max-requests", "1000", "--max-requests-jitter", "50"]
```

## Use instead

```dockerfile
FROM python:3.13-slim
CMD ["uvicorn", "src.main:app", "--host", "0.0.0.0", "--limit-max-requests", "1000"]
```

Or, for jittered worker recycling, gunicorn with uvicorn's worker:

```dockerfile
CMD ["gunicorn", "src.main:app", "-k", "uvicorn.workers.UvicornWorker", \\
     "--max-requests", "1000", "--max-requests-jitter", "50"]
```

The autofix replaces an option that has an exact equivalent in the server that is run
(`--max-requests` -> `--limit-max-requests`, `-w` -> `--workers`, `--keep-alive` ->
`--timeout-keep-alive` for uvicorn, and the reverse for gunicorn); it never removes an option.
"""

# No `from __future__ import annotations`: NamedTuple field types stay objects (rules/base.py).

import json
import re
from collections.abc import Callable, Iterator
from typing import NamedTuple

from rules.base import CheckContext, Edit, Rule, Severity, Violation
from rules.commands import (
    Command,
    LineIndex,
    Word,
    commands_of,
    python_invocation,
    shell_c_script,
    unwrap,
)

RULE = Rule(
    id="DP502",
    name="server-invalid-option",
    title="uvicorn/gunicorn option the server does not accept",
    severity=Severity.ERROR,
    fix="Use the option the server has (uvicorn --limit-max-requests), or remove it",
    fixable=True,
)

SERVERS = ("uvicorn", "gunicorn")
# Options of one server written for the other, with the exact equivalent (None: there is none)
# and what to say about it.
_FOR_UVICORN: dict[str, tuple[str | None, str]] = {
    "--max-requests": ("--limit-max-requests", ""),
    "--max-requests-jitter": (
        "--limit-max-requests-jitter",
        "uvicorn has no jitter for worker recycling (gunicorn -k uvicorn.workers.UvicornWorker "
        "has --max-requests-jitter)",
    ),
    "-w": ("--workers", ""),
    "--keep-alive": ("--timeout-keep-alive", ""),
    "--graceful-timeout": ("--timeout-graceful-shutdown", ""),
    "--bind": (None, "uvicorn takes --host and --port (or --uds, --fd)"),
    "-b": (None, "uvicorn takes --host and --port (or --uds, --fd)"),
    "--worker-class": (None, "uvicorn has no worker classes: gunicorn -k takes them"),
    "-k": (None, "uvicorn has no worker classes: gunicorn -k takes them"),
    "--timeout": (None, "uvicorn has no worker timeout (--timeout-keep-alive is another thing)"),
    "-t": (None, "uvicorn has no worker timeout (--timeout-keep-alive is another thing)"),
    "--threads": (None, "uvicorn has no threads option"),
    "--preload": (None, "uvicorn has no preload option"),
    "--access-logfile": (None, "uvicorn logs access to stderr; use --log-config to redirect"),
    "--error-logfile": (None, "uvicorn logs to stderr; use --log-config to redirect"),
    "--worker-connections": (None, "uvicorn's nearest is --limit-concurrency"),
}
_FOR_GUNICORN: dict[str, tuple[str | None, str]] = {
    "--limit-max-requests": ("--max-requests", ""),
    "--timeout-keep-alive": ("--keep-alive", ""),
    "--timeout-graceful-shutdown": ("--graceful-timeout", ""),
    "--host": (None, "gunicorn takes --bind HOST:PORT"),
    "--port": (None, "gunicorn takes --bind HOST:PORT"),
    "--loop": (None, "gunicorn's UvicornWorker picks the event loop itself (uvloop if installed)"),
    "--http": (
        None,
        "gunicorn's UvicornWorker picks the HTTP parser itself (httptools if installed)",
    ),
    "--limit-concurrency": (None, "gunicorn has no such limit for UvicornWorker"),
    "--app-dir": (None, "gunicorn's equivalent is --chdir or --pythonpath"),
}
_SCRIPT_SHEBANG = re.compile(r"^#!\s*\S*?(?:/env\s+)?\S*\b(sh|bash|ash|dash|zsh|ksh)\b")
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')


# NamedTuples, not dataclasses: start-up time, see rules/base.py.
class _Where(NamedTuple):
    """Where a word is: its line, and its column in that line when known (for an edit)."""

    line: int
    column: int | None = None


class _Text(NamedTuple):
    """The file a command line is in."""

    file: str  # "dockerfile" or a context-relative path
    lines: tuple[str, ...]
    exec_form: bool  # nothing expands variables


Locate = Callable[[Word], _Where]


def check(ctx: CheckContext) -> Iterator[Violation]:
    df = ctx.dockerfile
    seen: set[tuple[str, int, str]] = set()
    dockerfile = _Text("dockerfile", df.lines, False)
    for instr in df.instructions:
        if instr.keyword in ("CMD", "ENTRYPOINT"):
            for cmd, locate, exec_form in _instruction_commands(df, instr):
                text = _Text("dockerfile", df.lines, exec_form)
                yield from _dedupe(_check_command(cmd, locate, text), seen)
        elif instr.keyword == "ENV":
            yield from _dedupe(_check_gunicorn_env(df, instr, dockerfile), seen)
    for stage in df.stages:
        yield from _dedupe(_entrypoint_with_cmd(df, stage), seen)
    for path, text in sorted(ctx.context_texts.items()):
        if not _is_shell_script(path, text):
            continue
        index = LineIndex(text)
        script = _Text(path, tuple(text.split("\n")), False)
        starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]

        def locate(word: Word, index: LineIndex = index, starts: list[int] = starts) -> _Where:
            line = index.line(word.start)
            return _Where(line, word.start - starts[line - 1])

        for cmd in commands_of(text):
            yield from _dedupe(_check_command(cmd, locate, script), seen)
    # Scripts the Dockerfile writes itself: `COPY <<EOF /start.sh`; findings on the body's lines.
    for instr in df.instructions:
        if instr.keyword not in ("COPY", "ADD"):
            continue
        for heredoc in instr.heredocs:
            text = heredoc.text
            if not _is_shell_script("heredoc", text):
                continue
            index = LineIndex(text)
            starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]

            def locate_body(
                word: Word, index: LineIndex = index, starts: list[int] = starts, first=heredoc.line
            ) -> _Where:
                line = index.line(word.start)
                return _Where(first + line - 1, word.start - starts[line - 1])

            for cmd in commands_of(text):
                yield from _dedupe(_check_command(cmd, locate_body, dockerfile), seen)


def _dedupe(violations: Iterator[Violation], seen: set[tuple[str, int, str]]):
    for v in violations:
        key = (v.file, v.line, v.message)
        if key not in seen:
            seen.add(key)
            yield v


def _is_shell_script(path: str, text: str) -> bool:
    first = text.split("\n", 1)[0]
    if first.startswith("#!"):
        return _SCRIPT_SHEBANG.match(first) is not None
    return path.endswith((".sh", ".bash")) or "." not in path.rsplit("/", 1)[-1]


# ------------------------------------------------------------------------------ Dockerfile


def _instruction_commands(df, instr) -> list[tuple[Command, Locate, bool]]:
    """The commands a CMD/ENTRYPOINT runs, each with a way to find its words' lines."""
    if instr.json_args is not None:
        places = _exec_places(df, instr)
        cmd = unwrap(Command(tuple(Word(a, a, k, k + 1) for k, a in enumerate(instr.json_args))))

        def locate(word: Word) -> _Where:
            return places.get(word.start, _Where(instr.line))

        out = [(cmd, locate, True)]
        script = shell_c_script(cmd.argv)
        if script is not None:
            # `["sh", "-c", "exec uvicorn ..."]`: the shell runs the string, on the -c line.
            k = next(w.start for w in cmd.words if w.text == script)
            line = places.get(k, _Where(instr.line)).line
            out += [(c, lambda _w, line=line: _Where(line), False) for c in commands_of(script)]
        return out
    text, base = _shell_text(df, instr)
    if text is None:
        return [(c, lambda _w: _Where(instr.line), False) for c in commands_of(instr.value)]
    # Lines are counted in the original text: the shell text has some newlines blanked.
    original = "\n".join(df.lines[instr.line - 1 : instr.end_line])
    index = LineIndex(original)
    starts = [0] + [i + 1 for i, ch in enumerate(original) if ch == "\n"]

    def locate_shell(word: Word) -> _Where:
        n = index.line(word.start)
        return _Where(base + n - 1, word.start - starts[n - 1])

    return [(c, locate_shell, False) for c in commands_of(text)]


def _exec_places(df, instr) -> dict[int, _Where]:
    """Argument index -> where its JSON string is written (empty if they do not line up)."""
    comment_lines = {c.line for c in df.comments}
    found: list[tuple[int, int, str]] = []
    for number in range(instr.line, instr.end_line + 1):
        if number in comment_lines:
            continue
        line = df.lines[number - 1]
        start = line.find("[") if number == instr.line else 0
        for m in _JSON_STRING.finditer(line, max(start, 0)):
            found.append((number, m.start(), m.group(0)))
    args = instr.json_args or ()
    if len(found) != len(args):
        return {}
    places = {}
    for k, (number, col, literal) in enumerate(found):
        try:
            if json.loads(literal) != args[k]:
                return {}
        except ValueError:
            return {}
        places[k] = _Where(number, col)
    return places


def _shell_text(df, instr) -> tuple[str | None, int]:
    """The instruction's physical lines as one shell text, with the same offsets.

    The keyword is blanked, comment lines and empty lines inside the continuation are turned
    into spaces (BuildKit drops them), and whitespace after a line-ending backslash is moved
    before it. None when the escape character is not a backslash.
    """
    if df.escape != "\\":
        return None, instr.line
    comment_lines = {c.line for c in df.comments} | set(df.empty_continuation_lines)
    parts = []
    for number in range(instr.line, instr.end_line + 1):
        line = df.lines[number - 1]
        if number == instr.line:
            m = re.match(r"\s*\w+", line)
            cut = m.end() if m else 0
            line = " " * cut + line[cut:]
        if number in comment_lines or (number != instr.line and not line.strip()):
            parts.append(" " * len(line) + " ")
            continue
        m = re.search(r"\\([ \t]+)$", line)
        if m:
            line = line[: m.start()] + m.group(1) + "\\"
        parts.append(line + "\n")
    return "".join(parts), instr.line


def _entrypoint_with_cmd(df, stage) -> Iterator[Violation]:
    """ENTRYPOINT ["uvicorn"] + CMD ["app:app", "--max-requests", "9"]: one command line."""
    entry = df.last_in_lineage(stage, "ENTRYPOINT")
    cmd = df.last_in_lineage(stage, "CMD")
    if entry is None or cmd is None or entry.json_args is None or cmd.json_args is None:
        return
    if df.stage_of(cmd) is not stage and df.stage_of(entry) is stage:
        return  # ENTRYPOINT set after the CMD was inherited: Docker resets CMD
    head = unwrap(Command(tuple(Word(a, a, k, k + 1) for k, a in enumerate(entry.json_args))))
    if _server_of(head) is None:
        return
    places = _exec_places(df, cmd)
    offset = len(entry.json_args)
    words = head.words + tuple(
        Word(a, a, offset + k, offset + k + 1) for k, a in enumerate(cmd.json_args)
    )

    def locate(word: Word) -> _Where:
        if word.start < offset:
            return _Where(entry.line)
        return places.get(word.start - offset, _Where(cmd.line))

    combined = Command(words, head.assignments)
    text = _Text("dockerfile", df.lines, True)
    for v in _check_command(combined, locate, text):
        if v.line >= cmd.line and v.line <= cmd.end_line:
            yield v


def _check_gunicorn_env(df, instr, text: _Text) -> Iterator[Violation]:
    """GUNICORN_CMD_ARGS is parsed with gunicorn's own parser at start."""
    for pair in instr.pairs:
        if pair.key != "GUNICORN_CMD_ARGS" or not pair.value:
            continue
        import shlex  # only for GUNICORN_CMD_ARGS: kept off the start-up of every check

        try:
            args = shlex.split(pair.value)
        except ValueError:
            continue
        words = tuple(Word(a, a, k, k + 1) for k, a in enumerate(["gunicorn", *args]))
        line = _key_line(df, instr, pair.key)
        env_text = _Text(text.file, text.lines, True)
        for v in _check_command(Command(words), lambda _w, line=line: _Where(line), env_text):
            yield Violation(
                line=v.line,
                end_line=v.end_line,
                message=f"GUNICORN_CMD_ARGS: {v.message}",
                fix=v.fix,
            )


def _key_line(df, instr, key: str) -> int:
    for number in range(instr.line, instr.end_line + 1):
        if re.search(rf"(^|\s){re.escape(key)}[=\s]", df.lines[number - 1]):
            return number
    return instr.line


# ------------------------------------------------------------------------------ the check


def _server_of(cmd: Command) -> tuple[str, tuple[Word, ...]] | None:
    """("uvicorn" | "gunicorn", the arguments) when the command starts one of them."""
    if cmd.program in SERVERS:
        return cmd.program, cmd.words[1:]
    call = python_invocation(cmd)
    if call is not None and call.kind == "module" and call.target in SERVERS:
        return call.target, call.args
    return None


def _check_command(cmd: Command, locate: Locate, text: _Text) -> Iterator[Violation]:
    from rules.option_tables import server_table

    server = _server_of(cmd)
    if server is None:
        return
    program, args = server
    table = server_table(program)
    if table is None:
        return  # no option table at all (an install without rules/data): nothing to check
    present = {w.text.split("=", 1)[0] for w in args}
    i = 0
    while i < len(args):
        word = args[i]
        t = word.text
        i += 1
        if t == "--":
            break
        if not t.startswith("-") or t == "-" or (word.dynamic and t.startswith("$")):
            continue  # a positional argument, or options only known at run time ("$@")
        if _NUMBER.match(t):
            continue
        if t.startswith("--"):
            name, eq, attached = t.partition("=")
            has_attached = bool(eq)
        else:
            name, attached = t[:2], t[2:]
            has_attached = bool(attached)
        option, candidates = table.resolve(name)
        if option is None:
            yield _unknown(program, table.version, name, candidates, word, locate, text, present)
            if not has_attached and i < len(args) and not args[i].text.startswith("-"):
                i += 1  # its value, most likely
            continue
        where = locate(word)
        if option.value == "flag":
            if has_attached and t.startswith("--"):
                yield _violation(text, where, f"{program} option {name} takes no value ({t})")
            continue
        if has_attached:
            value_word, value = word, attached
        elif i < len(args):
            value_word, value = args[i], args[i].text
            i += 1
        else:
            yield _violation(text, where, f"{program} option {name} needs a value")
            continue
        problem = _bad_value(option, value, value_word, text.exec_form)
        if problem:
            reason, fix = problem
            message = f"{program} {table.version} rejects {name} {value!r}: {reason}"
            yield _violation(text, locate(value_word), message, fix=fix)


_NUMBER = re.compile(r"^-\d+(\.\d+)?$")


def _bad_value(option, value: str, word: Word, exec_form: bool) -> tuple[str, str] | None:
    """(why the server rejects the value, what to do), or None when it is fine or unknown."""
    from rules.option_tables import CLICK_BOOL

    if option.value == "str":
        return None
    if word.dynamic and not exec_form:
        return None  # a variable: only known when the container starts
    if exec_form and "$" in value:
        return (
            "exec form does not expand variables, the server gets this text as is",
            f"Write the value, or use shell form (`exec ...`) so that {value} expands",
        )
    if option.value == "choice":
        if value not in option.choices:
            choices = ", ".join(option.choices)
            return f"not one of {choices}", f"Use one of {choices} for {option.name}"
    elif option.value == "int":
        try:
            int(value)
        except ValueError:
            return "not an integer", f"Give {option.name} a whole number"
    elif option.value == "float":
        try:
            float(value)
        except ValueError:
            return "not a number", f"Give {option.name} a number"
    elif option.value == "bool" and value.strip().lower() not in CLICK_BOOL:
        return "not a boolean", f"Give {option.name} true or false"
    return None


def _unknown(
    program: str,
    version: str,
    name: str,
    candidates: tuple[str, ...],
    word: Word,
    locate: Locate,
    text: _Text,
    present: set[str],
) -> Violation:
    from rules.option_tables import server_table

    where = locate(word)
    table = server_table(program)
    assert table is not None  # _check_command had it
    if candidates:
        message = (
            f"{name} is ambiguous for gunicorn {version} (it could be {', '.join(candidates)}): "
            "gunicorn exits at start"
        )
        fix = f"Spell the option out: {' or '.join(candidates)}"
        return _violation(text, where, message, fix=fix)
    exits = (
        f'uvicorn exits at start ("No such option {name}")'
        if program == "uvicorn"
        else f'gunicorn exits at start ("unrecognized arguments: {name}")'
    )
    message = f"{program} {version} has no option {name}: {exits}"
    mapping = _FOR_UVICORN if program == "uvicorn" else _FOR_GUNICORN
    equivalent, hint = mapping.get(name, (None, ""))
    edits: tuple[Edit, ...] = ()
    if equivalent is not None and equivalent in table.options:
        message += f"; {program}'s option is {equivalent}"
        fix = f"Replace {name} with {equivalent}"
        if equivalent not in present:
            edits = _replace(text, where, word, name, equivalent)
    elif hint:
        message += f"; {hint}"
        fix = f"Remove {name}: {hint}"
    else:
        import difflib  # only to suggest a spelling: ~2 ms of start-up otherwise

        close = difflib.get_close_matches(name, list(table.options), n=1, cutoff=0.75)
        if close:
            message += f"; did you mean {close[0]}?"
            fix = f"Replace {name} with the option {program} has ({close[0]}?)"
        else:
            fix = f"Remove {name}: {program} {version} has no such option"
    return _violation(text, where, message, fix=fix, edits=edits)


def _replace(text: _Text, where: _Where, word: Word, old: str, new: str) -> tuple[Edit, ...]:
    if where.column is None or not 0 < where.line <= len(text.lines):
        return ()
    line = text.lines[where.line - 1]
    raw = line[where.column : where.column + len(word.raw)]
    if raw != word.raw and not (text.exec_form and raw.startswith('"')):
        return ()
    at = line.find(old, where.column)
    if at < 0 or at > where.column + len(word.raw):
        return ()
    fixed = line[:at] + new + line[at + len(old) :]
    file = "dockerfile" if text.file == "dockerfile" else text.file
    return (Edit(where.line, where.line, (fixed,), file=file),)


def _violation(
    text: _Text, where: _Where, message: str, fix: str | None = None, edits=()
) -> Violation:
    return Violation(
        line=where.line,
        column=(where.column or 0) + 1,
        file=text.file,
        message=message,
        fix=fix,
        edits=tuple(edits),
    )
