"""The handed cases (../shared/cases), one test each, through `main([...])` in-process.

Each case folder is materialised the way ../shared/tools/run_cases.py does (Dockerfile,
.dockerignore, and every path of tree.txt as a small file) and checked against expected.json.
why.txt in each folder explains the right behaviour.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from rules.cli import main

CASES = Path(__file__).resolve().parents[2] / "shared" / "cases"


def _cases() -> list[Path]:
    if not CASES.is_dir():
        return []
    return sorted(p for p in CASES.iterdir() if (p / "expected.json").is_file())


def materialise(case: Path, into: Path) -> None:
    for name in ("Dockerfile", ".dockerignore"):
        if (case / name).exists():
            shutil.copyfile(case / name, into / name)
    tree = case / "tree.txt"
    if tree.exists():
        for line in tree.read_text().splitlines():
            rel = line.strip()
            if not rel or rel.startswith("#") or rel in ("Dockerfile", ".dockerignore"):
                continue
            path = into / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("x\n")


def _run(argv: list[str], capsys) -> tuple[int, str, str]:
    capsys.readouterr()
    rc = main(argv)
    out, err = capsys.readouterr()
    return rc, out, err


def _hits(findings: list[dict], rule: str, first: int, last: int) -> bool:
    # A finding anywhere on the instruction's lines counts, as run_cases.py judges it.
    for f in findings:
        if f["rule"] != rule:
            continue
        line, end = f["line"], f.get("end_line") or f["line"]
        if first <= line <= last or line <= first <= end:
            return True
    return False


def _check(exp: dict, capsys) -> None:
    rc, out, err = _run(["check", "--format", "json", *exp.get("args", []), "Dockerfile"], capsys)
    assert "Traceback" not in err
    assert rc in exp.get("exit", [0, 1]), err
    if rc == 2:
        assert err.strip(), "exit 2 without a message"
        assert len(err.strip().splitlines()) == 1, err
        if exp.get("stderr_contains"):
            assert exp["stderr_contains"] in err
        return
    data = json.loads(out)
    findings = data["findings"]
    rules = {f["rule"] for f in findings}
    got = {(f["rule"], f["line"]) for f in findings}
    for entry in exp.get("must", []):
        rule, line = entry[0], entry[1]
        if line is None:
            assert rule in rules, f"missing {rule}; got {sorted(got)}"
            continue
        last = entry[2] if len(entry) > 2 else line
        assert _hits(findings, rule, line, last), f"missing {rule}@{line}; got {sorted(got)}"
    for rule in exp.get("must_not", []):
        assert rule not in rules, [f["message"] for f in findings if f["rule"] == rule]
    for rule, line in exp.get("must_not_at", []):
        assert (rule, line) not in got
    for rule, text in exp.get("message_contains", {}).items():
        assert any(text in f["message"] for f in findings if f["rule"] == rule)
    for rule, text in exp.get("message_not_contains", {}).items():
        assert not any(text in f["message"] for f in findings if f["rule"] == rule)
    if exp.get("no_dockperf_findings"):
        assert [f for f in findings if f["source"] == "dockperf"] == []


def _parse(exp: dict, capsys) -> None:
    rc, out, err = _run(["parse", "Dockerfile"], capsys)
    assert rc == 0, err
    data = json.loads(out)
    got = [i for i in data["instructions"] if i["keyword"].upper() not in ("COMMENT", "")]
    want = exp["instructions"]
    assert [(i["keyword"], i["line"], i["end_line"]) for i in got] == [
        (w[0], w[1], w[2]) for w in want
    ]
    for instr, w in zip(got, want, strict=True):
        if len(w) > 3 and w[3] is not None:
            assert w[3] in [h["body"] for h in instr["heredocs"]]
    for k, w in enumerate(exp.get("stages", [])):
        assert data["stages"][k]["base"] == w[0]


def _context(exp: dict, capsys) -> None:
    rc, out, err = _run(["context", "--format", "json", "."], capsys)
    assert rc == 0, err
    files = {f["path"] for f in json.loads(out)["files"]} - {"Dockerfile", ".dockerignore"}
    assert files == set(exp["files"])


@pytest.mark.parametrize("case", _cases(), ids=lambda p: p.name)
def test_case(case: Path, tmp_path: Path, monkeypatch, capsys) -> None:
    exp = json.loads((case / "expected.json").read_text())
    materialise(case, tmp_path)
    monkeypatch.chdir(tmp_path)
    {"check": _check, "parse": _parse, "context": _context}[exp["kind"]](exp, capsys)


def test_cases_are_there() -> None:
    assert _cases(), f"no cases under {CASES}"
