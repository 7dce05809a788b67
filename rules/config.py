"""Configuration: `[tool.dockperf]` in pyproject.toml, or a `.dockperf.toml` (top-level table).

The nearest configuration file at or above the checked file's folder wins, so the checks behave
the same in users' own repositories as here. Keys:

    select = ["DP1", "DP301"]        # ids or id prefixes; default: every rule
    ignore = ["DP105", "DL3008"]     # ids or prefixes; hadolint ids too
    severity = { DP501 = "warning" } # per-rule override: info | warning | error
    failure-threshold = "warning"    # info | warning | error | none (never fail)

A bad file is an InputError naming it, so the CLI exits 2 with one line.
"""

# No `from __future__ import annotations`: NamedTuple field types stay objects (rules/base.py).

import re
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import NamedTuple

from rules.base import Severity
from rules.errors import InputError

PYPROJECT = "pyproject.toml"
DOCKPERF_TOML = ".dockperf.toml"
# Our ids (DP101), hadolint's (DL3008) and ShellCheck's (SC2086), or a prefix of one (DP1).
_ID = re.compile(r"^(ALL|[A-Z]{2}[0-9]{0,4})$")
_KEYS = frozenset({"select", "ignore", "severity", "failure-threshold"})


class Config(NamedTuple):
    """Immutable like a frozen dataclass, and cheaper to define at startup."""

    select: tuple[str, ...] | None = None  # None: every rule
    ignore: tuple[str, ...] = ()
    severity: Mapping[str, Severity] = MappingProxyType({})
    # None means "none": findings never fail the check.
    failure_threshold: Severity | None = Severity.INFO
    path: str | None = None  # the file it came from, for messages


DEFAULT = Config()


def parse_threshold(text: str) -> Severity | None:
    if text.strip().lower() == "none":
        return None
    return Severity.parse(text)


def matches(rule_id: str, patterns: tuple[str, ...]) -> bool:
    """`DP1` selects DP101..DP199; `ALL` selects everything (ruff's prefix semantics)."""
    return any(p == "ALL" or rule_id.startswith(p) for p in patterns)


def find_config_file(start: str | Path) -> Path | None:
    """The nearest .dockperf.toml, or pyproject.toml with a [tool.dockperf] table, at or above
    `start` (a file or a folder)."""
    # absolute(), not resolve(): a symlink loop must not fail here (the reader reports it).
    here = Path(start).absolute()
    if not here.is_dir():
        here = here.parent
    for folder in (here, *here.parents):
        candidate = folder / DOCKPERF_TOML
        if candidate.is_file():
            return candidate
        candidate = folder / PYPROJECT
        # A cheap text test first: most pyproject.toml files have no [tool.dockperf] table and
        # parsing TOML on every check costs startup time.
        if candidate.is_file() and _mentions_dockperf(candidate):
            return candidate
    return None


def _mentions_dockperf(path: Path) -> bool:
    try:
        return "tool.dockperf" in path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False


def load_config(path: str | Path) -> Config:
    """Read one configuration file; raise InputError naming it on anything wrong."""
    import tomllib  # only when a config file exists: keeps the plain check fast

    path = Path(path)
    shown = str(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(shown, f"cannot read config: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise InputError(shown, "config is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        # Python 3.11's TOMLDecodeError has no lineno; its message ends "(at line N, column M)".
        m = re.search(r"\s*\(at line (\d+), column \d+\)$", str(exc))
        line = int(m.group(1)) if m else None
        text = str(exc)[: m.start()] if m else str(exc)
        raise InputError(shown, f"invalid TOML: {text}", line) from None
    if path.name == PYPROJECT:
        table = data.get("tool", {}).get("dockperf")
        if table is None:
            return Config(path=shown)
    else:
        table = data
    if not isinstance(table, dict):
        raise InputError(shown, "[tool.dockperf] must be a table")
    return config_from_table(table, shown)


def config_from_table(table: Mapping[str, object], shown: str) -> Config:
    for key, value in table.items():
        # Sub-tables ([tool.dockperf.bench]) belong to other parts of dockperf.
        if key not in _KEYS and not isinstance(value, dict):
            known = ", ".join(sorted(_KEYS))
            raise InputError(shown, f"unknown dockperf config key {key!r} (known: {known})")
    select = None
    if "select" in table:
        select = _ids(table["select"], "select", shown)
    ignore = _ids(table.get("ignore", []), "ignore", shown)
    severity: dict[str, Severity] = {}
    raw_sev = table.get("severity", {})
    if not isinstance(raw_sev, dict):
        raise InputError(shown, "severity must be a table of rule id = level")
    for rule_id, level in raw_sev.items():
        _check_id(rule_id, "severity", shown)
        if not isinstance(level, str):
            raise InputError(shown, f"severity.{rule_id} must be info, warning or error")
        try:
            severity[rule_id] = Severity.parse(level)
        except ValueError as exc:
            raise InputError(shown, f"severity.{rule_id}: {exc}") from None
    threshold: Severity | None = Severity.INFO
    if "failure-threshold" in table:
        raw = table["failure-threshold"]
        if not isinstance(raw, str):
            raise InputError(shown, "failure-threshold must be info, warning, error or none")
        try:
            threshold = parse_threshold(raw)
        except ValueError:
            raise InputError(
                shown, f"failure-threshold {raw!r}: use info, warning, error or none"
            ) from None
    return Config(select, ignore, severity, threshold, shown)


def _ids(value: object, key: str, shown: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise InputError(shown, f"{key} must be a list of rule ids")
    for item in value:
        _check_id(item, key, shown)
    return tuple(value)


def _check_id(item: object, key: str, shown: str) -> None:
    if not isinstance(item, str) or not _ID.match(item):
        raise InputError(shown, f"{key}: {item!r} is not a rule id or prefix (like DP101 or DP1)")


def config_for(path: str | Path) -> Config:
    found = find_config_file(path)
    return load_config(found) if found is not None else DEFAULT
