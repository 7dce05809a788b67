"""Values shared by the rules, the engine and the reporters.

A rule module exports `RULE: Rule` and a pure `check(ctx: CheckContext) -> Iterable[Violation]`.
Rules never read files, config or the environment and never print; the engine turns violations
into findings (path, effective severity, suppressions, sorting).
"""

# No `from __future__ import annotations`: NamedTuple field types stay objects (see below).

from collections.abc import Mapping
from enum import IntEnum
from types import MappingProxyType
from typing import NamedTuple

from rules.dockerignore import IgnoreFile
from rules.model import Dockerfile


class Severity(IntEnum):
    INFO = 1
    WARNING = 2
    ERROR = 3

    @classmethod
    def parse(cls, text: str) -> "Severity":
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown severity {text!r} (use info, warning or error)") from None

    def __str__(self) -> str:
        return self.name.lower()


# Value types on the lint path are typing.NamedTuples, not the frozen dataclasses STYLE.md asks
# for: a deliberate exception, for start-up time (issue 2, "Speed": a single-file check may take
# no longer than hadolint, 70-80 ms here). Measured on Python 3.11: `import dataclasses` costs
# ~15 ms (it imports inspect, ast, dis, tokenize) and each frozen dataclass ~0.5-1 ms, against
# ~0.1 ms for a NamedTuple; a check defines ~40 of them. NamedTuples are as immutable
# (`x._replace(...)` for `dataclasses.replace`) but they are tuples: they unpack and compare equal
# to a tuple of the same items; nothing here relies on either. Model values that compare by
# identity (Instruction, Stage, Dockerfile) say so in their bodies; mutable accumulators are small
# classes with __slots__. Modules that define NamedTuples do without `from __future__ import
# annotations`: typing makes each string annotation a ForwardRef, and the compile() that costs
# builds every AST node type the first time (~2.5 ms). tests/test_lint_path_imports.py checks
# both. bench/ is not on the lint path and keeps dataclasses.
class Rule(NamedTuple):
    id: str  # "DP101"
    name: str  # kebab-case, names the bad pattern: "apt-without-cache-mount"
    title: str  # one line for `list`
    severity: Severity
    fix: str  # one line: what to do instead
    # Whether `check --fix` can repair it; the fixer lives in rules/fix.py.
    fixable: bool = False


class Edit(NamedTuple):
    """A safe autofix: replace lines `line`..`end_line` (1-based, inclusive) with `lines`.

    `end_line = line - 1` inserts before `line`. Edits are applied by the engine (`check --fix`),
    bottom-up, and never two that overlap.
    """

    line: int
    end_line: int
    lines: tuple[str, ...]
    file: str = "dockerfile"  # or "dockerignore"


class Violation(NamedTuple):
    """What a rule reports: where, and the concrete defect. 1-based lines and columns."""

    line: int
    message: str
    end_line: int | None = None
    column: int = 1
    # Which file it is in: the Dockerfile unless a rule about .dockerignore says otherwise.
    file: str = "dockerfile"  # "dockerfile" | "dockerignore" | a context-relative path
    fix: str | None = None  # overrides Rule.fix when the fix depends on the input
    edits: tuple[Edit, ...] = ()  # a safe autofix, when the rule can make one


class Finding(NamedTuple):
    rule: str
    name: str
    severity: Severity
    file: str
    line: int
    column: int
    end_line: int
    message: str
    fix: str
    source: str = "dockperf"  # or "hadolint"

    def sort_key(self) -> tuple:
        return (self.file, self.line, self.column, self.rule, self.message)


class CheckContext(NamedTuple):
    """Everything a rule may look at. Built once per Dockerfile by the engine."""

    dockerfile: Dockerfile
    # The build context's .dockerignore (None when the context has none).
    dockerignore: IgnoreFile | None
    # Files BuildKit would send, relative to the context, with sizes. None when the context
    # folder does not exist (e.g. a Dockerfile checked on its own from stdin).
    context_files: dict[str, int] | None
    # The full list of files in the context folder before .dockerignore (relative paths).
    all_files: tuple[str, ...] | None = None
    # Text of files copied from the context that rules may read (entrypoint scripts), by path.
    context_texts: Mapping[str, str] = MappingProxyType({})
    target: str | None = None  # --target; None means the last stage
