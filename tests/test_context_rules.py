"""DP401-DP404 and DP501-DP503 beyond the fixtures: the seed's verbatim files, rules run without
a build context folder, entrypoint scripts, autofix, and the option tables."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest

from rules import engine
from rules.base import CheckContext
from rules.config import Config
from rules.dockerignore import parse_dockerignore
from rules.model import parse_dockerfile

FIXTURES = Path(__file__).parent / "fixtures"
SEED = FIXTURES / "seed"
OURS = ("DP401", "DP402", "DP403", "DP404", "DP501", "DP502", "DP503")
MODULES = {
    "DP401": "dp401_dockerignore_inline_comment",
    "DP402": "dp402_copy_excluded_source",
    "DP403": "dp403_copy_all_without_dockerignore",
    "DP404": "dp404_secrets_in_context",
    "DP501": "dp501_no_bytecode_compile",
    "DP502": "dp502_server_invalid_option",
    "DP503": "dp503_unknown_pip_env",
}


def run(rule: str, ctx: CheckContext) -> list:
    return list(importlib.import_module(f"rules.{MODULES[rule]}").check(ctx))


def bare(dockerfile: str, ignore: str | None = None, **kw) -> CheckContext:
    """A context with no build context folder (a Dockerfile read from stdin)."""
    df = parse_dockerfile(dockerfile.encode(), "Dockerfile")
    di = parse_dockerignore(ignore.encode()) if ignore is not None else None
    return CheckContext(dockerfile=df, dockerignore=di, context_files=None, **kw)


# ------------------------------------------------------------------------------ the seed


def test_seed_files_are_verbatim() -> None:
    extracted = Path(__file__).resolve().parents[2] / "shared" / "seed" / "extracted"
    if not extracted.is_dir():
        pytest.skip("../shared/seed is not here")
    for ours, theirs in (
        ("Dockerfile", "Dockerfile"),
        (".dockerignore", ".dockerignore"),
        ("scripts/docker-entrypoint.sh", "docker-entrypoint.sh"),
        ("requirements-core.txt", "requirements-core.txt"),
    ):
        assert (SEED / ours).read_bytes() == (extracted / theirs).read_bytes(), ours


def test_seed_findings() -> None:
    result = engine.check_dockerfile(
        str(SEED / "Dockerfile"), context_dir=str(SEED), config=Config(select=OURS)
    )
    got = {(f.rule, Path(f.file).name, f.line) for f in result.findings}
    assert got == {
        # the three exceptions written with a comment after them
        ("DP401", ".dockerignore", 96),
        ("DP401", ".dockerignore", 110),
        ("DP401", ".dockerignore", 134),
        # `*.txt` excludes the requirements files: the exception is broken
        ("DP402", "Dockerfile", 31),
        ("DP402", "Dockerfile", 41),
        ("DP402", "Dockerfile", 51),
        # uvicorn has no --max-requests nor --max-requests-jitter
        ("DP502", "Dockerfile", 116),
        ("DP502", "Dockerfile", 117),
        # PIP_PARALLEL_DOWNLOAD is not a pip option
        ("DP503", "Dockerfile", 28),
    }


def test_seed_entrypoint_script() -> None:
    """The seed's entrypoint (not copied by its Dockerfile, so given here as a context text)."""
    df = engine.load_dockerfile(str(SEED / "Dockerfile"))
    ctx = engine.build_context(df, str(SEED))
    script = "scripts/docker-entrypoint.sh"
    ctx = ctx._replace(context_texts={script: (SEED / script).read_text(encoding="utf-8")})
    got = {(v.file, v.line) for v in run("DP502", ctx)}
    assert got == {("dockerfile", 116), ("dockerfile", 117), (script, 45), (script, 46)}
    fixed = [v for v in run("DP502", ctx) if v.file == script and v.edits]
    assert [e.lines for v in fixed for e in v.edits] == [
        ('    --limit-max-requests "${MAX_REQUESTS}" \\',)
    ]


def test_seed_fix(tmp_path: Path) -> None:
    for name in ("Dockerfile", ".dockerignore", "requirements-core.txt"):
        (tmp_path / name).write_bytes((SEED / name).read_bytes())
    result = engine.fix_dockerfile(
        str(tmp_path / "Dockerfile"), config=Config(select=("DP401", "DP502"))
    )
    ignore = result.fixed[str(tmp_path / ".dockerignore")].decode()
    assert "\n!requirements*.txt\n" in ignore
    assert "\n!scripts/docker-entrypoint.sh\n" in ignore
    dockerfile = result.fixed[str(tmp_path / "Dockerfile")].decode()
    assert '"--limit-max-requests", "1000"' in dockerfile
    assert '"--max-requests-jitter"' in dockerfile  # no equivalent: never removed
    # The fixed .dockerignore sends the requirements files.
    fixed = parse_dockerignore(ignore.encode())
    assert not fixed.excludes("requirements-core.txt")
    assert not fixed.excludes("scripts/docker-entrypoint.sh")


# ------------------------------------------------------------------------------ no context


def test_dp402_from_patterns_alone() -> None:
    ctx = bare(
        "FROM python:3.13-slim\nCOPY requirements.txt .\nCOPY src/ /app/src/\nCOPY logs /x\n",
        "*\n!src/**\nlogs/\n!logs/keep.log\n",
    )
    # src/ is re-included; logs/ might hold the re-included keep.log: only the file is sure.
    assert [v.line for v in run("DP402", ctx)] == [2]


def test_dp403_needs_a_folder() -> None:
    assert run("DP403", bare("FROM python:3.13-slim\nCOPY . .\n")) == []


def test_dp404_from_patterns_alone() -> None:
    ctx = bare("FROM python:3.13-slim\nCOPY . /app\n", "__pycache__/\n.git\n.venv/\n")
    (v,) = run("DP404", ctx)
    assert ".env" in v.message and "venv/" in v.message and ".git" not in v.message
    good = bare("FROM python:3.13-slim\nCOPY . /app\n", ".git\n.env\n*venv/\n")
    assert run("DP404", good) == []


def test_dp401_without_folder() -> None:
    ctx = bare("FROM scratch\n", "a # b\n#c\n  #d\n")
    assert [(v.line, v.column, v.file) for v in run("DP401", ctx)] == [
        (1, 3, "dockerignore"),
        (3, 3, "dockerignore"),
    ]


def test_dp501_without_folder() -> None:
    bad = bare("FROM python:3.13-slim\nWORKDIR /app\nCOPY . .\nCMD python -m app\n")
    assert [v.line for v in run("DP501", bad)] == [3]
    good = bare("FROM python:3.13-slim\nCOPY . /app\nRUN python -m compileall -q /app\n")
    assert run("DP501", good) == []


# ------------------------------------------------------------------------------ DP502 in scripts


@pytest.mark.parametrize(
    ("script", "lines"),
    [
        ("#!/bin/bash\nexec python3 -m uvicorn app:app --max-requests 5\n", [2]),
        ("#!/bin/sh\ngosu app uvicorn app:app \\\n  --workers 2 \\\n  --keep-alive 5\n", [4]),
        ('#!/bin/sh\nexec uvicorn app:app --workers "$W" --limit-max-requests 9 "$@"\n', []),
        ("#!/usr/bin/env python3\nprint('uvicorn app:app --max-requests 5')\n", []),
    ],
)
def test_dp502_scripts(script: str, lines: list[int]) -> None:
    ctx = bare("FROM python:3.13-slim\n", context_texts={"start.sh": script})
    assert [v.line for v in run("DP502", ctx)] == lines


# ------------------------------------------------------------------------------ option tables


def test_bundled_tables_name_their_versions() -> None:
    data = Path(__file__).parents[1] / "rules" / "data"
    servers = json.loads((data / "server_options.json").read_text())
    assert servers["uvicorn"]["version"] == "0.32.1"
    assert servers["gunicorn"]["version"] == "23.0.0"
    assert "--limit-max-requests" in servers["uvicorn"]["options"]
    assert "--max-requests" not in servers["uvicorn"]["options"]
    assert servers["uvicorn"]["options"]["--loop"] == ["auto", "asyncio", "uvloop"]
    assert "--max-requests-jitter" in servers["gunicorn"]["options"]
    pip = json.loads((data / "pip_options.json").read_text())
    assert pip["version"] and "no-cache-dir" in pip["options"]
    assert "parallel-download" not in pip["options"]


def test_pip_table_matches_installed_pip() -> None:
    from rules.option_tables import introspect_pip, pip_table

    table = pip_table()
    assert {"no-cache-dir", "index-url", "disable-pip-version-check"} <= table.options
    assert introspect_pip() >= {"no-cache-dir", "default-timeout", "root-user-action"}


def test_dp404_names_git_and_venv(tmp_path: Path) -> None:
    """.git and .venv cannot be committed as fixtures: made here."""
    for rel in (".git/HEAD", ".git/objects/ab/cd", ".venv/pyvenv.cfg", ".env", "app/main.py"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x\n")
    (tmp_path / ".dockerignore").write_text("__pycache__/\n")
    (tmp_path / "Dockerfile").write_text("FROM python:3.13-slim\nCOPY . /app\n")
    result = engine.check_dockerfile(str(tmp_path / "Dockerfile"), config=Config(select=OURS))
    (finding,) = [f for f in result.findings if f.rule == "DP404"]
    assert finding.line == 2
    assert ".env, .git/ (2 files" in finding.message and ".venv/ (1 file" in finding.message
    assert {f.rule for f in result.findings} == {"DP404", "DP501"}
