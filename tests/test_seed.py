"""The seed's verbatim files give exactly their expected findings (DESIGN.md lists the faults)."""

from __future__ import annotations

import json
from pathlib import Path

from rules.cli import main

SEED = Path(__file__).parent / "fixtures" / "seed"
SHARED_SEED = Path(__file__).parents[2] / "shared" / "seed" / "extracted"

# (rule, file, first line): every fault kind of the seed, and nothing else.
EXPECTED = {
    # .dockerignore: inline comments turn three exceptions into patterns that match nothing.
    ("DP401", ".dockerignore", 96),
    ("DP401", ".dockerignore", 110),
    ("DP401", ".dockerignore", 134),
    # So the requirement files are not in the context and the build fails with "not found".
    ("DP402", "Dockerfile", 31),
    ("DP402", "Dockerfile", 41),
    ("DP402", "Dockerfile", 51),
    # `# syntax=docker/dockerfile:1.4`: a registry pull on every build; fails offline.
    ("DP105", "Dockerfile", 1),
    # apt cache mounts with docker-clean still active; `apt-get clean` under the mount.
    ("DP102", "Dockerfile", 13),
    ("DP102", "Dockerfile", 63),
    ("DP102", "Dockerfile", 127),
    ("DP101", "Dockerfile", 127),
    # PIP_NO_CACHE_DIR=0 still disables pip's cache: the three pip cache mounts do nothing.
    ("DP103", "Dockerfile", 32),
    ("DP103", "Dockerfile", 42),
    ("DP103", "Dockerfile", 52),
    # PIP_PARALLEL_DOWNLOAD is not a pip option.
    ("DP503", "Dockerfile", 28),
    # PYTHONPATH=...:${PYTHONPATH} with PYTHONPATH unset: an empty entry (the current directory).
    ("DP306", "Dockerfile", 72),
    # Three --prefix installs resolved separately, combined in the runtime: duplicates and skew.
    ("DP106", "Dockerfile", 80),
    # `find src -name '*.py' -delete` in a later layer than the COPY: nothing saved.
    ("DP202", "Dockerfile", 90),
    # `chown -R /app` after the COPYs: every file stored again.
    ("DP201", "Dockerfile", 94),
    # uvicorn rejects --max-requests and has no --max-requests-jitter.
    ("DP502", "Dockerfile", 116),
    ("DP502", "Dockerfile", 117),
    # The last stage, the default target, is the debug image.
    ("DP204", "Dockerfile", 123),
}


def test_fixture_is_the_seed_verbatim():
    for name in ("Dockerfile", ".dockerignore"):
        assert (SEED / name).read_bytes() == (SHARED_SEED / name).read_bytes()


def test_seed_findings_are_exactly_the_expected_set(capsys):
    code = main(["check", "--no-config", "--format", "json", str(SEED / "Dockerfile")])
    report = json.loads(capsys.readouterr().out)
    got = {(f["rule"], Path(f["file"]).name, f["line"]) for f in report["findings"]}
    assert got == EXPECTED
    assert code == 1


def test_seed_fails_the_lint_job_with_hadolint_merged(capsys):
    code = main(
        ["check", "--no-config", "--hadolint", "--format", "json", str(SEED / "Dockerfile")]
    )
    report = json.loads(capsys.readouterr().out)
    ours = {
        (f["rule"], Path(f["file"]).name, f["line"])
        for f in report["findings"]
        if f["source"] == "dockperf"
    }
    assert ours == EXPECTED
    assert code == 1
    kept = {(f["rule"], f["line"]) for f in report["findings"] if f["source"] == "hadolint"}
    assert kept == {
        ("DL3008", 13),  # unpinned apt packages: hadolint's point, ours has no such rule
        ("DL3008", 63),
        ("DL3008", 127),
        ("DL3025", 104),  # shell-form HEALTHCHECK CMD
        ("DL3066", 134),  # the final image's named user
    }
    dropped = {(d["rule"], d["line"]): d["reason"] for d in report["dropped_hadolint"]}
    assert set(dropped) == {("DL3066", 98), ("DL3066", 125), ("DL3009", 127)}
    assert dropped[("DL3009", 127)] == "repeats our DP101 at line 127"
