"""A `PIP_*` environment variable that pip does not know: pip silently ignores it.

## What it does

pip reads every environment variable `PIP_<NAME>` as its long option `--<name>` (lower case,
`_` as `-`): `PIP_NO_CACHE_DIR` is `--no-cache-dir`, `PIP_INDEX_URL` is `--index-url`. A
variable that names no option of any pip command is dropped without a word.

This rule checks the `PIP_*` names set by ENV, by ARG (build arguments are in the environment
of every RUN), by `NAME=value` before a command in RUN (`PIP_X=1 pip install ...`, `env
PIP_X=1 ...`) and by `export` in RUN, against pip's own option list: introspected from the
installed pip's parsers (the general options and every command's) when its version differs from
the bundled list, otherwise `rules/data/pip_options.json`, generated from pip 26.3 by
`rules/option_tables.py`. The few variables pip reads that are not options
(`PIP_CONFIG_FILE` ...) and the two it explicitly ignores (`PIP_VERSION`, `PIP_HELP`) are
accepted.

A `PIP_*` variable that the Dockerfile itself expands (`pip install $PIP_EXTRA_ARGS`) is the
build's own variable, not a pip setting, and is not reported. What a known variable's value
does (for example `PIP_NO_CACHE_DIR` against a cache mount) is DP103's business.

## Why is this bad?

The setting the author wanted never takes effect and nothing says so: the seed's
`PIP_PARALLEL_DOWNLOAD=8` promises parallel downloads that pip does not have, and a misspelled
`PIP_INDEXURL` or `PIP_TRUSTED_HOSTS` quietly sends installs to the default index.

## Example

```dockerfile
FROM python:3.13-slim
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \\
    PIP_PARALLEL_DOWNLOAD=8
```

## Use instead

```dockerfile
FROM python:3.13-slim
ENV PIP_DISABLE_PIP_VERSION_CHECK=1
```
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from rules.base import CheckContext, Rule, Severity, Violation
from rules.commands import run_commands

RULE = Rule(
    id="DP503",
    name="unknown-pip-env",
    title="PIP_* variable that is not a pip option",
    severity=Severity.WARNING,
    fix="Remove the variable, or spell it as PIP_<LONG_OPTION> of a real pip option",
)

_ASSIGN = re.compile(r"^(PIP_[A-Za-z0-9_]*)=")


def check(ctx: CheckContext) -> Iterator[Violation]:
    df = ctx.dockerfile
    found: list[tuple[str, int]] = []  # (name, line)
    for instr in df.instructions:
        if instr.keyword in ("ENV", "ARG"):
            for pair in instr.pairs:
                if pair.key.startswith("PIP_"):
                    found.append((pair.key, _line_of(df.lines, instr, pair.key)))
        elif instr.keyword == "RUN":
            for cmd in run_commands(df, instr):
                names = [name for name, _ in cmd.assignments if name.startswith("PIP_")]
                if cmd.program == "export":
                    names += [m.group(1) for w in cmd.words[1:] if (m := _ASSIGN.match(w.text))]
                for name in names:
                    found.append((name, _line_of(df.lines, instr, name)))
    if not found:
        return
    from rules.option_tables import pip_table

    table = pip_table()
    if table is None:
        return  # no option list at all (an install without rules/data): nothing to check
    texts = "\n".join(df.lines) + "\n" + "\n".join(ctx.context_texts.values())
    reported: set[tuple[str, int]] = set()
    for name, line in found:
        if (name, line) in reported or _known(name, table):
            continue
        if re.search(rf"\$\{{?{name}\b", texts):
            continue  # the build's own variable, expanded somewhere: not a pip setting
        reported.add((name, line))
        option = name[4:].lower().replace("_", "-")
        message = (
            f"{name} is not a pip setting: pip {table.version} has no --{option} option, so "
            "pip ignores it"
        )
        fix = None
        import difflib  # only to suggest a spelling: ~2 ms of start-up otherwise

        close = difflib.get_close_matches(option, sorted(table.options), n=1, cutoff=0.8)
        if close:
            meant = "PIP_" + close[0].upper().replace("-", "_")
            message += f" (did you mean {meant}?)"
            fix = f"Rename it to {meant}, or remove it"
        yield Violation(line=line, message=message, fix=fix)


def _known(name: str, table) -> bool:
    if name in table.environment or name in table.ignored:
        return True
    # pip's configuration: key[4:].lower(), then `_` -> `-` (configuration._normalize_name).
    return name[4:].lower().replace("_", "-") in table.options


def _line_of(lines: tuple[str, ...], instr, name: str) -> int:
    """The physical line where `name=` (or `ENV name value`) is written in the instruction."""
    pattern = re.compile(rf"(^|[\s;&|(]){re.escape(name)}(=|\s|$)")
    for number in range(instr.line, instr.end_line + 1):
        if pattern.search(lines[number - 1]):
            return number
    return instr.line
