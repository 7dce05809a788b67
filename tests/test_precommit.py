"""The exported pre-commit hooks: the manifest, and our hook run end to end with `try-repo`.

`pre-commit try-repo <this repository> dockerfile-rules` clones this repository (its committed
HEAD, plus a shadow commit of uncommitted changes), installs it into a fresh virtualenv from
PyPI like any user's pre-commit would, and runs the hook on files of a temporary git repository.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = ROOT / ".pre-commit-hooks.yaml"
CONFIG = ROOT / ".pre-commit-config.yaml"

BAD = """\
FROM python:3.13-slim
RUN apt-get update && \\

    apt-get install -y --no-install-recommends curl
CMD ["python", "-m", "http.server"]
"""
GOOD = """\
FROM python:3.13-slim
WORKDIR /app
COPY app.py .
RUN python -m compileall -q /app
USER 10001
HEALTHCHECK CMD ["python", "-c", "print('ok')"]
CMD ["python", "app.py"]
"""


def _yaml(path: Path):
    yaml = pytest.importorskip("yaml")  # pre-commit depends on PyYAML
    return yaml.safe_load(path.read_text())


def test_manifest_entries_are_declared_console_scripts():
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    hooks = _yaml(MANIFEST)
    assert {h["id"] for h in hooks} == {"dockerfile-rules", "dockerfile-rules-hadolint"}
    for hook in hooks:
        assert hook["language"] == "python"
        assert hook["entry"].split()[0] in scripts, hook["entry"]
        assert scripts[hook["entry"].split()[0]] == "rules.cli:main"
    assert next(h for h in hooks if h["id"] == "dockerfile-rules-hadolint")["entry"].endswith(
        "--hadolint"
    )


@pytest.mark.parametrize(
    ("path", "selected"),
    [
        ("Dockerfile", True),
        ("backend/Dockerfile", True),
        ("backend/Dockerfile.dev", True),
        ("Containerfile", True),
        ("docker/api.dockerfile", True),
        ("backend/.dockerignore", True),
        (".dockerignore", True),
        ("docs/Dockerfile.md", True),  # as docker build -f would take it
        ("notes/dockerfile-tips.txt", False),
        ("src/app.py", False),
        ("my.dockerignore.bak", False),
    ],
)
def test_manifest_file_pattern(path, selected):
    pattern = _yaml(MANIFEST)[0]["files"]
    assert bool(re.search(pattern, path)) is selected


def test_config_runs_ruff_hadolint_and_our_hook_without_fixtures():
    config = _yaml(CONFIG)
    assert re.search(config["exclude"], "tests/fixtures/DP101/bad.Dockerfile")
    ids = [hook["id"] for repo in config["repos"] for hook in repo["hooks"]]
    assert {"ruff", "ruff-format", "hadolint", "dockerfile-rules"} <= set(ids)


def _pre_commit() -> list[str]:
    exe = Path(sys.executable).with_name("pre-commit")
    if exe.exists():
        return [str(exe)]
    if shutil.which("pre-commit"):
        return ["pre-commit"]
    pytest.skip("pre-commit is not installed")
    return []


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def sample_repo(tmp_path_factory) -> Path:
    repo = tmp_path_factory.mktemp("hooked")
    (repo / "bad").mkdir()
    (repo / "bad" / "Dockerfile").write_text(BAD)
    (repo / "good").mkdir()
    (repo / "good" / "Dockerfile").write_text(GOOD)
    (repo / "good" / "app.py").write_text("print('hi')\n")
    (repo / "good" / ".dockerignore").write_text("**/__pycache__\n.git\n")
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    return repo


def _try_repo(repo: Path, *files: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PRE_COMMIT"))}
    # One cache for the module's runs: the second run reuses the hook's environment.
    env["PRE_COMMIT_HOME"] = str(repo.parent / "pre-commit-home")
    return subprocess.run(
        [*_pre_commit(), "try-repo", str(ROOT), "dockerfile-rules", "--files", *files],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


def test_hook_fails_on_a_bad_dockerfile(sample_repo):
    proc = _try_repo(sample_repo, "bad/Dockerfile")
    output = proc.stdout + proc.stderr
    assert proc.returncode == 1, output
    assert "bad/Dockerfile:3:1: DP902" in output
    assert "Traceback" not in output


def test_hook_passes_on_a_good_dockerfile(sample_repo):
    proc = _try_repo(sample_repo, "good/Dockerfile", "good/.dockerignore")
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert "Passed" in output
