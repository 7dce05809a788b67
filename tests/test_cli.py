"""rules.cli: `main([...])` in-process; exit codes, outputs, bad input, report files, fixes."""

from __future__ import annotations

import json
import types
from collections.abc import Iterator
from pathlib import Path

import pytest

from rules.base import CheckContext, Edit, Rule, Severity, Violation
from rules.cli import discover, main

# One empty continuation line (DP902, info) at line 3.
EMPTY_CONTINUATION = "FROM python:3.13-slim\nRUN echo a && \\\n\n    echo b\n"


@pytest.fixture
def project(tmp_path: Path, monkeypatch) -> Path:
    """A folder to run in, with no configuration file above it that we do not control."""
    (tmp_path / ".dockperf.toml").write_text("")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(capsys, *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def test_check_text_output_exact(project, capsys):
    (project / "Dockerfile").write_text(EMPTY_CONTINUATION)
    rc, out, err = run(capsys, "check", "--select", "DP902", "Dockerfile")
    assert (rc, err) == (1, "")
    assert out == (
        "Dockerfile:3:1: DP902 [info] Empty continuation line found: BuildKit deprecates this "
        "syntax and other parsers end the instruction here\n"
        "    fix: Delete the empty line, or put a `#` comment on it\n"
        "Found 1 finding (1 info) in 1 file.\n"
    )


def test_check_json_output_exact(project, capsys):
    (project / "Dockerfile").write_text(EMPTY_CONTINUATION)
    rc, out, _ = run(capsys, "check", "--select", "DP902", "--format", "json", "Dockerfile")
    data = json.loads(out)
    assert rc == 1
    assert data["schema"] == 1
    assert data["tool"]["name"] == "dockerfile-rules"
    assert data["findings"] == [
        {
            "rule": "DP902",
            "name": "empty-continuation-line",
            "severity": "info",
            "file": "Dockerfile",
            "line": 3,
            "column": 1,
            "end_line": 3,
            "message": "Empty continuation line found: BuildKit deprecates this syntax and "
            "other parsers end the instruction here",
            "fix": "Delete the empty line, or put a `#` comment on it",
            "source": "dockperf",
        }
    ]
    assert data["dropped_hadolint"] == []


def test_check_github_output(project, capsys):
    (project / "Dockerfile").write_text(EMPTY_CONTINUATION)
    rc, out, _ = run(capsys, "check", "--select", "DP902", "--format", "github", "Dockerfile")
    assert rc == 1
    assert out.startswith("::notice file=Dockerfile,line=3,endLine=3,title=DP902::Empty ")


def test_failure_threshold_and_severity_from_the_command_line(project, capsys):
    (project / "Dockerfile").write_text(EMPTY_CONTINUATION)
    args = ("check", "--select", "DP902", "Dockerfile")
    assert run(capsys, *args, "--failure-threshold", "warning")[0] == 0
    assert run(capsys, *args, "--failure-threshold", "none")[0] == 0
    rc, out, _ = run(capsys, *args, "--failure-threshold", "warning", "--severity", "DP902=error")
    assert rc == 1
    assert "DP902 [error]" in out
    assert run(capsys, *args, "--ignore", "DP902")[0] == 0


def test_config_file_is_used_unless_no_config(project, capsys):
    (project / "Dockerfile").write_text(EMPTY_CONTINUATION)
    (project / ".dockperf.toml").write_text('select = ["DP902"]\nfailure-threshold = "warning"\n')
    assert run(capsys, "check", "Dockerfile")[0] == 0
    rc, _out, _ = run(capsys, "check", "--no-config", "--select", "DP902", "Dockerfile")
    assert rc == 1


def test_bad_config_is_exit_2_naming_the_file(project, capsys):
    (project / "Dockerfile").write_text("FROM a\n")
    (project / ".dockperf.toml").write_text('# ours\nselect = = "DP1"\n')
    rc, _out, err = run(capsys, "check", "Dockerfile")
    assert rc == 2
    assert err.startswith(f"{project / '.dockperf.toml'}:2: invalid TOML")
    assert err.count("\n") == 1


def test_directory_finds_every_dockerfile_and_the_dockerignore(project, capsys):
    svc = project / "svc"
    svc.mkdir()
    for name in ("Dockerfile", "Dockerfile.dev", "api.Dockerfile", "Containerfile"):
        (svc / name).write_text("FROM a\n")
    (svc / "Dockerfile.dockerignore").write_text("x\n")
    (svc / "README.md").write_text("no\n")
    assert discover(["svc/"]) == [
        ("dockerfile", "svc/Containerfile"),
        ("dockerfile", "svc/Dockerfile"),
        ("dockerfile", "svc/Dockerfile.dev"),
        ("dockerfile", "svc/api.Dockerfile"),
    ]
    # A changed .dockerignore (pre-commit passes it) checks the Dockerfiles it serves; each once.
    (svc / ".dockerignore").write_text("x\n")
    assert discover(["svc/.dockerignore", "svc/Dockerfile"])[0] == (
        "dockerfile",
        "svc/Containerfile",
    )
    assert len(discover(["svc/.dockerignore", "svc/Dockerfile"])) == 4
    lone = project / "lone"
    lone.mkdir()
    (lone / ".dockerignore").write_text("x\n")
    assert discover(["lone/.dockerignore"]) == [("dockerignore", "lone/.dockerignore")]
    rc, out, err = run(capsys, "check", "--select", "DP902", "svc")
    assert (rc, err) == (0, "")
    assert out == "No findings in 4 files.\n"


def test_a_lone_dockerignore_is_checked(project, capsys):
    lone = project / "lone"
    lone.mkdir()
    (lone / ".dockerignore").write_text("x\n")
    rc, _out, err = run(capsys, "check", "lone/.dockerignore")
    assert (rc, err) == (0, "")


# --------------------------------------------------------------------------- bad input


def _bad_inputs(root: Path) -> dict[str, tuple[list[str], str]]:
    (root / "empty").write_bytes(b"")
    (root / "binary").write_bytes(b"FROM a\n\x00\x00\x00")
    (root / "latin1").write_bytes(b"FROM a\nLABEL x=\xe9\n")
    huge = root / "huge"
    with huge.open("wb") as fh:
        fh.truncate(10 * 1024 * 1024)
    (root / "template").write_text("{{ include 'base' }}\nFROM a\n")
    (root / "nodockerfile").mkdir()
    # Permissions do not stop root; a symlink to itself cannot be opened by anyone (ELOOP).
    (root / "unreadable").symlink_to("unreadable")
    (root / "rejected").write_text("FROM a\nRUN --chown=1 echo\n")
    (root / "ctx").mkdir()
    (root / "ctx" / "Dockerfile").write_text("FROM a\n")
    (root / "ctx" / ".dockerignore").write_bytes(b"\x00")
    return {
        "empty": (["check", "empty"], "empty:"),
        "binary": (["check", "binary"], "binary:2:"),
        "not utf-8": (["check", "latin1"], "latin1:2:"),
        "huge": (["check", "huge"], "huge:"),
        "template": (["check", "template"], "template:1: unknown instruction"),
        "directory without dockerfile": (["check", "nodockerfile"], "nodockerfile:"),
        "missing": (["check", "missing"], "missing: no such file"),
        "unreadable": (["check", "unreadable"], "unreadable:"),
        "build rejects": (["check", "rejected"], "rejected:2:"),
        "bad target": (["check", "--target", "nope", "rejected"], "rejected:"),
        "bad dockerignore": (["check", "ctx/Dockerfile"], "ctx/.dockerignore:1:"),
        "bad context": (["check", "--context", "nowhere", "ctx/Dockerfile"], "nowhere:"),
        "parse empty": (["parse", "empty"], "empty:"),
        "parse missing": (["parse", "missing"], "missing:"),
        "context not a dir": (["context", "empty"], "empty:"),
        "bad build arg": (["check", "--build-arg", "=x", "ctx/Dockerfile"], "--build-arg"),
        "unknown option": (["check", "--frobnicate", "ctx/Dockerfile"], "unrecognized"),
        "no command": ([], "dockerfile-rules"),
        "unknown rule": (["explain", "DP999"], "unknown rule"),
    }


@pytest.mark.parametrize(
    "kind",
    [
        "empty",
        "binary",
        "not utf-8",
        "huge",
        "template",
        "directory without dockerfile",
        "missing",
        "unreadable",
        "build rejects",
        "bad target",
        "bad dockerignore",
        "bad context",
        "parse empty",
        "parse missing",
        "context not a dir",
        "bad build arg",
        "unknown option",
        "no command",
        "unknown rule",
    ],
)
def test_bad_input_is_exit_2_with_one_line(project, capsys, kind):
    argv, fragment = _bad_inputs(project)[kind]
    rc, out, err = run(capsys, *argv)
    assert rc == 2, (out, err)
    assert "Traceback" not in err
    assert err.count("\n") == 1 and err.endswith("\n"), err
    assert fragment in err
    assert out == ""


def test_one_bad_file_does_not_hide_the_others(project, capsys):
    Path("good").write_text("FROM a\n")
    Path("bad").write_text("")
    rc, _out, err = run(capsys, "check", "bad", "good")
    assert rc == 2
    assert err.startswith("bad:")


# --------------------------------------------------------------------------- report files


def test_output_files_are_written_whole(project, capsys):
    (project / "Dockerfile").write_text(EMPTY_CONTINUATION)
    (project / "reports").mkdir()
    rc, out, _ = run(
        capsys,
        "check",
        "--select",
        "DP902",
        "--output-json",
        "reports/lint.json",
        "--output-sarif",
        "reports/lint.sarif",
        "Dockerfile",
    )
    assert rc == 1
    assert "DP902" in out  # the console still gets text
    data = json.loads(Path("reports/lint.json").read_text())
    assert [f["rule"] for f in data["findings"]] == ["DP902"]
    sarif = json.loads(Path("reports/lint.sarif").read_text())
    assert sarif["runs"][0]["results"][0]["ruleId"] == "DP902"
    assert sorted(p.name for p in (project / "reports").iterdir()) == ["lint.json", "lint.sarif"]


def test_a_report_that_cannot_be_written_is_exit_2_and_leaves_the_old_one(
    project, capsys, monkeypatch
):
    (project / "Dockerfile").write_text("FROM a\n")
    Path("lint.json").write_text("old")

    def fail(self, target):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "replace", fail)
    rc, _out, err = run(capsys, "check", "--output-json", "lint.json", "Dockerfile")
    assert rc == 2
    assert err == "lint.json: cannot write report: No space left on device\n"
    assert Path("lint.json").read_text() == "old"
    assert sorted(p.name for p in project.iterdir()) == [
        ".dockperf.toml",
        "Dockerfile",
        "lint.json",
    ]


def test_missing_report_folder_is_exit_2(project, capsys):
    (project / "Dockerfile").write_text("FROM a\n")
    rc, _, err = run(capsys, "check", "--output-sarif", "no/such/dir/x.sarif", "Dockerfile")
    assert rc == 2
    assert err.startswith("no/such/dir/x.sarif: cannot write report")


# --------------------------------------------------------------------------- --fix and --diff


def _add_cache_comment(ctx: CheckContext) -> Iterator[Violation]:
    lines = ctx.dockerfile.lines
    for instr in ctx.dockerfile.instructions:
        if instr.keyword == "RUN" and lines[instr.line - 2] != "# cached":
            yield Violation(
                instr.line,
                "RUN is not cached",
                edits=(Edit(instr.line, instr.line - 1, ("# cached",)),),
            )


@pytest.fixture
def fixable_rule(monkeypatch):
    module = types.ModuleType("rules.fake_fixable")
    module.__doc__ = "## What it does\nStand-in."
    module.RULE = Rule("DP101", "stand-in", "stand-in", Severity.WARNING, "cache it", True)
    module.check = _add_cache_comment
    monkeypatch.setattr("rules.registry.rule_modules", lambda: [module])


def test_diff_prints_and_writes_nothing(project, capsys, fixable_rule):
    Path("Dockerfile").write_text("FROM a\nRUN x\n")
    rc, out, _err = run(capsys, "check", "--diff", "Dockerfile")
    assert rc == 1
    assert out == (
        "--- a/Dockerfile\n+++ b/Dockerfile\n@@ -1,2 +1,3 @@\n FROM a\n+# cached\n RUN x\n"
    )
    assert Path("Dockerfile").read_text() == "FROM a\nRUN x\n"


def test_fix_writes_then_reports_what_is_left(project, capsys, fixable_rule):
    Path("Dockerfile").write_text("FROM a\nRUN x\n")
    rc, out, err = run(capsys, "check", "--fix", "Dockerfile")
    assert rc == 0
    assert Path("Dockerfile").read_text() == "FROM a\n# cached\nRUN x\n"
    assert err == "fixed Dockerfile\n"
    assert out == "No findings in 1 file.\n"
    assert run(capsys, "check", "--diff", "Dockerfile")[:2] == (0, "")


# --------------------------------------------------------------------------- other commands


def test_parse_contract_and_build_args(project, capsys):
    Path("Dockerfile").write_text(
        "ARG PY=3.12\nFROM python:${PY}-slim AS Build\nRUN <<EOF\necho hi\nEOF\n"
    )
    rc, out, _ = run(capsys, "parse", "--build-arg", "PY=3.13", "Dockerfile")
    assert rc == 0
    data = json.loads(out)
    assert data["stages"][0]["base"] == "python:3.13-slim"
    assert data["stages"][0]["name"] == "Build"
    run_instr = data["instructions"][2]
    assert {k: run_instr[k] for k in ("keyword", "line", "end_line", "flags", "heredocs")} == {
        "keyword": "RUN",
        "line": 3,
        "end_line": 5,
        "flags": [],
        "heredocs": [{"name": "EOF", "body": "echo hi\n"}],
    }


def test_context_json_and_text(project, capsys):
    Path("app").mkdir()
    Path("app/main.py").write_text("print(1)\n")
    Path(".venv").mkdir()
    Path(".venv/big").write_bytes(b"x" * 5000)
    Path(".dockerignore").write_text(".venv\n")
    rc, out, _ = run(capsys, "context", "--format", "json", ".")
    assert rc == 0
    data = json.loads(out)
    assert {f["path"]: f["size"] for f in data["files"]} == {
        ".dockerignore": 6,
        ".dockperf.toml": 0,
        "app/main.py": 9,
    }
    assert data["total_bytes"] == 15
    rc, out, _ = run(capsys, "context", ".")
    assert out.splitlines() == [
        " 6 B  .dockerignore",
        " 0 B  .dockperf.toml",
        " 9 B  app/main.py",
        "15 B  total (3 files, 15 bytes)",
    ]


def test_explain_and_list(capsys):
    rc, out, _ = run(capsys, "explain", "DP902")
    assert rc == 0
    assert out.startswith("DP902 empty-continuation-line [info]\n")
    assert "## What it does" in out and "## Use instead" in out
    assert run(capsys, "explain", "dp902")[1] == out
    assert run(capsys, "explain", "empty-continuation-line")[1] == out
    rc, out, _ = run(capsys, "list")
    assert rc == 0
    lines = out.splitlines()
    assert lines[0].split() == ["ID", "SEVERITY", "NAME", "TITLE", "FIXABLE"]
    assert any(line.startswith("DP902 ") and "empty-continuation-line" in line for line in lines)


def test_help_is_exit_0(capsys):
    rc, out, _ = run(capsys, "--help")
    assert rc == 0
    assert "check" in out


def test_cli_does_not_import_docker_or_heavy_modules():
    import subprocess
    import sys

    code = (
        "import sys; from rules.cli import main; "
        "main(['check', '--select', 'DP902', '--no-config', sys.argv[1]]); "
        "heavy = ('docker', 'requests', 'jsonschema', 'tomllib', 'tempfile', 'rich', 'shutil'); "
        "print([m for m in heavy if m in sys.modules])"
    )
    root = Path(__file__).resolve().parents[1]
    dockerfile = root / "tests" / "fixtures" / "DP902" / "good.Dockerfile"
    out = subprocess.run(
        [sys.executable, "-c", code, str(dockerfile)], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip().splitlines()[-1] == "[]"
