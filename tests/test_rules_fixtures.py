"""Every rule fixture through the engine: the exact set of (rule, line) its `# expect:` lines give.

Layout: `tests/fixtures/<ID>/bad*.Dockerfile` and `good*.Dockerfile`, or a folder
`tests/fixtures/<ID>/<name>/` holding a Dockerfile and its build context (the folder is the
context). Expectations are comments anywhere in the Dockerfile (and, for folders, in its
.dockerignore):

    # expect: DP101@3 DP101@9
    # expect: DP401@.dockerignore:2      (a finding in another file of the folder)
    # expect:                            (no finding of this rule)
    # target: runtime                    (optional: check with --target)

Only the rule of the folder is run (plus DP900, which the engine always applies). A DP900
expectation means the engine must refuse the file with an input error at that line (0: no line,
as for a --target that names no stage).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rules import engine
from rules.config import Config
from rules.errors import InputError

FIXTURES = Path(__file__).parent / "fixtures"
_ID_DIR = re.compile(r"^DP\d{3}$")
_EXPECT = re.compile(r"^\s*#\s*expect:(.*)$")
_TARGET = re.compile(r"^\s*#\s*target:\s*(\S+)")
_TOKEN = re.compile(r"^(DP\d{3}|DL\d{4}|SC\d{4})@(?:(.+):)?(\d+)$")


def _fixtures() -> list[tuple[str, Path]]:
    out = []
    if not FIXTURES.is_dir():
        return out
    for folder in sorted(FIXTURES.iterdir()):
        if not folder.is_dir() or not _ID_DIR.match(folder.name):
            continue
        for entry in sorted(folder.iterdir()):
            if entry.is_file() and entry.name.startswith(("bad", "good")):
                if entry.suffix == ".Dockerfile" or entry.name.endswith(".Dockerfile"):
                    out.append((folder.name, entry))
            elif entry.is_dir() and (entry / "Dockerfile").is_file():
                out.append((folder.name, entry / "Dockerfile"))
    return out


def _expectations(path: Path, rule: str) -> tuple[set[tuple[str, str | None, int]], str | None]:
    """(rule, file or None, line) expected for `rule`, and the target if one is given."""
    sources = [path]
    ignore = path.parent / ".dockerignore"
    if path.name == "Dockerfile" and ignore.is_file():
        sources.append(ignore)
    expected: set[tuple[str, str | None, int]] = set()
    target = None
    for source in sources:
        text = source.read_bytes().decode("utf-8", errors="replace")
        for line in text.splitlines():
            m = _TARGET.match(line)
            if m:
                target = m.group(1)
            m = _EXPECT.match(line)
            if not m:
                continue
            for token in m.group(1).split():
                t = _TOKEN.match(token)
                if t is None:
                    raise AssertionError(f"{source}: bad expectation {token!r}")
                if t.group(1) == rule:
                    expected.add((t.group(1), t.group(2), int(t.group(3))))
    return expected, target


def _case_id(item: tuple[str, Path]) -> str:
    rule, path = item
    rel = path.relative_to(FIXTURES / rule)
    return f"{rule}/{rel.parent.name if path.name == 'Dockerfile' else rel}"


@pytest.mark.parametrize("item", _fixtures(), ids=_case_id)
def test_fixture(item: tuple[str, Path]) -> None:
    rule, path = item
    expected, target = _expectations(path, rule)
    kind = path.parent.name if path.name == "Dockerfile" else path.name
    if kind.startswith("bad"):
        assert expected, f"{path}: a bad fixture needs `# expect: {rule}@LINE`"
    config = Config(select=(rule,))
    try:
        result = engine.check_dockerfile(
            str(path),
            context_dir=str(path.parent),
            target=target,
            config=config,
        )
    except InputError as exc:
        if rule == "DP900" and expected:
            assert {exc.line or 0} == {line for _, _, line in expected}, str(exc)
            return
        raise
    assert rule != "DP900" or not expected, "DP900 should have refused this file"
    got: set[tuple[str, str | None, int]] = set()
    for f in result.findings:
        if f.rule != rule:
            continue
        other = None
        if Path(f.file).resolve() != path.resolve():
            other = Path(f.file).resolve().relative_to(path.parent.resolve()).as_posix()
        got.add((f.rule, other, f.line))
    # `DP401@2` without a file matches that line in any file of the fixture (the .dockerignore
    # of a folder fixture, usually); `DP401@.dockerignore:2` names the file.
    strict = {e for e in expected if e[1] is not None}
    got_strict = {g for g in got if g in strict}
    got_loose = {(r, ln) for r, _, ln in got - got_strict}
    loose = {(r, ln) for r, file, ln in expected if file is None}
    shown = "\n".join(f"{f.file}:{f.line}: {f.rule} {f.message}" for f in result.findings)
    assert (got_loose, got_strict) == (loose, strict), shown


def test_there_are_fixtures() -> None:
    assert _fixtures(), "no rule fixtures found"
