"""## What it does
Finds a CMD, ENTRYPOINT, RUN or `HEALTHCHECK CMD` written as an exec-form array that is not
valid JSON: single or typographic quotes, a trailing comma, a missing comma or closing bracket,
an unescaped backslash (`"C:\\app"`), or an element that is not a string (`["sleep", 10]`).

A shell command that starts with the `[` test command (`RUN [ -f /x ] && ...`,
`RUN [ "$A" = b ]`) is shell form on purpose and is not reported: an intended array is
recognised by a quote right after `[`, or by quoted elements separated by commas.

## Why is this bad?
BuildKit tries to read the arguments as a JSON array of strings; when that fails it silently
takes the whole text as shell form and runs `/bin/sh -c '["python", ...'`. The build passes;
the container then fails at start (`/bin/sh: [python,: not found`), or, for RUN, the build step
fails with a confusing message. Even when it works by luck, the shell becomes PID 1 and the
process no longer receives SIGTERM (see DP307).

## Example
```dockerfile
FROM python:3.13-slim
ENTRYPOINT ['python', '-m', 'app']
CMD ["--port", "8000",]
```

## Use instead
```dockerfile
FROM python:3.13-slim
ENTRYPOINT ["python", "-m", "app"]
CMD ["--port", "8000"]
```
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

from rules.base import CheckContext, Rule, Severity, Violation
from rules.model import Instruction

RULE = Rule(
    id="DP308",
    name="exec-form-invalid-json",
    title="An exec-form array that is not valid JSON runs through /bin/sh",
    severity=Severity.ERROR,
    fix='Write the array as JSON: double quotes ("), commas between elements and none after '
    'the last, backslashes doubled ("C:\\\\app")',
)

_OPEN_QUOTE = "\"'\u201c\u201d\u2018\u2019"
_SMART = "\u201c\u201d\u2018\u2019"


def check(ctx: CheckContext) -> Iterator[Violation]:
    for instr in ctx.dockerfile.instructions:
        text = _array_text(instr)
        if text is None or not _intended_json(text):
            continue
        reason = _why_invalid(text)
        if reason is None:
            continue
        what = "HEALTHCHECK CMD" if instr.keyword == "HEALTHCHECK" else instr.keyword
        if instr.keyword == "ONBUILD":
            what = f"ONBUILD {instr.sub_keyword}"
        shown = text if len(text) <= 60 else text[:57] + "..."
        yield Violation(
            line=instr.line,
            end_line=instr.end_line,
            message=f"{what} looks like exec form but is not valid JSON ({reason}): Docker "
            f"runs it as shell form, /bin/sh -c '{shown}'",
        )


def _array_text(instr: Instruction) -> str | None:
    keyword = instr.keyword
    value = instr.value.strip()
    if keyword == "ONBUILD" and instr.sub_keyword in ("CMD", "ENTRYPOINT", "RUN"):
        value = value.split(None, 1)[1].strip() if len(value.split(None, 1)) > 1 else ""
        keyword = instr.sub_keyword
    if keyword == "HEALTHCHECK":
        head, _, rest = value.partition(" ")
        if head.upper() != "CMD":
            return None
        value = rest.strip()
    elif keyword not in ("CMD", "ENTRYPOINT", "RUN"):
        return None
    if instr.keyword != "ONBUILD" and instr.json_args is not None:
        return None
    return value if value.startswith("[") else None


def _intended_json(text: str) -> bool:
    if len(text) > 1 and not text[1].isspace():
        # `[` as the test command needs a space after it; `["python"`, `['a'`, `[]` do not.
        return True
    first = text[1:].lstrip()
    if not first or first[0] not in _OPEN_QUOTE:
        return False
    # `[ "$A" = "b" ]` is a test; an array has quoted elements separated by commas.
    return re.search(r"[\"'\u201d\u2019]\s*,", text) is not None


def _why_invalid(text: str) -> str | None:
    try:
        data = json.loads(text)
    except ValueError as exc:
        return _describe(text, exc)
    if not isinstance(data, list):
        return "not an array"
    for n, item in enumerate(data, start=1):
        if not isinstance(item, str):
            kind = type(item).__name__.replace("int", "number").replace("float", "number")
            return f"element {n} is a {kind}, not a string: quote it"
    return None


def _describe(text: str, exc: ValueError) -> str:
    if any(ch in text for ch in _SMART):
        return "typographic quotes; JSON needs straight double quotes"
    if re.search(r"(\[|,)\s*'", text):
        return "single quotes; JSON needs double quotes"
    if re.search(r",\s*\]\s*$", text):
        return "a trailing comma before ]"
    if not text.rstrip().endswith("]"):
        return "no closing ]"
    message = getattr(exc, "msg", str(exc))
    if "escape" in message:
        return "an unescaped backslash; write \\\\"
    if "delimiter" in message:
        return "a missing comma between elements"
    col = getattr(exc, "colno", None)
    return f"{message} at column {col}" if col else message
