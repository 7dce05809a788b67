"""Runtime helpers on data captured from the real engine (docker top, stats) and compose files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.errors import BenchError
from bench.metrics import Limits
from bench.runtime import (
    clamp_limits,
    compose_limits,
    count_workers,
    memory_limit,
    memory_usage,
    worker_memory,
    worker_processes,
)

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).resolve().parents[2]


def test_uvicorn_with_two_workers_captured_from_docker_top() -> None:
    # uvicorn --workers 2: the supervisor, multiprocessing's resource tracker, two spawned workers
    top = json.loads((FIXTURES / "top_uvicorn_2_workers.json").read_text())
    assert len(top["Processes"]) == 4
    assert count_workers(top) == 2


def test_worker_rss_of_the_backend_with_two_workers() -> None:
    # `docker top <id> -eo pid,ppid,rss,args` of the backend image, WORKERS=2 (engine 20.10):
    # the supervisor (25900 KiB), the resource tracker (12048 KiB), two spawned workers.
    top = json.loads((FIXTURES / "top_rss_uvicorn_2_workers.json").read_text())
    assert top["Titles"] == ["PID", "PPID", "RSS", "COMMAND"]
    assert [row[0] for row in worker_processes(top)] == ["23955", "23956"]
    assert count_workers(top) == 2
    # median of 118432 and 119760 KiB = 119096 KiB = 116.3 MiB, rounded up
    assert worker_memory(top) == 117 * 1024 * 1024


def test_worker_rss_of_the_backend_with_one_worker() -> None:
    # WORKERS=1: uvicorn serves from its only process, no supervisor.
    top = json.loads((FIXTURES / "top_rss_uvicorn_1_worker.json").read_text())
    assert [row[0] for row in worker_processes(top)] == ["24018"]
    assert worker_memory(top) == 117 * 1024 * 1024  # 119560 KiB = 116.8 MiB


def test_worker_memory_needs_an_rss_column_and_a_worker() -> None:
    plain = json.loads((FIXTURES / "top_uvicorn_2_workers.json").read_text())
    assert worker_memory(plain) is None
    nginx = {"Titles": ["PID", "PPID", "RSS", "COMMAND"], "Processes": [["1", "0", "900", "nginx"]]}
    assert worker_memory(nginx) is None
    # an odd count: the middle one; exactly 100 MiB stays 100 MiB
    three = {
        "Titles": ["PID", "PPID", "RSS", "COMMAND"],
        "Processes": [
            ["1", "0", "30000", "python -m gunicorn app:app -w 3"],
            ["2", "1", "90000", "python -m gunicorn app:app -w 3"],
            ["3", "1", "102400", "python -m gunicorn app:app -w 3"],
            ["4", "1", "500000", "python -m gunicorn app:app -w 3"],
        ],
    }
    assert worker_memory(three) == 100 * 1024 * 1024


def _top(*rows: tuple[str, str, str]) -> dict:
    return {
        "Titles": ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"],
        "Processes": [
            ["root", pid, ppid, "0", "10:00", "?", "00:00:00", cmd] for pid, ppid, cmd in rows
        ],
    }


def test_single_process_server_is_one_worker() -> None:
    assert count_workers(_top(("10", "1", "python /srv/src/server.py"))) == 1


def test_shell_wrapper_and_gunicorn() -> None:
    top = _top(
        ("10", "1", "/bin/sh /usr/local/bin/docker-entrypoint.sh"),
        ("11", "10", "/usr/local/bin/python /usr/local/bin/gunicorn app:app -w 3"),
        ("12", "11", "/usr/local/bin/python /usr/local/bin/gunicorn app:app -w 3"),
        ("13", "11", "/usr/local/bin/python /usr/local/bin/gunicorn app:app -w 3"),
        ("14", "11", "/usr/local/bin/python /usr/local/bin/gunicorn app:app -w 3"),
    )
    assert count_workers(top) == 3


def test_no_python_at_all() -> None:
    assert count_workers(_top(("10", "1", "nginx: master process"))) == 0


def test_memory_like_docker_stats_on_cgroup_v1() -> None:
    stats = json.loads((FIXTURES / "stats_cgroup1.json").read_text())
    usage = stats["memory_stats"]["usage"]
    inactive = stats["memory_stats"]["stats"]["total_inactive_file"]
    assert memory_usage(stats) == usage - inactive == 225652736
    assert memory_limit(stats) == 536870912


def test_memory_on_cgroup_v2_and_without_details() -> None:
    assert memory_usage({"memory_stats": {"usage": 1000, "stats": {"inactive_file": 300}}}) == 700
    assert memory_usage({"memory_stats": {"usage": 1000}}) == 1000
    assert memory_usage({}) == 0
    assert memory_limit({}) is None


def test_backend_compose_limits() -> None:
    compose = ROOT / "backend/docker-compose.dev.yml"
    assert compose_limits(compose, "backend-prod") == (4.0, 512 * 1024 * 1024, "backend-prod")
    assert compose_limits(compose, None)[2] == "backend"


def test_compose_interpolation_and_short_form(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("APP_CPUS", "1.5")
    monkeypatch.delenv("APP_MEM", raising=False)
    path = tmp_path / "compose.yml"
    path.write_text(
        "services:\n"
        "  a:\n    deploy:\n      resources:\n        limits:\n"
        "          cpus: ${APP_CPUS:-2}\n          memory: ${APP_MEM:-256m}\n"
        "  b:\n    cpus: 0.5\n    mem_limit: 1g\n"
        "  c:\n    image: x\n"
    )
    assert compose_limits(path, "a") == (1.5, 256 * 1024 * 1024, "a")
    assert compose_limits(path, "b") == (0.5, 1024**3, "b")
    assert compose_limits(path, "c") == (None, None, "c")
    with pytest.raises(BenchError, match="no service 'd' \\(has a, b, c\\)"):
        compose_limits(path, "d")


def test_clamping_to_the_machine() -> None:
    assert clamp_limits(4.0, 512 * 1024**2, 2, 24 * 1024**3, "dev.yml:backend") == Limits(
        2.0, 512 * 1024**2, ("dev.yml:backend: cpus 4 clamped to the machine's 2",)
    )
    assert clamp_limits(1.0, 64 * 1024**3, 2, 24 * 1024**3, "c") == Limits(
        1.0, 24 * 1024**3, ("c: memory 64GiB clamped to the machine's 24GiB",)
    )
    assert clamp_limits(None, None, 2, 1, "c") == Limits(None, None, ())
