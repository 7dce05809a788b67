"""DP101-DP106 beyond the fixtures: the seed's verbatim Dockerfile, its autofix, and the facts the
rules rest on (pip's PIP_NO_CACHE_DIR semantics)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from rules import engine
from rules.config import Config

SEED = Path(__file__).parent / "fixtures" / "seed"
OURS = ("DP101", "DP102", "DP103", "DP104", "DP105", "DP106")


def test_seed_findings() -> None:
    result = engine.check_dockerfile(
        str(SEED / "Dockerfile"), context_dir=str(SEED), config=Config(select=OURS)
    )
    got = {(f.rule, f.line) for f in result.findings}
    assert got == {
        # `# syntax=docker/dockerfile:1.4`: a registry pull on every build
        ("DP105", 1),
        # apt cache mounts on python:3.13-slim with docker-clean still active (and, at 63,
        # `apt-get clean` emptying the mounted cache)
        ("DP102", 13),
        ("DP102", 63),
        ("DP102", 127),
        # the debug stage mounts /var/cache/apt but not /var/lib/apt
        ("DP101", 127),
        # the ENV at line 23 sets PIP_NO_CACHE_DIR=0, which turns pip's cache off in every builder
        ("DP103", 32),
        ("DP103", 42),
        ("DP103", 52),
        # three --prefix groups resolved separately, copied together into the runtime stage
        ("DP106", 80),
    }
    messages = {(f.rule, f.line): f.message for f in result.findings}
    assert "PIP_NO_CACHE_DIR=0" in messages[("DP103", 42)]
    assert "apt-get clean" in messages[("DP102", 63)]
    assert "/install-core" in messages[("DP106", 80)]


def test_seed_fix(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    path.write_bytes((SEED / "Dockerfile").read_bytes())
    result = engine.fix_dockerfile(str(path), config=Config(select=OURS))
    fixed = result.fixed[str(path)].decode()
    # One docker-clean removal per independent lineage: builder-core (which builder-ai and
    # builder-app are built from) and runtime (which runtime-debug is built from).
    assert fixed.count("RUN rm -f /etc/apt/apt.conf.d/docker-clean") == 2
    assert "--mount=type=cache,target=/var/lib/apt,sharing=locked \\\n" in fixed
    path.write_text(fixed)
    left = engine.check_dockerfile(str(path), config=Config(select=OURS)).findings
    # Not rewritten on purpose: the ENV that turns pip's cache off (it is also in the runtime
    # image), the `apt-get clean` inside a command chain, the digest, the group layout.
    assert sorted({f.rule for f in left}) == ["DP102", "DP103", "DP105", "DP106"]
    assert all("apt-get clean" in f.message for f in left if f.rule == "DP102")
    assert "docker-clean is still active" not in " ".join(f.message for f in left)


def test_pip_no_cache_dir_zero_disables_the_cache(tmp_path: Path) -> None:
    """The fact DP103 rests on: any valid PIP_NO_CACHE_DIR value, 0 and false included, turns
    pip's cache off (pypa/pip#5385); an empty value leaves it on."""

    def cache_on(value: str) -> bool:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
        env.update(PIP_NO_CACHE_DIR=value, PIP_CONFIG_FILE=os.devnull, HOME=str(tmp_path))
        done = subprocess.run(
            [sys.executable, "-m", "pip", "cache", "dir"],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        return done.returncode == 0

    assert not cache_on("0")
    assert not cache_on("false")
    assert not cache_on("off")
    assert not cache_on("1")
    assert cache_on("")
