"""## What it does
Checks HEALTHCHECK the way BuildKit parses it (`parseHealthcheck` in
frontend/dockerfile/instructions/parse.go) and reports what it rejects or silently misreads:

- a duration that Go's `time.ParseDuration` refuses: no unit (`--interval=30`), an unknown unit
  (`30sec`), or text (`--timeout=five`); a duration below the 1ms minimum, or negative;
- `--retries` that is not an integer, or negative; `--retries=0`, `--interval=0s`,
  `--timeout=0s` or an empty value, which all mean "the default" (3 retries, 30s), not zero;
- an option without `=` (`--interval 30s`: "Missing a value on flag"), or given twice;
- options written after `CMD` (`HEALTHCHECK CMD --interval=5s curl ...`): they become part of the
  command, and the check runs with the defaults;
- `HEALTHCHECK NONE` with options (ignored) or arguments (rejected), a missing command after
  `CMD`, or neither `CMD` nor `NONE`.

Unknown option names are DP900's (the build rejects the file). This rule reports and lets every
other rule run, so one bad interval does not hide the rest of the file.

## Why is this bad?
A rejected option fails the build ("time: missing unit in duration \\"30\\""), usually only in CI,
after review. A misread one is worse: the image builds, and the check runs with intervals or
retries nobody chose, or with a command that fails because of the option glued to it, so the
container turns unhealthy (or never does) for reasons that are hard to see.

## Example
```dockerfile
FROM python:3.13-slim
HEALTHCHECK --interval=30 --timeout=5s --retries=0 \\
    CMD python -c "import urllib.request as u; u.urlopen('http://127.0.0.1:8000/health')"
```

## Use instead
```dockerfile
FROM python:3.13-slim
HEALTHCHECK --interval=30s --timeout=5s --retries=3 \\
    CMD python -c "import urllib.request as u; u.urlopen('http://127.0.0.1:8000/health')"
```
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from rules.base import CheckContext, Rule, Severity, Violation
from rules.model import Instruction
from rules.shell import split_words

RULE = Rule(
    id="DP309",
    name="healthcheck-invalid-options",
    title="HEALTHCHECK options that Docker rejects or misreads",
    severity=Severity.ERROR,
    fix="Write options before CMD as `--name=value`, durations with a unit (`30s`, `1m30s`, "
    "`500ms`) of at least 1ms, and `--retries` as a positive integer",
)

DURATION_OPTIONS = ("interval", "timeout", "start-period", "start-interval")
OPTIONS = (*DURATION_OPTIONS, "retries")
# What 0 (or an empty value) silently turns into; start-period's default is 0s, so 0 is honest.
_DEFAULTS = {"interval": "30s", "timeout": "30s", "start-interval": "5s", "retries": "3"}
_UNITS_NS = {
    "ns": 1,
    "us": 1_000,
    "\u00b5s": 1_000,  # micro sign
    "\u03bcs": 1_000,  # Greek mu
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
}
_MIN_NS = 1_000_000  # container.MinimumDuration: 1ms
_OPTION_WORD = re.compile(r"^--(" + "|".join(OPTIONS) + r")(=|$)")
# Option names that only HEALTHCHECK has; --timeout and --retries are common program options.
_DOCKER_ONLY = frozenset({"--interval", "--start-period", "--start-interval"})
# Probes without these options (curl has --max-time and --retry; wget has --timeout, --tries).
_NOT_ACCEPTED = {
    "curl": frozenset({"--timeout", "--retries"}),
    "wget": frozenset({"--retries"}),
    "nc": frozenset({"--timeout", "--retries"}),
    "ncat": frozenset({"--retries"}),
}


def parse_duration(text: str) -> tuple[float | None, str | None]:
    """Go's time.ParseDuration: (nanoseconds, None) or (None, the error in Go's words)."""
    s = text
    negative = False
    if s[:1] in ("-", "+"):
        negative = s[0] == "-"
        s = s[1:]
    if s == "0":
        return 0.0, None
    if not s:
        return None, f'invalid duration "{text}"'
    total = 0.0
    while s:
        m = re.match(r"(\d*)(?:\.(\d*))?", s)
        assert m is not None
        whole, frac = m.group(1), m.group(2)
        if not whole and not frac:
            return None, f'invalid duration "{text}"'
        s = s[m.end() :]
        u = re.match(r"[^\d.]*", s)
        assert u is not None
        unit = u.group(0)
        s = s[u.end() :]
        if not unit:
            return None, f'missing unit in duration "{text}"'
        if unit not in _UNITS_NS:
            return None, f'unknown unit "{unit}" in duration "{text}"'
        value = float(f"{whole or '0'}.{frac or '0'}")
        total += value * _UNITS_NS[unit]
    return (-total if negative else total), None


def check(ctx: CheckContext) -> Iterator[Violation]:
    for instr in ctx.dockerfile.instructions:
        if instr.keyword == "HEALTHCHECK":
            for message in _problems(instr):
                yield Violation(line=instr.line, end_line=instr.end_line, message=message)


def _problems(instr: Instruction) -> Iterator[str]:
    words = split_words(instr.value)
    kind = words[0].upper() if words else ""
    if kind == "NONE":
        if instr.flags:
            yield (
                f"HEALTHCHECK NONE ignores its options ({' '.join(instr.flags)}): BuildKit "
                "does not read them"
            )
        if len(words) > 1:
            yield "HEALTHCHECK NONE takes no arguments (BuildKit rejects the file)"
        return
    yield from _option_problems(instr)
    if kind != "CMD":
        hint = ""
        if (
            words
            and re.fullmatch(r"[\d.]+[a-zµμ]*", words[0])
            and any("=" not in f for f in instr.flags)
        ):
            hint = f" (`{words[0]}` looks like the value of an option written without `=`)"
        shown = words[0] if words else ""
        yield (
            f"HEALTHCHECK needs CMD or NONE after its options, not {shown!r}{hint} (BuildKit "
            "rejects the file)"
        )
        return
    command_words = _command_words(instr)
    if not command_words:
        yield "HEALTHCHECK CMD has no command (BuildKit rejects the file)"
        return
    glued = []
    for word in command_words:
        if not _OPTION_WORD.match(word):
            break
        glued.append(word)
    # Written after the program: arguments to it. Docker's own option names, or --timeout /
    # --retries given to a probe that has no such option (curl, wget, nc), are misplaced.
    program = (
        command_words[len(glued)].rsplit("/", 1)[-1] if len(glued) < len(command_words) else ""
    )
    trailing = [
        w
        for w in command_words[len(glued) + 1 :]
        if _OPTION_WORD.match(w)
        and "=" in w
        and (
            w.split("=", 1)[0] in _DOCKER_ONLY
            or w.split("=", 1)[0] in _NOT_ACCEPTED.get(program, ())
        )
    ]
    misplaced = glued + trailing
    if misplaced:
        these = "it is part of the command, not an option"
        if len(misplaced) > 1:
            these = "they are part of the command, not options"
        where = "after CMD" if not trailing else f"in the command (arguments to {program})"
        yield (
            f"{' '.join(misplaced)} {where}: {these}; the check runs with the default settings "
            "and a command that fails"
        )


def _command_words(instr: Instruction) -> list[str]:
    if instr.json_args is not None:
        return list(instr.json_args)
    rest = instr.value.strip()[3:].strip()
    if rest.startswith("["):
        return []  # an invalid JSON array: DP308's concern, and the command is not empty
    return split_words(rest) or ([rest] if rest else [])


def _option_problems(instr: Instruction) -> Iterator[str]:
    seen: set[str] = set()
    for flag in instr.flags:
        name, eq, value = flag[2:].partition("=")
        if name not in OPTIONS:
            continue  # unknown options: the build rejects them (DP900)
        if name in seen:
            yield f'--{name} is given twice (BuildKit: "Duplicate flag specified: {name}")'
        seen.add(name)
        if not eq:
            yield (
                f'--{name} has no value: write --{name}=VALUE (BuildKit: "Missing a value on '
                f'flag: {name}")'
            )
            continue
        if name == "retries":
            yield from _retries_problems(value)
            continue
        if value == "":
            yield f"--{name}= is empty, which means the default ({_DEFAULTS.get(name, '0s')})"
            continue
        ns, error = parse_duration(value)
        if error is not None:
            hint = ""
            if re.fullmatch(r"[+-]?\d+(\.\d*)?", value):
                hint = f": durations need a unit, e.g. --{name}={value}s"
            yield f"--{name}={value} is not a duration (Go: {error}){hint}"
        elif ns is not None and ns < 0:
            yield f"--{name}={value} is negative (BuildKit: cannot be less than 1ms)"
        elif ns == 0 and name in _DEFAULTS:
            yield f"--{name}={value} means the default ({_DEFAULTS[name]}), not zero"
        elif ns is not None and 0 < ns < _MIN_NS:
            yield f"--{name}={value} is below the 1ms minimum (BuildKit rejects the file)"


def _retries_problems(value: str) -> Iterator[str]:
    if not re.fullmatch(r"[+-]?\d+", value):
        yield f"--retries={value} is not an integer (BuildKit rejects the file)"
        return
    n = int(value)
    if n < 0:
        yield f'--retries={value} is negative (BuildKit: "--retries cannot be negative")'
    elif n == 0:
        yield "--retries=0 means the default (3 retries), not zero"
    elif n > 2**31 - 1:
        yield f"--retries={value} is out of range (BuildKit rejects the file)"
