"""rules.dockerignore: reading .dockerignore and walking the build context as BuildKit does.

Expected contexts are exact sets. Where BuildKit's behaviour is surprising, the comment names the
upstream code that decides it: moby/patternmatcher (ignorefile.ReadAll, Pattern.compile,
MatchesUsingParentResults) and tonistiigi/fsutil (filter.go, filterFS.Walk).

The expected contexts of the tables below, of the two handed cases and of the seed were also
checked once against Docker 28's classic builder (the same ReadAll and patternmatcher), which
agreed on all of them; it differs from BuildKit only on wildcard exceptions inside excluded
directories (see test_exception_anywhere_opens_every_directory).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import rules.dockerignore as di
from rules.dockerignore import (
    IgnoreFile,
    IgnorePattern,
    list_all_files,
    parse_dockerignore,
    read_dockerignore,
    walk_context,
)
from rules.errors import InputError

SHARED = Path(__file__).resolve().parents[2] / "shared"
CASES = SHARED / "cases"
SEED_IGNORE = SHARED / "seed" / "extracted" / ".dockerignore"
BUILD_FILES = {"Dockerfile", ".dockerignore"}


def make_tree(root: Path, files: list[str] | str) -> Path:
    if isinstance(files, str):
        files = files.split()
    for rel in files:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x" * len(rel))
    return root


def context_of(tmp_path: Path, ignore: str | bytes, files: list[str] | str) -> set[str]:
    """The files BuildKit sends, without the Dockerfile and the .dockerignore."""
    make_tree(tmp_path, files)
    data = ignore.encode() if isinstance(ignore, str) else ignore
    (tmp_path / ".dockerignore").write_bytes(data)
    parsed = read_dockerignore(tmp_path)
    sent = set(walk_context(tmp_path, parsed)) - BUILD_FILES
    # excludes() walks to one path the way walk_context walks the tree: they must agree.
    assert parsed is not None
    for rel in list_all_files(tmp_path):
        if rel not in BUILD_FILES:
            assert parsed.excludes(rel) == (rel not in sent), rel
    return sent


def patterns(text: str | bytes) -> list[tuple[int, str, bool]]:
    data = text.encode() if isinstance(text, str) else text
    return [(p.line, p.pattern, p.exclusion) for p in parse_dockerignore(data).patterns]


# --- reading ---------------------------------------------------------------------------------


def test_hash_is_a_comment_only_in_column_0():
    text = "# comment\nfoo  # inline\n  # indented note\n\t#tab\nbar#baz\n#\n"
    assert patterns(text) == [
        (2, "foo  # inline", False),
        (3, "# indented note", False),
        (4, "#tab", False),
        (5, "bar#baz", False),
    ]


def test_exception_with_inline_comment_keeps_the_comment_in_the_pattern():
    assert patterns("*.txt\n!requirements*.txt  # keep deps\n") == [
        (1, "*.txt", False),
        (2, "requirements*.txt  # keep deps", True),
    ]


def test_bom_crlf_and_whitespace():
    data = b"\xef\xbb\xbf# comment\r\n  build/  \r\n!  /dist/keep.whl\r\n\r\n\tlogs\t\r\nlast"
    parsed = parse_dockerignore(data)
    assert [(p.line, p.raw, p.pattern, p.exclusion) for p in parsed.patterns] == [
        (2, "  build/  ", "build", False),
        (3, "!  /dist/keep.whl", "dist/keep.whl", True),
        (5, "\tlogs\t", "logs", False),
        (6, "last", "last", False),
    ]
    assert parsed.lines == ("# comment", "  build/  ", "!  /dist/keep.whl", "", "\tlogs\t", "last")


def test_bom_before_a_comment_still_makes_it_a_comment():
    assert patterns(b"\xef\xbb\xbf#x\nfoo\n") == [(2, "foo", False)]


def test_only_one_cr_is_dropped():
    # bufio.ScanLines drops one trailing \r; Go's TrimSpace then removes the other.
    assert patterns(b"foo\r\r\n") == [(1, "foo", False)]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("/build", "build"),
        ("//build//", "build"),
        ("./dist", "dist"),
        ("src/../secrets", "secrets"),
        ("a/./b/", "a/b"),
        ("../outside", "../outside"),
        ("/../x", "x"),
        ("/", "/"),
        (".", "."),
        # The second trim in patternmatcher.New: "/ foo" loses its "/" and then the space.
        ("/ foo", "foo"),
        ("foo\u3000", "foo"),
    ],
)
def test_patterns_are_cleaned_like_filepath_clean(line: str, expected: str):
    assert patterns(line) == [(1, expected, False)]


def test_non_go_whitespace_is_kept():
    # Python's str.strip() would remove U+001F; Go's TrimSpace does not.
    assert patterns("foo\x1f") == [(1, "foo\x1f", False)]


@pytest.mark.parametrize(
    ("data", "line", "fragment"),
    [
        (b"ok\n!\n", 2, 'illegal exclusion pattern "!"'),
        (b"ok\n!  \n", 2, 'illegal exclusion pattern "!"'),
        (b"ok\n!/\n", 2, 'illegal exclusion pattern "!"'),
        (b"ok\nfoo[\n", 2, "invalid pattern"),
        (b"[]a]\n", 1, "invalid pattern"),
        (b"[a-]\n", 1, "invalid pattern"),
        (b"foo\\\n", 1, "invalid pattern"),
        (b"ok\n\\q*\n", 2, "invalid pattern"),
        (b"a\nb\xff\n", 2, "not UTF-8"),
        (b"a\x00b\n", 1, "binary file"),
        (b"a\n" + b"x" * 70000 + b"\n", 2, "64 KiB"),
    ],
)
def test_bad_input_is_an_input_error_with_the_line(data: bytes, line: int, fragment: str):
    with pytest.raises(InputError) as caught:
        parse_dockerignore(data, "ctx/.dockerignore")
    assert caught.value.line == line
    assert fragment in caught.value.message
    assert str(caught.value).startswith(f"ctx/.dockerignore:{line}: ")


def test_huge_file_is_an_input_error():
    with pytest.raises(InputError, match="over 5 MB"):
        parse_dockerignore(b"x\n" * (3 * 1024 * 1024))


def test_read_dockerignore(tmp_path: Path):
    assert read_dockerignore(tmp_path) is None
    (tmp_path / ".dockerignore").write_text("a\n")
    parsed = read_dockerignore(tmp_path)
    assert parsed is not None
    assert parsed.path == str(tmp_path / ".dockerignore")
    assert [p.pattern for p in parsed.patterns] == ["a"]


def test_dockerfile_specific_ignore_file_wins(tmp_path: Path):
    (tmp_path / ".dockerignore").write_text("a\n")
    (tmp_path / "Dockerfile.dev.dockerignore").write_text("b\n")
    parsed = read_dockerignore(tmp_path, dockerfile=tmp_path / "Dockerfile.dev")
    assert parsed is not None
    assert [p.pattern for p in parsed.patterns] == ["b"]
    parsed = read_dockerignore(tmp_path, dockerfile=tmp_path / "Dockerfile")
    assert parsed is not None
    assert [p.pattern for p in parsed.patterns] == ["a"]


def test_ignore_file_that_is_a_directory(tmp_path: Path):
    (tmp_path / ".dockerignore").mkdir()
    with pytest.raises(InputError, match="is a directory"):
        read_dockerignore(tmp_path)


def test_context_that_is_not_a_directory(tmp_path: Path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(InputError, match="not a directory"):
        walk_context(tmp_path / "f", None)


# --- matching --------------------------------------------------------------------------------

TREE = """
app.log README.md requirements.txt requirements-dev.txt main.py build
src/app.py src/app.log src/util/helpers.py src/util/debug.log src/__pycache__/app.cpython-312.pyc
logs/keep.log logs/debug.log logs/old/2024.log
docs/index.md .env .env.example .git/HEAD .git/objects/ab/cdef
"""


@pytest.mark.parametrize(
    ("ignore", "sent"),
    [
        # `*.log` is anchored at the root: BuildKit does not match at any depth.
        (
            "*.log",
            "README.md requirements.txt requirements-dev.txt main.py build src/app.py src/app.log "
            "src/util/helpers.py src/util/debug.log src/__pycache__/app.cpython-312.pyc "
            "logs/keep.log logs/debug.log logs/old/2024.log docs/index.md .env .env.example "
            ".git/HEAD .git/objects/ab/cdef",
        ),
        # `**/*.log` matches at every depth, the root included.
        (
            "**/*.log",
            "README.md requirements.txt requirements-dev.txt main.py build src/app.py "
            "src/util/helpers.py src/__pycache__/app.cpython-312.pyc docs/index.md .env "
            ".env.example .git/HEAD .git/objects/ab/cdef",
        ),
        # `*` never crosses `/`; a matched directory takes everything inside with it.
        (
            "*/*.log\n.git\ndocs\n.env*\n*.txt\n*.md\n*.py\nbuild",
            "app.log src/util/helpers.py src/util/debug.log src/__pycache__/app.cpython-312.pyc "
            "src/app.py logs/old/2024.log",
        ),
        # `**` in the middle spans zero or more directories.
        (
            "src/**/*.log\nsrc/**/__pycache__",
            "app.log README.md requirements.txt requirements-dev.txt main.py build src/app.py "
            "src/util/helpers.py logs/keep.log logs/debug.log logs/old/2024.log docs/index.md "
            ".env .env.example .git/HEAD .git/objects/ab/cdef",
        ),
        # A trailing slash is cleaned away: `build/` also excludes a *file* named build.
        (
            "build/\nlogs/\n.git/\nsrc/\ndocs/",
            "app.log README.md requirements.txt requirements-dev.txt main.py .env .env.example",
        ),
        # A leading `/` or `./` anchors nothing more: patterns are always relative to the root.
        (
            "/src\n./logs\n/.git/\n./docs/index.md\n/*.txt\n.env*\n*.md\n*.py\n*.log\nbuild",
            "",
        ),
        # `*` + `!src`: only src/ is sent (and, with its exception, the requirements file).
        (
            "*\n!src\n!requirements.txt",
            "requirements.txt src/app.py src/app.log "
            "src/util/helpers.py src/util/debug.log src/__pycache__/app.cpython-312.pyc",
        ),
        # An exception inside an excluded directory re-includes exactly that file.
        (
            "logs/\n!logs/keep.log\n.git\nsrc\ndocs\n.env*\n*.txt\n*.md\n*.py\n*.log\nbuild",
            "logs/keep.log",
        ),
        # Wildcard exceptions reach into excluded directories too (fsutil descends into them).
        (
            "logs\n!logs/**/*.log\n!logs/*.log\n.git\nsrc\ndocs\n.env*\n*\n!logs",
            "logs/keep.log logs/debug.log logs/old/2024.log",
        ),
        # Later lines win.
        (
            "*.txt\n!requirements*.txt\nrequirements-dev.txt\n!README.md\n*.md\n.git\nsrc\nlogs\n"
            "docs\n.env*\nmain.py\nbuild\napp.log",
            "requirements.txt",
        ),
    ],
)
def test_contexts(tmp_path: Path, ignore: str, sent: str):
    assert context_of(tmp_path, ignore, TREE) == set(sent.split())


def test_exception_with_inline_comment_matches_nothing(tmp_path: Path):
    files = "requirements.txt requirements-core.txt notes.txt app.py"
    assert context_of(tmp_path, "*.txt\n!requirements*.txt  # keep deps\n", files) == {"app.py"}
    assert context_of(tmp_path, "*.txt\n!requirements*.txt\n", files) == {
        "app.py",
        "requirements.txt",
        "requirements-core.txt",
    }


def test_indented_comment_is_a_pattern(tmp_path: Path):
    files = ["app.py", "# note", "  # note"]
    assert context_of(tmp_path, "  # note\n", files) == {"app.py", "  # note"}


@pytest.mark.parametrize(
    ("ignore", "files", "sent"),
    [
        # Character classes, as in the seed's `*.py[cod]`.
        ("*.py[cod]", "a.py a.pyc a.pyo a.pyd a.pyx", "a.py a.pyx"),
        ("file[0-9].txt", "file1.txt filea.txt file10.txt", "filea.txt file10.txt"),
        # Negation is `^`; in a Go pattern `!` inside a class is an ordinary character.
        ("file[^0-9].txt", "file1.txt filea.txt", "file1.txt"),
        ("file[!0-9].txt", "file1.txt filea.txt file!.txt", "filea.txt"),
        # `\` escapes the next character.
        ("\\*.txt", "*.txt a.txt", "a.txt"),
        ("a\\[1\\]", "a[1] a1", "a1"),
        ("\\#notes", "#notes notes", "notes"),
        # `?` is one character other than `/`.
        ("?.txt", "a.txt ab.txt d/x.txt", "ab.txt d/x.txt"),
        # `foo/**` matches under foo, not a file named foo; `foo**` is a plain prefix.
        ("foo/**", "foo/a foo/b/c foobar", "foobar"),
        ("foo/**", "foo", "foo"),
        ("foo**", "foo/a foobar bar/foo", "bar/foo"),
        ("foo**", "foo", ""),
        # `**/name` matches name at the root and at any depth, and nothing ending in "xname".
        ("**/name", "name a/name a/b/name a/xname", "a/xname"),
        # `**.log` compiles to a plain suffix match (patternmatcher's suffixMatch).
        ("**.log", "a.log d/b.log d/e/c.log d/log", "d/log"),
        # Regexp metacharacters that filepath.Match does not know are literal.
        ("a+b.(c)", "a+b.(c) aab.xc", "aab.xc"),
        ("*.$x", "v.$x vx", "vx"),
    ],
)
def test_pattern_syntax(tmp_path: Path, ignore: str, files: str, sent: str):
    assert context_of(tmp_path, ignore, files) == set(sent.split())


def test_a_path_with_a_newline_does_not_fool_the_anchor(tmp_path: Path):
    # Python's `$` would match before a final newline; Go's does not.
    parsed = parse_dockerignore(b"*.log\n")
    assert parsed.excludes("a.log")
    assert not parsed.excludes("a.log\n")


def test_the_walk_uses_parent_results_not_parent_paths(tmp_path: Path):
    # fsutil matches each entry with its parent directory's results
    # (MatchesUsingParentResults). At `a`, `!a` is not tried, because nothing is excluded yet;
    # at `a/b`, `a/b` excludes it and `!a` does not match "a/b". So a/b/c stays excluded,
    # although MatchesOrParentMatches("a/b/c") would re-include it through the parent "a".
    assert context_of(tmp_path, "a/b\n!a\n", "a/b/c a/d") == {"a/d"}


def test_matching_pattern_names_the_deciding_line():
    parsed = parse_dockerignore(b"*.md\n!README.md\nlogs/\n!logs/keep.log\n")
    assert parsed.matching_pattern("CHANGES.md") == IgnorePattern(1, "*.md", "*.md", False)
    assert parsed.matching_pattern("README.md") == IgnorePattern(2, "!README.md", "README.md", True)
    assert parsed.matching_pattern("logs/debug.log") == IgnorePattern(3, "logs/", "logs", False)
    assert parsed.matching_pattern("logs/keep.log") == IgnorePattern(
        4, "!logs/keep.log", "logs/keep.log", True
    )
    assert parsed.matching_pattern("src/app.py") is None
    assert parsed.excludes("./logs/debug.log")
    assert not parsed.excludes(".")


def test_ignore_file_can_be_built_from_patterns():
    built = IgnoreFile(
        ".dockerignore", (IgnorePattern(1, "secrets", "secrets", False),), ("secrets",)
    )
    assert built.excludes("secrets/key.pem")
    assert not built.excludes("app.py")


# --- walking ---------------------------------------------------------------------------------


def test_sizes_and_symlinks(tmp_path: Path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "blob.bin").write_bytes(b"\0" * 1234)
    (tmp_path / "empty").mkdir()
    (tmp_path / "link-to-dir").symlink_to("data")
    (tmp_path / "dangling").symlink_to("nowhere/at/all")
    files = walk_context(tmp_path, None)
    assert files == {
        "dangling": len("nowhere/at/all"),
        "data/blob.bin": 1234,
        "link-to-dir": len("data"),
    }
    assert list(files) == ["dangling", "data/blob.bin", "link-to-dir"]
    assert list_all_files(tmp_path) == ["dangling", "data/blob.bin", "link-to-dir"]


def test_walk_order_is_filepath_walkdir_order(tmp_path: Path):
    make_tree(tmp_path, "a.txt a/b b")
    assert list(walk_context(tmp_path, None)) == ["a/b", "a.txt", "b"]


def test_dockerfile_and_dockerignore_are_listed_unless_excluded(tmp_path: Path):
    make_tree(tmp_path, "Dockerfile app.py")
    (tmp_path / ".dockerignore").write_text("*.py\n")
    assert set(walk_context(tmp_path, read_dockerignore(tmp_path))) == {
        ".dockerignore",
        "Dockerfile",
    }
    (tmp_path / ".dockerignore").write_text(".dockerignore\nDockerfile\n")
    assert set(walk_context(tmp_path, read_dockerignore(tmp_path))) == {"app.py"}


def _scanned_dirs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []
    real = di._scan

    def spy(directory: str, rel: str):
        seen.append(rel)
        return real(directory, rel)

    monkeypatch.setattr(di, "_scan", spy)
    return seen


HEAVY = """
.git/objects/aa/1 .git/HEAD node_modules/left-pad/index.js node_modules/left-pad/x.py
.venv/lib/site.py src/app.py src/pkg/mod.py logs/keep.log logs/debug.log
"""


def test_excluded_directories_are_not_walked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    make_tree(tmp_path, HEAVY)
    seen = _scanned_dirs(monkeypatch)
    ignore = parse_dockerignore(b".git\nnode_modules/\n.venv\nlogs\n!logs/keep.log\n")
    assert set(walk_context(tmp_path, ignore)) == {"src/app.py", "src/pkg/mod.py", "logs/keep.log"}
    assert sorted(seen) == ["", "logs", "src", "src/pkg"]


def test_wildcard_exceptions_only_open_directories_they_can_reach(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    # fsutil walks into every excluded directory once an exception has a wildcard; we skip the
    # ones no exception can reach into, which sends the same files.
    make_tree(tmp_path, HEAVY)
    seen = _scanned_dirs(monkeypatch)
    ignore = parse_dockerignore(b"*\n!src/**/*.py\n")
    assert set(walk_context(tmp_path, ignore)) == {"src/app.py", "src/pkg/mod.py"}
    assert sorted(seen) == ["", "src", "src/pkg"]


def test_exception_anywhere_opens_every_directory(tmp_path: Path):
    # fsutil: a wildcard in an exception turns off skipping excluded directories
    # (onlyPrefixExcludeExceptions). The classic builder skips them and sends only a.py-style
    # root files here.
    make_tree(tmp_path, HEAVY)
    ignore = parse_dockerignore(b"*\n!**/*.py\n")
    assert set(walk_context(tmp_path, ignore)) == {
        "node_modules/left-pad/x.py",
        ".venv/lib/site.py",
        "src/app.py",
        "src/pkg/mod.py",
    }


def test_big_tree_is_fast(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    make_tree(tmp_path, [f"node_modules/p{i}/d{j}/index.js" for i in range(20) for j in range(20)])
    make_tree(tmp_path, "src/app.py")
    seen = _scanned_dirs(monkeypatch)
    ignore = parse_dockerignore(b"node_modules\n!src\n")
    assert walk_context(tmp_path, ignore) == {"src/app.py": len("src/app.py")}
    assert sorted(seen) == ["", "src"]


# --- the handed cases and the seed -----------------------------------------------------------


def _case_context(tmp_path: Path, case: str) -> set[str]:
    folder = CASES / case
    files = (folder / "tree.txt").read_text().split("\n")
    return context_of(tmp_path, (folder / ".dockerignore").read_bytes(), [f for f in files if f])


@pytest.mark.skipif(not CASES.is_dir(), reason="needs ../shared/cases")
def test_case_copy_of_excluded_file(tmp_path: Path):
    # why.txt: "Context = requirements.txt, src/app.py, logs/keep.log".
    assert json.loads((CASES / "copy-of-excluded-file" / "expected.json").read_text())
    assert _case_context(tmp_path, "copy-of-excluded-file") == {
        "requirements.txt",
        "src/app.py",
        "logs/keep.log",
    }


@pytest.mark.skipif(not CASES.is_dir(), reason="needs ../shared/cases")
def test_case_dockerignore_inline_comment(tmp_path: Path):
    data = (CASES / "dockerignore-inline-comment" / ".dockerignore").read_bytes()
    assert patterns(data) == [
        (1, "dist/*", False),
        (2, "dist/*.whl   # wheels are needed by the Dockerfile", True),
        (3, "# indented note", False),
    ]
    # The wheel is excluded: the exception matches nothing.
    assert _case_context(tmp_path, "dockerignore-inline-comment") == set()


BACKEND_TREE = """
Dockerfile Dockerfile.dev Dockerfile.baseline docker-compose.dev.yml docker-compose.yml
README.md CHANGELOG.md pyproject.toml alembic.ini .env .env.example .env.production
requirements.txt requirements-core.txt requirements-ai.txt requirements-app.txt
scripts/docker-entrypoint.sh scripts/seed_db.py
app/__init__.py app/main.py app/settings.py app/api/health.py app/README.md
app/__pycache__/main.cpython-312.pyc app/tests/test_api.py app/core/notes.txt
alembic/env.py alembic/versions/0001_initial.py
__pycache__/conftest.cpython-312.pyc
tests/test_health.py tests/conftest.py test_smoke.py
docs/architecture.md logs/app.log app.log data/dev.sqlite3 dev.db
.git/HEAD .github/workflows/ci.yml .venv/bin/python .pytest_cache/v/x .mypy_cache/x.json
build/lib/x.py dist/app.whl htmlcov/index.html .coverage .DS_Store tmp/scratch.txt
"""


@pytest.mark.skipif(not SEED_IGNORE.is_file(), reason="needs ../shared/seed")
def test_seed_dockerignore_on_a_backend_tree(tmp_path: Path):
    sent = context_of(tmp_path, SEED_IGNORE.read_bytes(), BACKEND_TREE)
    # The seed's bug: `!requirements*.txt  # ...` and `!scripts/docker-entrypoint.sh  # ...`
    # carry their comments into the pattern, match nothing, and the files the Dockerfile
    # copies are excluded. Likewise `!Dockerfile  # ...`.
    assert "requirements-core.txt" not in sent
    assert "scripts/docker-entrypoint.sh" not in sent
    assert sent == {
        "Dockerfile.baseline",
        "README.md",
        "pyproject.toml",
        "alembic.ini",
        ".env.example",
        "app/__init__.py",
        "app/main.py",
        "app/settings.py",
        "app/api/health.py",
        "app/README.md",
        "app/core/notes.txt",
        # `__pycache__/` and `tests/` are anchored at the root: nested ones are sent.
        "app/__pycache__/main.cpython-312.pyc",
        "app/tests/test_api.py",
        "alembic/env.py",
        "alembic/versions/0001_initial.py",
    }
    parsed = parse_dockerignore(SEED_IGNORE.read_bytes())
    assert not parsed.excludes("Dockerfile")
    assert parsed.excludes("Dockerfile.dev")
    assert parsed.matching_pattern("requirements-core.txt") == IgnorePattern(
        95, "*.txt", "*.txt", False
    )
    broken = [(p.line, p.exclusion) for p in parsed.patterns if "#" in p.pattern]
    assert broken == [(96, True), (110, True), (134, True)]


# --- docker-py, for the record ----------------------------------------------------------------


def _docker_py_context(root: Path) -> set[str]:
    build = pytest.importorskip("docker.utils.build")
    # What docker-py's APIClient.build does with the file: strip, then drop '#' lines.
    text = (root / ".dockerignore").read_text()
    exclude = [line.strip() for line in text.splitlines()]
    exclude = [line for line in exclude if line and line[0] != "#"]
    found = build.exclude_paths(str(root), exclude, dockerfile="Dockerfile")
    return {p for p in found if (root / p).is_file()} - BUILD_FILES


@pytest.mark.parametrize(
    ("ignore", "files", "docker_py", "buildkit"),
    [
        # docker-py strips before looking for '#', so it drops an indented "# note".
        ("  # note\n", "app.py|# note", "app.py|# note", "app.py"),
        # docker-py checks a pattern against a single parent, at the pattern's own depth.
        ("a/b\n!a\n", "a/b/c a/d", "a/b/c a/d", "a/d"),
        # docker-py keeps the BOM in the first pattern, which then matches nothing.
        ("\ufeffsecret.txt\n", "secret.txt app.py", "secret.txt app.py", "app.py"),
    ],
)
def test_where_docker_py_differs(
    tmp_path: Path, ignore: str, files: str, docker_py: str, buildkit: str
):
    sep = "|" if "|" in files else None
    tree = files.split(sep)
    assert context_of(tmp_path, ignore, tree) == set(buildkit.split(sep))
    assert _docker_py_context(tmp_path) == set(docker_py.split(sep))
