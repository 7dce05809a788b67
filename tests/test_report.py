"""reports/index.html and summary.md, opened in a real headless Chromium."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from bench import report

FIXTURES = Path(__file__).parent / "fixtures" / "report"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _require_chromium() -> str:
    if CHROMIUM:
        return CHROMIUM
    if os.environ.get("CI") == "true":
        pytest.fail("chromium is not installed; .ci/run installs Debian's chromium package")
    pytest.skip("chromium is not installed (apt-get install chromium)")


@pytest.fixture
def built(tmp_path: Path) -> Path:
    for name in ("metrics.json", "lint.json"):
        shutil.copy(FIXTURES / name, tmp_path / name)
    assert report.main(["--reports", str(tmp_path), "--config", str(tmp_path / "none.toml")]) == 0
    return tmp_path


def test_page_is_self_contained_with_every_chart(built: Path):
    page = (built / "index.html").read_text(encoding="utf-8")
    assert page.count("<svg") == 5
    for title in ("Lint findings", "Build time", "Layers", "Startup", "Memory", "Claims"):
        assert f"<h2>{title}</h2>" in page
    # Nothing to fetch: no scripts, stylesheets or images from anywhere.
    assert re.findall(r"""(?:src|href)=["'](?:https?:)?//""", page) == []
    assert "<script" not in page


def test_summary_has_claims_and_gate_verdict(built: Path):
    summary = (built / "summary.md").read_text(encoding="utf-8")
    assert "| apt cache mount | 3.20× | 2.80–3.60× | confirmed |" in summary
    assert "### dockperf gate: passed (variant `optimized`)" in summary
    assert "**Lint:** 2 findings (0 errors, 2 warnings, 0 info)" in summary


def test_missing_inputs_are_said_on_the_page(tmp_path: Path, capsys):
    assert report.main(["--reports", str(tmp_path), "--config", str(tmp_path / "x.toml")]) == 0
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "lint.json not found: run `nox -s lint` first" in page
    assert page.count("Nothing measured for this chart.") == 5
    assert "metrics.json not found" in capsys.readouterr().err


def test_renders_in_chromium_without_console_messages(built: Path, tmp_path: Path):
    chromium = _require_chromium()
    shot = tmp_path / "shot.png"
    base = [
        chromium,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--enable-logging=stderr",
        "--v=0",
    ]
    url = (built / "index.html").as_uri()
    dom = subprocess.run(
        [*base, "--dump-dom", url], capture_output=True, text=True, timeout=120, check=True
    )
    # The page has no script, so any console line is a resource or parse error.
    assert [ln for ln in dom.stderr.splitlines() if ":CONSOLE" in ln] == []
    assert dom.stdout.count("<svg") == 5
    assert "Startup distribution" in dom.stdout
    subprocess.run(
        [*base, "--window-size=1200,2400", f"--screenshot={shot}", url],
        capture_output=True,
        timeout=120,
        check=True,
    )
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 20_000
