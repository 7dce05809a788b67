"""rules.engine: findings from violations, select/ignore, severities, suppressions, DP900, fixes.

Most tests run stand-in rules (tiny modules made here) so they test the engine, not a rule.
"""

from __future__ import annotations

import types
from collections.abc import Iterator
from pathlib import Path

import pytest

from rules import engine
from rules.base import CheckContext, Edit, Rule, Severity, Violation
from rules.config import Config
from rules.errors import InputError


def make_rule(
    rule_id: str,
    check,
    severity: Severity = Severity.WARNING,
    fixable: bool = False,
    name: str = "stand-in",
) -> types.ModuleType:
    module = types.ModuleType(f"rules.fake_{rule_id.lower()}")
    module.__doc__ = f"## What it does\n{rule_id} stand-in."
    module.RULE = Rule(rule_id, name, f"{rule_id} title", severity, f"fix {rule_id}", fixable)
    module.check = check
    return module


def every_run(ctx: CheckContext) -> Iterator[Violation]:
    """A violation on every RUN, anchored at its first line."""
    for instr in ctx.dockerfile.instructions:
        if instr.keyword == "RUN":
            yield Violation(instr.line, f"RUN at {instr.line}", end_line=instr.end_line)


def every_pattern(ctx: CheckContext) -> Iterator[Violation]:
    for pattern in ctx.dockerignore.patterns if ctx.dockerignore else ():
        yield Violation(pattern.line, f"pattern {pattern.raw}", file="dockerignore")


@pytest.fixture
def rules_in_use(monkeypatch):
    """Replace the registry with the given stand-in modules."""

    def use(*modules: types.ModuleType) -> None:
        monkeypatch.setattr("rules.registry.rule_modules", lambda: list(modules))

    return use


def write(folder: Path, text: str, name: str = "Dockerfile") -> str:
    path = folder / name
    path.write_text(text)
    return str(path)


DOCKERFILE = """\
FROM python:3.13-slim
RUN echo one
# dockperf ignore=DP001
RUN echo two \\
    && echo three
RUN echo four
"""


def test_findings_carry_path_severity_fix_and_are_sorted(tmp_path, rules_in_use):
    rules_in_use(make_rule("DP002", every_run), make_rule("DP001", every_run, Severity.INFO))
    path = write(tmp_path, DOCKERFILE.replace("# dockperf ignore=DP001\n", "# plain\n"))
    result = engine.check_dockerfile(path)
    got = [(f.rule, f.line, f.end_line, str(f.severity), f.file) for f in result.findings]
    assert got == [
        ("DP001", 2, 2, "info", path),
        ("DP002", 2, 2, "warning", path),
        ("DP001", 4, 5, "info", path),
        ("DP002", 4, 5, "warning", path),
        ("DP001", 6, 6, "info", path),
        ("DP002", 6, 6, "warning", path),
    ]
    assert result.findings[0].fix == "fix DP001"
    assert {f.source for f in result.findings} == {"dockperf"}


def test_inline_suppression_covers_the_next_instruction_only(tmp_path, rules_in_use):
    rules_in_use(make_rule("DP001", every_run), make_rule("DP002", every_run))
    result = engine.check_dockerfile(write(tmp_path, DOCKERFILE))
    got = {(f.rule, f.line) for f in result.findings}
    assert ("DP001", 4) not in got
    assert {("DP001", 2), ("DP001", 6), ("DP002", 4)} <= got


def test_suppression_inside_a_continuation_covers_that_instruction(tmp_path, rules_in_use):
    rules_in_use(make_rule("DP001", every_run))
    text = "FROM a\nRUN echo one \\\n    # dockperf ignore=DP001\n    && echo two\nRUN echo x\n"
    result = engine.check_dockerfile(write(tmp_path, text))
    assert [f.line for f in result.findings] == [5]


def test_suppression_lists_and_prefixes(tmp_path, rules_in_use):
    rules_in_use(make_rule("DP101", every_run), make_rule("DP203", every_run))
    text = "FROM a\n# dockperf ignore=DP101, DP203 -- both are fine here\nRUN x\n"
    text += "# dockperf ignore=DP2\nRUN y\n"
    result = engine.check_dockerfile(write(tmp_path, text))
    assert {(f.rule, f.line) for f in result.findings} == {("DP101", 5)}


def test_global_suppression(tmp_path, rules_in_use):
    rules_in_use(make_rule("DP001", every_run), make_rule("DP002", every_pattern))
    (tmp_path / ".dockerignore").write_text("*.pyc\n")
    text = "# dockperf global ignore=DP001,DP002\nFROM a\nRUN x\n"
    assert engine.check_dockerfile(write(tmp_path, text)).findings == ()


def test_dockerignore_findings_and_their_suppressions(tmp_path, rules_in_use):
    rules_in_use(make_rule("DP401", every_pattern))
    (tmp_path / ".dockerignore").write_text(
        "# caches\n*.pyc\n# dockperf ignore=DP401\n\n.venv  # inline\n.git\n"
    )
    result = engine.check_dockerfile(write(tmp_path, "FROM a\n"))
    ignore = str(tmp_path / ".dockerignore")
    assert [(f.file, f.line) for f in result.findings] == [(ignore, 2), (ignore, 6)]
    (tmp_path / ".dockerignore").write_text("# dockperf global ignore=DP401\n*.pyc\n")
    assert engine.check_dockerfile(str(tmp_path / "Dockerfile")).findings == ()


def test_select_ignore_and_severity_overrides(tmp_path, rules_in_use):
    rules_in_use(
        make_rule("DP101", every_run), make_rule("DP102", every_run), make_rule("DP301", every_run)
    )
    path = write(tmp_path, "FROM a\nRUN x\n")

    def rules(config: Config) -> set[tuple[str, str]]:
        return {
            (f.rule, str(f.severity)) for f in engine.check_dockerfile(path, config=config).findings
        }

    assert rules(Config(select=("DP1",))) == {("DP101", "warning"), ("DP102", "warning")}
    assert rules(Config(ignore=("DP102",))) == {("DP101", "warning"), ("DP301", "warning")}
    assert rules(Config(select=("DP101",), severity={"DP101": Severity.ERROR})) == {
        ("DP101", "error")
    }
    assert rules(Config(select=("ALL",), ignore=("DP1",))) == {("DP301", "warning")}


def test_failure_threshold(tmp_path, rules_in_use):
    rules_in_use(make_rule("DP001", every_run, Severity.INFO))
    path = write(tmp_path, "FROM a\nRUN x\n")
    assert engine.check_dockerfile(path, config=Config()).fails()
    assert not engine.check_dockerfile(
        path, config=Config(failure_threshold=Severity.WARNING)
    ).fails()
    assert not engine.check_dockerfile(path, config=Config(failure_threshold=None)).fails()


def test_build_rejects_is_an_input_error_even_when_ignored(tmp_path):
    path = write(tmp_path, "FROM a AS one\nRUN --chown=1 echo\n")
    with pytest.raises(InputError) as err:
        engine.check_dockerfile(path, config=Config(ignore=("DP900",)))
    assert err.value.line == 2
    assert "unknown flag: chown" in str(err.value)
    assert str(err.value).startswith(f"{path}:2: ")


def test_unknown_target_is_an_input_error(tmp_path):
    path = write(tmp_path, "FROM a AS Build\nFROM b AS runtime\n")
    with pytest.raises(InputError, match="target stage 'prod' could not be found"):
        engine.check_dockerfile(path, target="prod")
    # Stage names compare case-insensitively.
    engine.check_dockerfile(path, target="BUILD", config=Config(select=("DP900",)))


def test_a_crashing_rule_is_one_line_not_a_traceback(tmp_path, rules_in_use):
    def broken(ctx):
        raise KeyError("oops")

    rules_in_use(make_rule("DP001", broken))
    with pytest.raises(InputError, match=r"internal error in DP001 \(KeyError"):
        engine.check_dockerfile(write(tmp_path, "FROM a\n"))


def test_duplicate_findings_from_a_shared_dockerignore_are_reported_once(tmp_path, rules_in_use):
    rules_in_use(make_rule("DP401", every_pattern))
    (tmp_path / ".dockerignore").write_text("x  # y\n")
    one = engine.check_dockerfile(write(tmp_path, "FROM a\n"))
    two = engine.check_dockerfile(write(tmp_path, "FROM b\n", "Dockerfile.dev"))
    merged = engine.sort_findings([*one.findings, *two.findings])
    assert len(merged) == 1


def test_context_texts_hold_copied_scripts(tmp_path):
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "docker-entrypoint.sh").write_text('#!/bin/sh\nexec "$@"\n')
    (tmp_path / "scripts" / "notes.txt").write_text("not a script\n")
    (tmp_path / "start").write_text("#!/bin/sh\nuvicorn app:app\n")
    (tmp_path / "big.sh").write_bytes(b"#" * (engine.MAX_SCRIPT_BYTES + 1))
    (tmp_path / "skipped.sh").write_text("echo not copied\n")
    text = (
        "FROM a\nCOPY scripts/ /scripts/\nCOPY start big.sh /usr/local/bin/\n"
        'ENTRYPOINT ["/scripts/docker-entrypoint.sh"]\nCMD ["start"]\n'
    )
    df = engine.load_dockerfile(write(tmp_path, text))
    ctx = engine.build_context(df, None)
    assert set(ctx.context_texts) == {"scripts/docker-entrypoint.sh", "start"}
    assert ctx.context_texts["start"].startswith("#!/bin/sh")


def test_context_texts_with_copy_all_respect_dockerignore(tmp_path):
    (tmp_path / "run.sh").write_text("exec app\n")
    (tmp_path / "tools").mkdir()
    (tmp_path / "tools" / "dev.sh").write_text("echo dev\n")
    (tmp_path / ".dockerignore").write_text("tools\n")
    df = engine.load_dockerfile(write(tmp_path, "FROM a\nCOPY . /app\n"))
    ctx = engine.build_context(df, None)
    assert set(ctx.context_texts) == {"run.sh"}
    assert "tools/dev.sh" not in ctx.context_files
    assert "tools/dev.sh" in ctx.all_files


def test_context_files_are_walked_lazily(tmp_path, monkeypatch):
    calls = []
    import rules.dockerignore as di

    real = di.walk_context
    monkeypatch.setattr(di, "walk_context", lambda *a: calls.append(a) or real(*a))
    df = engine.load_dockerfile(write(tmp_path, "FROM a\nRUN x\n"))
    ctx = engine.build_context(df, None)
    assert calls == []
    assert "Dockerfile" in ctx.context_files
    assert len(calls) == 1


def test_context_must_be_a_directory(tmp_path):
    df = engine.load_dockerfile(write(tmp_path, "FROM a\n"))
    with pytest.raises(InputError, match="build context is not a directory"):
        engine.build_context(df, str(tmp_path / "missing"))


# --------------------------------------------------------------------------- reading input


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"   \n\n", "empty"),
        (b"FROM a\n\x00\x01", "binary"),
        (b"FROM a\nRUN \xff\xfe\n", "not UTF-8"),
        (b"{{ template }}\n", "unknown instruction"),
    ],
)
def test_bad_input_is_an_input_error(tmp_path, data, message):
    path = tmp_path / "Dockerfile"
    path.write_bytes(data)
    with pytest.raises(InputError, match=message) as err:
        engine.check_dockerfile(str(path))
    assert err.value.path == str(path)


def test_huge_file_is_refused_without_reading_it(tmp_path):
    path = tmp_path / "Dockerfile"
    with path.open("wb") as fh:
        fh.truncate(10 * 1024 * 1024)
    with pytest.raises(InputError, match="MB"):
        engine.read_input(path)


def test_unreadable_and_missing_files(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        engine.read_input(tmp_path / "nope")
    with pytest.raises(InputError, match="is a directory"):
        engine.read_input(tmp_path)


# --------------------------------------------------------------------------- fixes


def test_apply_edits_bottom_up_keeps_line_endings_and_skips_overlaps():
    text = "a\r\nb\r\nc\r\nd\r\n"
    edits = [
        Edit(2, 2, ("B1", "B2")),  # replace b with two lines
        Edit(4, 3, ("before d",)),  # insert before d
        Edit(2, 3, ("X",)),  # overlaps the first: left for the next round
        Edit(2, 2, ("B1", "B2")),  # the same edit twice counts once
    ]
    new, applied = engine.apply_edits(text, edits)
    assert new == "a\r\nB1\r\nB2\r\nc\r\nbefore d\r\nd\r\n"
    assert applied == 2


def test_apply_edits_without_trailing_newline():
    assert engine.apply_edits("a\nb", [Edit(1, 1, ("A",))]) == ("A\nb", 1)


def insert_cache_comment(ctx: CheckContext) -> Iterator[Violation]:
    lines = ctx.dockerfile.lines
    for instr in ctx.dockerfile.instructions:
        if instr.keyword == "RUN" and not lines[instr.line - 2].startswith("# cached"):
            yield Violation(
                instr.line,
                "not cached",
                edits=(Edit(instr.line, instr.line - 1, ("# cached",)),),
            )


def fix_inline_comment(ctx: CheckContext) -> Iterator[Violation]:
    assert ctx.dockerignore is not None
    for number, raw in enumerate(ctx.dockerignore.lines, start=1):
        if "#" in raw and not raw.startswith("#"):
            pattern, _, comment = raw.partition("#")
            yield Violation(
                number,
                "inline comment",
                file="dockerignore",
                edits=(
                    Edit(number, number, ("#" + comment, pattern.rstrip()), file="dockerignore"),
                ),
            )


def test_fix_in_rounds_then_clean(tmp_path, rules_in_use):
    rules_in_use(
        make_rule("DP101", insert_cache_comment, fixable=True),
        make_rule("DP401", fix_inline_comment, fixable=True),
    )
    (tmp_path / ".dockerignore").write_text(".venv  # the venv\n")
    path = write(tmp_path, "\ufeffFROM a\nRUN x\nRUN y\n")
    result = engine.fix_dockerfile(path)
    ignore = str(tmp_path / ".dockerignore")
    assert set(result.fixed) == {path, ignore}
    assert result.fixed[path].decode("utf-8") == "\ufeffFROM a\n# cached\nRUN x\n# cached\nRUN y\n"
    assert result.fixed[ignore] == b"# the venv\n.venv\n"
    # Nothing was written: --diff uses the same computation.
    assert Path(path).read_text(encoding="utf-8-sig") == "FROM a\nRUN x\nRUN y\n"
    diff = engine.unified_diff(path, result.originals[path], result.fixed[path])
    assert "+# cached" in diff


def test_fix_ignores_rules_not_marked_fixable(tmp_path, rules_in_use):
    rules_in_use(make_rule("DP101", insert_cache_comment, fixable=False))
    assert engine.fix_dockerfile(write(tmp_path, "FROM a\nRUN x\n")).fixed == {}


def test_fix_respects_suppressions(tmp_path, rules_in_use):
    rules_in_use(make_rule("DP101", insert_cache_comment, fixable=True))
    path = write(tmp_path, "FROM a\n# dockperf ignore=DP101\nRUN x\n")
    assert engine.fix_dockerfile(path).fixed == {}


# --------------------------------------------------------------------------- atomic writes


def test_atomic_write_keeps_mode_and_leaves_no_temp_files(tmp_path):
    target = tmp_path / "Dockerfile"
    target.write_text("old")
    target.chmod(0o640)
    engine.atomic_write(target, b"new")
    assert target.read_bytes() == b"new"
    assert oct(target.stat().st_mode & 0o777) == oct(0o640)
    assert [p.name for p in tmp_path.iterdir()] == ["Dockerfile"]


def test_atomic_write_failure_leaves_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "report.json"
    target.write_text("old")

    def fail(self, other):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "replace", fail)
    with pytest.raises(OSError):
        engine.atomic_write(target, b"new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def fix_entrypoint_flag(ctx: CheckContext) -> Iterator[Violation]:
    for rel, text in ctx.context_texts.items():
        lines = text.splitlines()
        for number, line in enumerate(lines, start=1):
            if "--max-requests " in line:
                new = line.replace("--max-requests ", "--limit-max-requests ")
                yield Violation(
                    number, "no such option", file=rel, edits=(Edit(number, number, (new,)),)
                )
            if line == "set -e" and lines[number : number + 1] != ["set -u"]:
                # Rounds must re-check the fixed text: re-reading the disk would add it twice.
                yield Violation(
                    number, "add -u", file=rel, edits=(Edit(number + 1, number, ("set -u",)),)
                )
                break


def test_fix_edits_a_copied_script_and_rechecks_the_fixed_text(tmp_path, rules_in_use):
    rules_in_use(make_rule("DP502", fix_entrypoint_flag, fixable=True))
    script = tmp_path / "entrypoint.sh"
    script.write_text("#!/bin/sh\nset -e\nexec uvicorn app:app --max-requests 1000\n")
    script.chmod(0o755)
    path = write(tmp_path, 'FROM a\nCOPY entrypoint.sh /\nENTRYPOINT ["/entrypoint.sh"]\n')
    result = engine.fix_dockerfile(path)
    assert set(result.fixed) == {str(script)}
    assert result.fixed[str(script)] == (
        b"#!/bin/sh\nset -e\nset -u\nexec uvicorn app:app --limit-max-requests 1000\n"
    )
    assert script.read_text().count("--max-requests") == 1  # nothing written
