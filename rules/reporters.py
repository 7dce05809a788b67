"""Reporters: pure functions from a Report to text. The CLI decides where the text goes."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from rules.base import Severity

if TYPE_CHECKING:
    from rules.base import Finding
    from rules.engine import Report, RuleDoc

TOOL_NAME = "dockerfile-rules"
# Used when the installed metadata names no repository ([project.urls] Repository/Homepage).
INFORMATION_URI = "https://github.com/dockperf/dockperf"
HADOLINT_WIKI = "https://github.com/hadolint/hadolint/wiki/{id}"
SHELLCHECK_WIKI = "https://www.shellcheck.net/wiki/{id}"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
_GITHUB_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def tool_version() -> str:
    # A constant, not importlib.metadata: reading the installed metadata costs 20-50 ms a run.
    from rules import __version__

    return __version__


def information_uri() -> str:
    """The project's repository from its metadata ([project.urls]), else INFORMATION_URI."""
    from importlib.metadata import PackageNotFoundError, metadata

    try:
        urls = metadata("dockperf").get_all("Project-URL") or []
    except PackageNotFoundError:
        return INFORMATION_URI
    found = {}
    for entry in urls:
        label, _, url = entry.partition(",")
        found[label.strip().lower()] = url.strip()
    for label in ("repository", "source", "homepage"):
        if found.get(label, "").startswith("https://"):
            return found[label].rstrip("/")
    return INFORMATION_URI


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def summary(report: Report) -> str:
    files = _plural(len(report.files), "file")
    if not report.findings:
        return f"No findings in {files}."
    counts = {s: sum(1 for f in report.findings if f.severity == s) for s in Severity}
    parts = ", ".join(
        f"{counts[s]} {s}" for s in (Severity.ERROR, Severity.WARNING, Severity.INFO) if counts[s]
    )
    return f"Found {_plural(len(report.findings), 'finding')} ({parts}) in {files}."


def text(report: Report) -> str:
    """`path:line:col: DP101 [warning] message`, the fix indented under it, then a summary."""
    out = []
    for f in report.findings:
        out.append(f"{f.file}:{f.line}:{f.column}: {f.rule} [{f.severity}] {f.message}")
        if f.fix:
            out.append(f"    fix: {f.fix}")
    for note in report.notes:
        out.append(f"note: {note}")
    out.append(summary(report))
    return "\n".join(out) + "\n"


def _finding_json(f: Finding) -> dict:
    return {
        "rule": f.rule,
        "name": f.name,
        "severity": str(f.severity),
        "file": f.file,
        "line": f.line,
        "column": f.column,
        "end_line": f.end_line,
        "message": f.message,
        "fix": f.fix,
        "source": f.source,
    }


def json_report(report: Report) -> str:
    data = {
        "schema": 1,
        "tool": {"name": TOOL_NAME, "version": tool_version()},
        "files": list(report.files),
        "findings": [_finding_json(f) for f in report.findings],
        "dropped_hadolint": list(report.dropped_hadolint),
        "notes": list(report.notes),
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _uri(path: str) -> str:
    # SARIF wants URI references: forward slashes, percent-encoding for spaces and the like.
    from urllib.parse import quote

    return quote(path.replace("\\", "/").removeprefix("./"))


def _help_uri(rule_id: str, doc: RuleDoc | None, base: str = INFORMATION_URI) -> str:
    if doc is not None:
        # A rule's documentation is its module's docstring (also printed by `explain ID`).
        return f"{base}/blob/main/{doc.module.replace('.', '/')}.py"
    if rule_id.startswith("SC"):
        return SHELLCHECK_WIKI.format(id=rule_id)
    return HADOLINT_WIKI.format(id=rule_id)


def _sarif_rule(rule_id: str, doc: RuleDoc | None, finding: Finding | None, base: str) -> dict:
    if doc is not None:
        rule = doc.rule
        full = doc.doc or rule.title
        return {
            "id": rule.id,
            "name": rule.name,
            "shortDescription": {"text": rule.title},
            "fullDescription": {"text": full},
            "help": {"text": f"{rule.title}. Fix: {rule.fix}", "markdown": full},
            "helpUri": _help_uri(rule.id, doc, base),
            "defaultConfiguration": {"level": _SARIF_LEVEL[rule.severity]},
            "properties": {"fixable": rule.fixable, "tags": [rule.id[:3] + "xx"]},
        }
    # hadolint / ShellCheck rules: all we know is their id and a finding's name.
    name = finding.name if finding is not None and finding.name else rule_id
    level = _SARIF_LEVEL[finding.severity] if finding is not None else "warning"
    return {
        "id": rule_id,
        "name": name,
        "shortDescription": {"text": name},
        "fullDescription": {"text": f"{rule_id} reported by hadolint: {name}"},
        "helpUri": _help_uri(rule_id, None),
        "defaultConfiguration": {"level": level},
    }


def sarif(report: Report) -> str:
    """SARIF 2.1.0: one run, rule metadata from the rules' docstrings, one result per finding."""
    docs = {d.rule.id: d for d in report.rules}
    order: list[str] = [d.rule.id for d in report.rules]
    first: dict[str, Finding] = {}
    for f in report.findings:
        if f.rule not in docs and f.rule not in first:
            first[f.rule] = f
            order.append(f.rule)
    index = {rule_id: k for k, rule_id in enumerate(order)}
    base = information_uri()
    rules = [_sarif_rule(r, docs.get(r), first.get(r), base) for r in order]
    results = []
    for f in report.findings:
        region = {"startLine": max(f.line, 1), "startColumn": max(f.column, 1)}
        if f.end_line and f.end_line >= f.line:
            region["endLine"] = f.end_line
        result = {
            "ruleId": f.rule,
            "ruleIndex": index[f.rule],
            "level": _SARIF_LEVEL[f.severity],
            "message": {"text": f.message + (f" Fix: {f.fix}" if f.fix else "")},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": _uri(f.file)},
                        "region": region,
                    }
                }
            ],
            "properties": {"source": f.source},
        }
        results.append(result)
    data = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": TOOL_NAME,
                        "version": tool_version(),
                        "informationUri": base,
                        "rules": rules,
                    }
                },
                "results": results,
            }
        ],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _escape_data(value: str) -> str:
    # GitHub workflow commands: % CR LF are escaped in the message ...
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    # ... and also : and , in properties (actions/toolkit, command.ts).
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


def github(report: Report) -> str:
    """`::warning file=...,line=...,endLine=...,title=DP101::message` per finding."""
    out = []
    for f in report.findings:
        props = [
            f"file={_escape_property(f.file)}",
            f"line={f.line}",
            f"endLine={f.end_line}",
            f"title={_escape_property(f.rule)}",
        ]
        message = f.message + (f" Fix: {f.fix}" if f.fix else "")
        out.append(f"::{_GITHUB_LEVEL[f.severity]} {','.join(props)}::{_escape_data(message)}")
    return "\n".join(out) + ("\n" if out else "")


FORMATS = {"text": text, "json": json_report, "sarif": sarif, "github": github}


def render(report: Report, fmt: str) -> str:
    return FORMATS[fmt](report)
