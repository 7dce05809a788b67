"""DP201's autofix: `chown -R user:group <COPY destination>` becomes `COPY --chown=user:group`.

The text-level tests check what `check --fix` writes and what it refuses to touch. The
real-engine test builds the original and the fixed Dockerfile and compares the owner, group and
mode of every copied file and of the destination folder, and the image sizes.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from rules import engine
from rules.cli import main
from rules.config import Config
from rules.model import parse_dockerfile

if TYPE_CHECKING:
    from bench.dockerd import Engine

LABEL = "org.dockperf.test=fix-dp201"


def _fix(path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    main(["check", "--no-config", "--select", "DP201", "--fix", str(path)])
    capsys.readouterr()
    return path.read_text()


def _lines(path: Path) -> set[int]:
    result = engine.check_dockerfile(str(path), config=Config(select=("DP201",)))
    return {f.line for f in result.findings if f.rule == "DP201"}


def _context(tmp_path: Path, text: str) -> Path:
    (tmp_path / "src" / "pkg").mkdir(parents=True)
    (tmp_path / "src" / "app.py").write_text("print('app')\n")
    (tmp_path / "src" / "pkg" / "mod.py").write_text("X = 1\n")
    path = tmp_path / "Dockerfile"
    path.write_text(text)
    return path


FIXABLE = """\
FROM python:3.13-slim
RUN groupadd -g 10001 app && useradd -u 10001 -g app app
WORKDIR /app
COPY src ./src
# a comment and an ENV between the COPY and the RUN stay as they are
ENV PYTHONUNBUFFERED=1
RUN --mount=type=cache,target=/root/.cache/pip \\
    pip install --no-cache-dir six && \\
    chown -R app:app /app/src
COPY src /opt/other
RUN chown -Rv 10001:10001 /opt/other && \\
    echo done
COPY src/app.py /srv/app.py
RUN chown --recursive app:app /srv/app.py
USER app
"""


def test_fix_rewrites_to_copy_chown(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _context(tmp_path, FIXABLE)
    assert _lines(path) == {7, 11, 14}
    fixed = _fix(path, capsys)
    assert (
        fixed
        == """\
FROM python:3.13-slim
RUN groupadd -g 10001 app && useradd -u 10001 -g app app
WORKDIR /app
COPY --chown=app:app src ./src
# a comment and an ENV between the COPY and the RUN stay as they are
ENV PYTHONUNBUFFERED=1
RUN --mount=type=cache,target=/root/.cache/pip \\
    pip install --no-cache-dir six
COPY --chown=10001:10001 src /opt/other
RUN echo done
COPY --chown=app:app src/app.py /srv/app.py
USER app
"""
    )
    assert _lines(path) == set()
    parse_dockerfile(fixed.encode(), str(path))
    assert _fix(path, capsys) == fixed  # nothing left to do


UNSAFE = """\
FROM python:3.13-slim AS created-later
WORKDIR /app
COPY src /app/src
# the user does not exist yet when the COPY runs
RUN useradd -u 10001 app && chown -R app:app /app/src

FROM python:3.13-slim AS workdir
RUN useradd -u 10001 app
# /app/src exists before the COPY: --chown would leave the folder itself to root
WORKDIR /app/src
COPY src /app/src
RUN chown -R app:app /app/src

FROM python:3.13-slim AS no-group
RUN useradd -u 10001 app
WORKDIR /app
COPY src /app/src
# `chown app` keeps group root; `COPY --chown=app` would not
RUN chown -R app /app/src

FROM python:3.13-slim AS written-between
RUN useradd -u 10001 app
WORKDIR /app
COPY src /app/src
RUN python -m compileall /app/src
RUN chown -R app:app /app/src

FROM python:3.13-slim AS chained
RUN useradd -u 10001 app
WORKDIR /app
COPY src /app/src
RUN echo a && chown -R app:app /app/src || true
RUN echo a ; chown -R app:app /app/src ; echo b

FROM python:3.13-slim AS parent
RUN useradd -u 10001 app
WORKDIR /app
COPY src /app/src
COPY src/app.py /app/src/extra.py
RUN chown -R app:app /app
RUN chown -R app:app /app/src

FROM python:3.13-slim AS new-parent
RUN useradd -u 10001 app
# the COPY creates /app too, and BuildKit's --chown would give it to app
COPY src /app/src
RUN chown -R app:app /app/src
"""


@pytest.mark.parametrize(
    ("target", "lines"),
    [
        ("created-later", {5}),
        ("workdir", {12}),
        ("no-group", {19}),
        ("written-between", {26}),
        ("chained", {32, 33}),
        ("parent", {40, 41}),
        ("new-parent", {47}),
    ],
)
def test_unsafe_cases_are_reported_but_not_rewritten(
    tmp_path: Path, target: str, lines: set[int], capsys: pytest.CaptureFixture[str]
) -> None:
    path = _context(tmp_path, UNSAFE)
    result = engine.check_dockerfile(str(path), target=target, config=Config(select=("DP201",)))
    assert {f.line for f in result.findings} == lines
    fixed = engine.fix_dockerfile(str(path), target=target, config=Config(select=("DP201",)))
    assert fixed.applied == 0
    assert fixed.fixed == {}


def test_seed_runtime_is_not_rewritten(tmp_path: Path) -> None:
    """The seed chowns the whole WORKDIR that WORKDIR made and three COPYs filled."""
    seed = Path(__file__).parents[2] / "shared" / "seed" / "extracted" / "Dockerfile"
    if not seed.is_file():
        pytest.skip("the seed's files are not next to this checkout")
    path = tmp_path / "Dockerfile"
    path.write_bytes(seed.read_bytes())
    result = engine.check_dockerfile(str(path), config=Config(select=("DP201",)))
    assert [f.line for f in result.findings] == [94]
    assert engine.fix_dockerfile(str(path), config=Config(select=("DP201",))).applied == 0


# --------------------------------------------------------------------------- with an engine

ENGINE_CASE = """\
FROM python:3.13-slim
RUN groupadd -g 10001 app && useradd -u 10001 -g app app
WORKDIR /app
COPY src ./src
RUN python -c "print('between')" && \\
    chown -R app:app /app/src
COPY src/app.py /srv/app.py
RUN chown -R 10001:10001 /srv/app.py
"""
# Owner, group and mode of everything the COPYs made (the destination folder included).
INVENTORY = "find /app /srv -printf '%u:%g %m %p\\n' | sort"


@pytest.mark.docker
@pytest.mark.slow
def test_fixed_dockerfile_builds_the_same_files(
    tmp_path: Path, python_base: str, docker_engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    original, fixed = tmp_path / "original", tmp_path / "fixed"
    for folder in (original, fixed):
        folder.mkdir()
        _context(folder, ENGINE_CASE.replace("python:3.13-slim", python_base))
    text = _fix(fixed / "Dockerfile", capsys)
    assert "COPY --chown=app:app src ./src" in text
    assert "chown" not in text.split("COPY --chown=10001:10001")[-1]
    assert _lines(fixed / "Dockerfile") == set()

    env = {**os.environ, **docker_engine.env}
    tags = []
    try:
        for folder in (original, fixed):
            tag = f"dockperf-fix-dp201:{uuid.uuid4().hex[:12]}"
            tags.append(tag)
            argv = [*docker_engine.build_argv(), "--network", "host", "--label", LABEL]
            done = subprocess.run(
                [*argv, "-t", tag, str(folder)],
                capture_output=True,
                text=True,
                env=env,
                timeout=600,
            )
            assert done.returncode == 0, done.stderr[-3000:]
        listings = []
        sizes = []
        for tag in tags:
            argv = [*docker_engine.docker, "run", "--rm", "--network", "none"]
            run = subprocess.run(
                [*argv, tag, "sh", "-c", INVENTORY],
                capture_output=True,
                text=True,
                env=env,
                timeout=120,
            )
            assert run.returncode == 0, run.stderr[-2000:]
            listings.append(run.stdout)
            inspect = subprocess.run(
                [*docker_engine.docker, "image", "inspect", "--format", "{{.Size}}", tag],
                capture_output=True,
                text=True,
                env=env,
                timeout=60,
            )
            sizes.append(int(inspect.stdout.strip()))
        assert "app:app 755 /app/src/pkg" in listings[0]
        assert listings[1] == listings[0]
        # The chown layers are gone; /app (made by WORKDIR) stays root's in both.
        assert sizes[1] <= sizes[0]
    finally:
        subprocess.run(
            [*docker_engine.docker, "rmi", "-f", *tags], capture_output=True, env=env, timeout=120
        )
