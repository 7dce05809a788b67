"""dockperf's sessions. Each one is thin: the logic lives in `rules/` and `bench/`.

The main job is `nox -s lint bench`; CI gates with `nox -s lint bench report gate`.
"""

from __future__ import annotations

from pathlib import Path

import nox

nox.options.sessions = ["lint", "tests"]
nox.options.reuse_venv = "yes"
nox.options.error_on_missing_interpreters = True

PYPROJECT = nox.project.load_toml("pyproject.toml")


def _python(version: str) -> str:
    """pyenv's build of `version` if any: pyenv's shims expose only the global version."""
    builds = sorted((Path.home() / ".pyenv" / "versions").glob(f"{version}.*/bin/python{version}"))
    return str(builds[-1]) if builds else version


PYTHON = "3.11"
# The backend's image runs Python 3.13; its own tests run on the same version.
BACKEND_PYTHON = _python("3.13")


def _install(session: nox.Session, *groups: str, extras: str = "", editable: bool = True) -> None:
    # A regular install where start-up time matters: setuptools' editable finder costs every
    # `dockerfile-rules` process 10-30 ms before it runs a line of ours.
    session.install(*(["-e"] if editable else []), f".{extras}")
    for group in groups:
        session.install(*nox.project.dependency_groups(PYPROJECT, group))


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """Ruff on our Python, then dockerfile-rules with hadolint merged on backend/."""
    _install(session, "lint", editable=False)
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run(
        "dockerfile-rules",
        "check",
        "--hadolint",
        "--output-json",
        "reports/lint.json",
        "--output-sarif",
        "reports/lint.sarif",
        # `nox -s lint bench -- --quick` hands bench's options to lint too: paths only here.
        *([a for a in session.posargs if not a.startswith("-")] or ["backend/"]),
    )


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """Our test suite (real engine, hadolint, pre-commit, browser), then the backend's own tests."""
    _install(session, "test", extras="[bench]")
    session.run("pytest", *session.posargs, env={"PYTHONUNBUFFERED": "1"})
    session.notify("backend_tests")


@nox.session(python=BACKEND_PYTHON)
def backend_tests(session: nox.Session) -> None:
    """The FastAPI service's own tests (pytest + TestClient) on the image's Python."""
    session.chdir("backend")
    # The lock is hashed: pip's hash-checking mode applies to the whole call, so the test tools
    # come in a second one.
    session.install(
        "--no-deps",
        "--require-hashes",
        "-r",
        "requirements-core.txt",
        "-r",
        "requirements-ai.txt",
        "-r",
        "requirements-app.txt",
    )
    session.install("pytest", "httpx")
    session.run("pytest", "-q", "tests", *session.posargs)


@nox.session(python=PYTHON)
def engine(session: nox.Session) -> None:
    """Find or provision a Docker engine with BuildKit (`-- --stop` stops one we started)."""
    _install(session, extras="[bench]")
    session.run("python", "-m", "bench", "engine", *session.posargs)


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Build, run and measure backend/'s variants; writes reports/metrics.json and bench.md."""
    _install(session, extras="[bench]")
    session.run("python", "-m", "bench", "run", *session.posargs)


@nox.session(python=PYTHON)
def report(session: nox.Session) -> None:
    """Turn lint.json and metrics.json into reports/index.html and summary.md."""
    _install(session, extras="[bench]")
    session.run("python", "-m", "bench", "report", *session.posargs)


@nox.session(python=PYTHON)
def gate(session: nox.Session) -> None:
    """Fail when metrics miss [tool.dockperf.gate] targets or regress against a baseline."""
    _install(session, extras="[bench]")
    session.run("python", "-m", "bench", "gate", *session.posargs)


@nox.session(python=PYTHON)
def requirements(session: nox.Session) -> None:
    """Resolve backend/pyproject.toml once and split the lock by change frequency (`-- --check`)."""
    _install(session, extras="[bench]")
    session.install("uv")
    session.run("python", "-m", "bench", "requirements", *session.posargs)


@nox.session(python=PYTHON)
def perf(session: nox.Session) -> None:
    """Time dockerfile-rules against hadolint over the corpus, side by side, and print the ratio."""
    _install(session, editable=False)
    session.run("python", "-m", "bench", "lintperf", *session.posargs)
