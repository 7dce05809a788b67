"""rules.model against BuildKit's own parser, and the model's corrections one by one.

The oracle is the PyPI package `dockerfile`, which wraps BuildKit's Go parser
(moby/buildkit frontend/dockerfile/parser). On every file of ../shared/corpus/dockerfiles and on
the unit inputs below, the model must find the same instructions (kind, first and last line),
flags and heredoc bodies. BuildKit's parser accepts any word as an instruction (the error comes
later, at dispatch), so a file the oracle accepts with an unknown instruction (a `{{ }}`
template) must be an InputError for us.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rules.errors import InputError
from rules.model import DEFAULT_PATH, KEYWORDS, Dockerfile, parse_dockerfile

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "dockerfiles"
CASES = Path(__file__).resolve().parents[2] / "shared" / "cases"


def _oracle():
    return pytest.importorskip("dockerfile")


def _ours(df: Dockerfile) -> list[tuple]:
    return [
        (i.keyword, i.line, i.end_line, i.flags, tuple(h.body for h in i.heredocs))
        for i in df.instructions
    ]


def _theirs(commands) -> list[tuple]:
    return [
        (c.cmd.upper(), c.start_line, c.end_line, c.flags, tuple(h.content for h in c.heredocs))
        for c in commands
    ]


def assert_parity(data: bytes, path: str = "Dockerfile") -> Dockerfile | None:
    """Parse with both; the same structure, or both refuse. Returns our model when accepted."""
    oracle = _oracle()
    try:
        ref = oracle.parse_string(data.decode("utf-8-sig"))
    except oracle.GoParseError:
        ref = None
    if ref is not None and any(c.cmd.upper() not in KEYWORDS for c in ref):
        with pytest.raises(InputError, match="unknown instruction"):
            parse_dockerfile(data, path)
        return None
    if ref is None:
        with pytest.raises(InputError):
            parse_dockerfile(data, path)
        return None
    df = parse_dockerfile(data, path)
    assert _ours(df) == _theirs(ref)
    for ours, theirs in zip(df.instructions, ref, strict=True):
        if theirs.cmd.upper() in ("RUN", "CMD", "ENTRYPOINT", "SHELL"):
            assert (ours.json_args is not None) == theirs.json, ours.line
        if theirs.cmd.upper() == "RUN" and not theirs.json:
            assert ours.value == (theirs.value[0] if theirs.value else ""), ours.line
    return df


def _corpus() -> list[Path]:
    return sorted(CORPUS.iterdir()) if CORPUS.is_dir() else []


@pytest.mark.parametrize("path", _corpus(), ids=lambda p: p.name)
def test_corpus_parity_with_buildkit(path: Path) -> None:
    assert_parity(path.read_bytes(), str(path))


def test_corpus_is_there() -> None:
    assert len(_corpus()) > 50


def test_templates_are_input_errors() -> None:
    templates = [p for p in _corpus() if p.name.endswith(".template")]
    assert templates
    for path in templates:
        with pytest.raises(InputError) as err:
            parse_dockerfile(path.read_bytes(), str(path))
        assert err.value.line is not None


def parse(text: str, build_args: dict[str, str] | None = None) -> Dockerfile:
    return parse_dockerfile(text.encode(), "Dockerfile", build_args)


# --------------------------------------------------------------------------- heredocs


def test_heredoc_basic_and_chomp() -> None:
    text = "FROM a\nRUN <<EOF\necho hi\nEOF\nRUN <<-EOT\n\techo tab\n\tEOT\nUSER 1\n"
    df = assert_parity(text.encode())
    run1, run2 = df.instructions[1], df.instructions[2]
    assert (run1.line, run1.end_line, run1.heredocs[0].body) == (2, 4, "echo hi\n")
    assert (run2.line, run2.end_line) == (5, 7)
    assert run2.heredocs[0].chomp and run2.heredocs[0].text == "echo tab\n"
    assert "echo hi" in run1.script
    assert df.instructions[3].line == 8


@pytest.mark.parametrize("delimiter", ['"EOF"', "'EOF'", "\\EOF"])
def test_quoted_heredoc_delimiters_do_not_expand(delimiter: str) -> None:
    text = f"FROM a\nCOPY <<{delimiter} /x\n$HOME\nEOF\n"
    df = assert_parity(text.encode())
    doc = df.instructions[1].heredocs[0]
    assert (doc.name, doc.body, doc.expand) == ("EOF", "$HOME\n", False)


def test_several_heredocs_in_one_instruction() -> None:
    text = "FROM a\nRUN <<A cat /dev/stdin <<B\none\nA\ntwo\nB\nCMD x\n"
    df = assert_parity(text.encode())
    assert [h.body for h in df.instructions[1].heredocs] == ["one\n", "two\n"]
    assert df.instructions[1].end_line == 6


def test_heredoc_opened_on_a_continuation_line() -> None:
    text = "FROM a\nRUN set -e; \\\n    python3 <<PY\nprint(1)\nPY\nUSER 1\n"
    df = assert_parity(text.encode())
    run = df.instructions[1]
    assert (run.line, run.end_line, run.heredocs[0].body) == (2, 5, "print(1)\n")


def test_unterminated_heredoc_is_an_input_error() -> None:
    with pytest.raises(InputError, match="heredoc"):
        parse("FROM a\nRUN <<EOF\necho\n")


# --------------------------------------------------------------------------- line structure


def test_comments_and_empty_lines_inside_continuations() -> None:
    text = "FROM a\nRUN echo a \\\n# comment\n    && echo b \\\n\n    && echo c\nUSER 1\n"
    df = assert_parity(text.encode())
    run = df.instructions[1]
    assert (run.line, run.end_line) == (2, 6)
    assert "comment" not in run.value
    assert df.empty_continuation_lines == (5,)
    assert [c.line for c in df.comments] == [3]


def test_whitespace_after_the_backslash_still_continues() -> None:
    df = assert_parity(b"FROM a\nRUN echo a \\  \n    && echo b\n")
    assert (df.instructions[1].line, df.instructions[1].end_line) == (2, 3)


def test_bom() -> None:
    df = assert_parity(b"\xef\xbb\xbfFROM python:3.12-slim\nUSER 1\n")
    assert df.has_bom
    assert df.stages[0].base == "python:3.12-slim"


def test_crlf() -> None:
    df = assert_parity(b"FROM a\r\nRUN echo a \\\r\n    b\r\nUSER 1\r\n")
    assert [(i.keyword, i.line, i.end_line) for i in df.instructions] == [
        ("FROM", 1, 1),
        ("RUN", 2, 3),
        ("USER", 4, 4),
    ]
    assert not df.instructions[1].value.endswith("\r")


def test_escape_directive_backtick() -> None:
    text = "# escape=`\nFROM mcr.microsoft.com/windows/servercore\nWORKDIR C:\\app\n"
    text += "RUN dir `\n    C:\\app\n"
    df = assert_parity(text.encode())
    assert df.escape == "`"
    assert df.instructions[1].args == ("C:\\app",)
    assert (df.instructions[2].line, df.instructions[2].end_line) == (4, 5)


def test_flags_are_extracted() -> None:
    text = (
        "FROM --platform=linux/amd64 a AS b\n"
        "RUN --mount=type=cache,target=/root/.cache/pip,sharing=locked --network=none pip x\n"
        "COPY --from=b --chown=1:1 --chmod=755 --link /a /b\n"
    )
    df = assert_parity(text.encode())
    assert df.stages[0].platform == "linux/amd64"
    run, copy = df.instructions[1], df.instructions[2]
    mount = run.mounts[0]
    assert (mount.type, mount.target, mount.get("sharing")) == (
        "cache",
        "/root/.cache/pip",
        "locked",
    )
    assert run.flag("network") == "none"
    assert copy.flag("from") == "b" and copy.has_flag("link")
    assert copy.args == ("/a", "/b")


# --------------------------------------------------------------------------- variables


@pytest.mark.parametrize(
    ("expr", "defined", "undefined"),
    [
        ("${V:-x}", "set", "x"),
        ("${V:+x}", "x", ""),
        ("${V-x}", "set", "x"),
        ("${V+x}", "x", ""),
        ("${V}", "set", ""),
    ],
)
def test_expansion_forms(expr: str, defined: str, undefined: str) -> None:
    with_v = parse(f"ARG V=set\nFROM a\nARG V\nENV R={expr}\n")
    without = parse(f"FROM a\nENV R={expr}\n")
    assert with_v.instructions[-1].pairs[0].value == defined
    assert without.instructions[-1].pairs[0].value == undefined


def test_empty_versus_unset_variable() -> None:
    df = parse('FROM a\nENV V=""\nENV A=${V:-dflt} B=${V-dflt}\n')
    pairs = {kv.key: kv.value for kv in df.instructions[-1].pairs}
    assert pairs == {"A": "dflt", "B": ""}


def test_build_args_and_meta_args_in_from() -> None:
    text = "ARG PY=3.12\nARG BASE=python:${PY}-slim\nFROM ${BASE}\nARG PY\nRUN echo $PY\n"
    assert parse(text).stages[0].base == "python:3.12-slim"
    df = parse(text, {"PY": "3.13"})
    assert df.stages[0].base == "python:3.13-slim"
    assert df.instructions[-1].env["PY"] == "3.13"


def test_arg_without_redeclaration_is_not_in_stage_scope() -> None:
    df = parse("ARG V=1\nFROM a\nRUN echo $V\n")
    assert "V" not in df.instructions[-1].env


# --------------------------------------------------------------------------- stages


def test_stage_names_are_case_insensitive() -> None:
    df = parse("FROM a AS Builder\nFROM builder AS runtime\nCOPY --from=BUILDER /x /x\n")
    assert df.stages[0].name == "builder" and df.stages[0].display_name == "Builder"
    assert df.stages[1].parent == 0
    assert df.stage_by_name("BUILDER") is df.stages[0]
    assert df.final_stage("Runtime") is df.stages[1]
    with pytest.raises(InputError):
        df.final_stage("nope")


def test_inheritance_through_from_stage() -> None:
    text = (
        "FROM python:3.13-slim AS base\n"
        "ENV APP=/app\n"
        "USER app\n"
        'SHELL ["/bin/bash", "-o", "pipefail", "-c"]\n'
        "HEALTHCHECK CMD curl -f http://localhost/ || exit 1\n"
        "FROM base AS runtime\n"
        "RUN echo $APP\n"
    )
    df = parse(text)
    final = df.final_stage()
    run = df.instructions[-1]
    assert [s.index for s in df.lineage(final)] == [0, 1]
    assert df.last_in_lineage(final, "USER").args == ("app",)
    assert df.last_in_lineage(final, "HEALTHCHECK").line == 5
    assert df.shell_at(run) == ("/bin/bash", "-o", "pipefail", "-c")
    assert run.env["APP"] == "/app"
    # An external base gets Docker's default PATH.
    assert df.instructions[1].env["PATH"] == DEFAULT_PATH


def test_exec_form_versus_shell_form() -> None:
    df = parse(
        'FROM a\nCMD ["uvicorn", "app:app"]\nENTRYPOINT uvicorn app:app\nCMD ["python", \'x\']\n'
    )
    assert df.instructions[1].json_args == ("uvicorn", "app:app")
    assert df.instructions[2].json_args is None
    # Not valid JSON (single quotes): Docker runs it through /bin/sh.
    assert df.instructions[3].json_args is None and df.instructions[3].looks_like_json


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("FROM a\nFROOM b\n", 2),
        ('FROM a\nENTRYPOINT ["python",\n  "-m", "app"]\n', 3),
        ("{{ template }}\n", 1),
        ("FROM a\nONBUILD BOGUS x\n", 2),
    ],
)
def test_unknown_instructions_are_input_errors(text: str, line: int) -> None:
    with pytest.raises(InputError, match="unknown instruction") as err:
        parse(text)
    assert err.value.line == line


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"", "empty"),
        (b"# only a comment\n", "no instructions"),
        (b"RUN echo\n", "before the first FROM"),
        (b"FROM a\x00\n", "binary"),
        (b"FROM \xff\n", "UTF-8"),
    ],
)
def test_other_bad_input(data: bytes, fragment: str) -> None:
    with pytest.raises(InputError, match=fragment):
        parse_dockerfile(data, "Dockerfile")


@pytest.mark.parametrize("odd", ["\x0c", "\u2028", "\x85", "\r"])
def test_only_newline_ends_a_line(odd: str) -> None:
    df = assert_parity(f'FROM a\nLABEL x="a{odd}b"\nUSER 1\n'.encode())
    assert [i.line for i in df.instructions] == [1, 2, 3]


# Where dockerfile-parse (the first pass) reads a file differently from BuildKit: the handed
# cases' "Observed today" notes, kept by the model as corrections.
DP = "dockerfile-parse reads"
HEREDOC = "it is the heredoc body of the RUN on line 3"


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        (
            "heredoc-run",
            {
                (3, f"{DP} 'RUN' on lines 3-3; BuildKit reads RUN on lines 3-6"),
                (4, f"{DP} a 'APK' instruction: {HEREDOC}"),
                (5, f"{DP} a 'ECHO' instruction: {HEREDOC}"),
                (6, f"{DP} a 'EOF' instruction: {HEREDOC}"),
            },
        ),
        (
            "empty-continuation-line",
            {
                (2, f"{DP} 'RUN' on lines 2-3; BuildKit reads RUN on lines 2-5"),
                (4, f"{DP} a 'APT-GET' instruction: it is part of the RUN on line 2"),
            },
        ),
        (
            "dockerfile-bom",
            {(1, f"{DP} '\\ufeffFROM' on lines 1-1; BuildKit reads FROM on lines 1-1")},
        ),
        ("comments-in-continuation", set()),
        ("windows-escape-directive", set()),
    ],
)
def test_corrections_of_dockerfile_parse(case: str, expected: set) -> None:
    data = (CASES / case / "Dockerfile").read_bytes()
    df = parse_dockerfile(data, "Dockerfile")
    assert {(c.line, c.message) for c in df.corrections} == expected
