"""bench against the real engine, on a tiny image built FROM the local python:3.13-slim.

Nothing is mocked: builds go through BuildKit, containers run with host networking, memory is
read from the engine and compared with what `docker stats` prints.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench import build, config, image, runtime
from bench import run as bench_run
from bench.dockerd import Engine
from bench.metrics import Distribution, Limits
from bench.units import parse_memory

pytestmark = pytest.mark.docker

TINY = Path(__file__).resolve().parents[1] / "bench" / "fixtures" / "tiny"
RUN_ID = "pytest-engine"
SITE = "/usr/local/lib/python3.13/site-packages"
EXTRA = "/opt/extra/lib/python3.13/site-packages"


@pytest.fixture(scope="module")
def tiny_image(docker_engine: Engine, docker_client, python_base: str) -> Iterator[str]:
    spec = build.BuildSpec(
        context=TINY,
        dockerfile=TINY / "Dockerfile",
        tag=f"dockperf-test/tiny:{RUN_ID}",
        run_id=RUN_ID,
        timeout=300,
    )
    result = build.build(docker_engine, spec)
    yield result.image_id
    bench_run.cleanup(docker_client, RUN_ID)


def test_cold_then_warm_build_steps_and_cache_hits(docker_engine: Engine, python_base: str) -> None:
    spec = build.BuildSpec(
        context=TINY,
        dockerfile=TINY / "Dockerfile",
        tag="dockperf-test/tiny:steps",
        run_id="pytest-steps",
        no_cache=True,
        timeout=300,
    )
    try:
        cold = build.build(docker_engine, spec)
        warm = build.build(docker_engine, build.BuildSpec(**{**spec.__dict__, "no_cache": False}))
    finally:
        subprocess.run(
            [docker_engine.client, "image", "rm", "-f", "dockperf-test/tiny:steps"],
            capture_output=True,
            check=False,
        )
    expected = [
        "FROM docker.io/library/python:3.13-slim",
        "COPY requirements-app.txt /srv/requirements-app.txt",
        "RUN wc -l /srv/requirements-app.txt > /srv/deps-installed",
        "COPY blob.bin /srv/blob.bin",
        "RUN rm /srv/blob.bin",
        "COPY dists/a/ /usr/local/lib/python3.13/site-packages/",
        "COPY dists/b/ /opt/extra/lib/python3.13/site-packages/",
        "COPY src /srv/src",
    ]
    assert sorted(s.instruction for s in cold.steps) == sorted(expected)
    assert sorted(s.instruction for s in warm.steps) == sorted(expected)
    # --no-cache rebuilds every step but the base image; the rebuild right after reuses them all.
    assert [s.instruction for s in cold.steps if s.cached] in ([], [expected[0]])
    assert all(s.status == "done" for s in cold.steps if s.instruction != expected[0])
    # (BuildKit prints the FROM of a warm build as CACHED or as DONE 0.0s, depending on timing.)
    assert {s.instruction for s in warm.steps if s.cached} - {expected[0]} == set(expected[1:])
    assert all(s.seconds == 0.0 for s in warm.steps)
    assert cold.image_id.startswith("sha256:") and warm.image_id.startswith("sha256:")
    assert cold.seconds > warm.seconds > 0


def test_image_analysis_exact(docker_client, tiny_image: str) -> None:
    m = image.analyse(docker_client, tiny_image)
    attrs = docker_client.images.get(tiny_image).attrs
    assert m.size_bytes == attrs["Size"]
    # The stand-in base is one layer; seven instructions add files; ENV and CMD add none.
    assert m.layer_count == 8 == len(attrs["RootFS"]["Layers"])
    assert [layer.created_by for layer in m.layers[1:]] == [
        "COPY requirements-app.txt /srv/requirements-app.txt",
        "RUN /bin/sh -c wc -l /srv/requirements-app.txt > /srv/deps-installed",
        "COPY blob.bin /srv/blob.bin",
        "RUN /bin/sh -c rm /srv/blob.bin",
        "COPY dists/a/ /usr/local/lib/python3.13/site-packages/",
        "COPY dists/b/ /opt/extra/lib/python3.13/site-packages/",
        "COPY src /srv/src",
    ]
    sizes = [layer.size_bytes for layer in m.layers]
    assert sizes[3] == 100_000  # blob.bin
    assert sizes[4] == 0  # a whiteout has no bytes
    assert sum(sizes) == m.size_bytes
    # blob.bin was added, then deleted: its bytes are still shipped.
    assert m.wasted_bytes == 100_000
    assert m.duplicate_distributions == (
        Distribution("other-pkg", ("3.1",), (EXTRA, SITE)),
        Distribution("tinylib", ("1.0", "2.0"), (EXTRA, SITE)),
    )


def test_history_sizes_agree_with_docker_history(
    docker_engine: Engine, docker_client, tiny_image: str
) -> None:
    m = image.analyse(docker_client, tiny_image)
    out = subprocess.run(
        [
            docker_engine.client,
            "history",
            "--no-trunc",
            "--human=false",
            "--format",
            "{{.Size}}",
            tiny_image,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    non_empty = [int(x) for x in reversed(out) if int(x) > 0]
    assert [layer.size_bytes for layer in m.layers if layer.size_bytes > 0] == non_empty


def test_startup_memory_workers_and_load(
    docker_engine: Engine, docker_client, tiny_image: str
) -> None:
    limits = Limits(cpus=1.0, memory_bytes=64 * 1024 * 1024)
    spec = runtime.RunSpec(
        image=tiny_image,
        run_id=RUN_ID,
        name=f"dockperf-test-{RUN_ID}-rt",
        env=(("WORKERS", "2"),),
        limits=limits,
        health_timeout=30,
    )
    ids: list[str] = []
    plan = runtime.Plan(repeats=3, settle_seconds=0.5, load_seconds=1.0, concurrency=4)
    result = runtime.measure(docker_client, spec, plan, started_ids=ids)
    assert len(result.startups) == 3
    assert all(0 < s < 30 for s in result.startups)
    assert result.workers == 2  # the pre-fork parent and its two children
    # one child's RSS from `docker top -eo pid,ppid,rss,args`, whole MiB, inside the limit
    per_worker = result.worker_memory_bytes
    assert per_worker is not None and 0 < per_worker < 64 * 1024 * 1024
    assert per_worker % (1024 * 1024) == 0
    assert result.memory_limit_bytes == 64 * 1024 * 1024
    assert result.memory_idle_bytes is not None and result.memory_idle_bytes > 1_000_000
    assert result.memory_load_bytes is not None and result.memory_load_bytes >= 1_000_000
    assert result.requests_per_second is not None and result.requests_per_second > 0
    # measure() removed every container it started
    assert (
        docker_client.containers.list(all=True, filters={"label": f"dockperf.bench={RUN_ID}"}) == []
    )
    assert len(ids) == 3


def test_memory_agrees_with_docker_stats(
    docker_engine: Engine, docker_client, tiny_image: str
) -> None:
    spec = runtime.RunSpec(
        image=tiny_image,
        run_id=RUN_ID,
        name=f"dockperf-test-{RUN_ID}-mem",
        limits=Limits(None, 128 * 1024 * 1024),
    )
    started = runtime.start(docker_client, spec, 0)
    try:
        container = docker_client.containers.get(started.container_id)
        ours, limit = runtime.sample_memory(container)
        shown = subprocess.run(
            [
                docker_engine.client,
                "stats",
                "--no-stream",
                "--format",
                "{{.MemUsage}}",
                started.container_id,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        theirs, their_limit = (parse_memory(x) for x in shown.split(" / "))
        assert their_limit == limit == 128 * 1024 * 1024
        # Same formula; the two reads are a moment apart and `docker stats` rounds to 4 digits.
        assert abs(ours - theirs) <= max(0.05 * theirs, 512 * 1024)
        top = container.top()
        assert runtime.count_workers(top) == 1
        assert len(top["Processes"]) == 1
    finally:
        runtime.remove(docker_client, started.container_id)


def test_full_run_writes_metrics_and_cleans_up(
    docker_engine: Engine, docker_client, python_base: str, tmp_path: Path
) -> None:
    project = _project(tmp_path)
    cfg = config.load(project)
    opts = bench_run.Options(
        repeat=2,
        startup_repeat=2,
        settle_seconds=0.5,
        load_seconds=1.0,
        concurrency=4,
        output_dir=tmp_path / "reports",
        run_id="pytest-full",
        health_timeout=30,
    )
    outcome = bench_run.run(cfg, opts)
    data = json.loads((tmp_path / "reports" / "metrics.json").read_text())
    v = data["variants"]["tiny"]
    assert (v["partial"], v["errors"]) == (False, [])
    for scenario in ("cold", "warm", "source_change", "deps_change"):
        assert len(v["build"][scenario]["runs"]) == 2
        s = v["build"][scenario]
        assert s["min"] <= s["median"] <= s["max"]
    cached = {x["instruction"]: x["cached"] for x in v["build"]["source_change"]["steps"]}
    assert cached["COPY src /srv/src"] is False
    assert cached["COPY requirements-app.txt /srv/requirements-app.txt"] is True
    deps = {x["instruction"]: x["cached"] for x in v["build"]["deps_change"]["steps"]}
    assert deps["COPY requirements-app.txt /srv/requirements-app.txt"] is False
    assert deps["RUN wc -l /srv/requirements-app.txt > /srv/deps-installed"] is False
    assert v["image"]["layer_count"] == 8
    assert v["image"]["wasted_bytes"] == 100_000
    # no .dockerignore: the 8 fixture files and compose.yml are sent
    files = [p for p in (project / "svc").rglob("*") if p.is_file()]
    assert v["context"] == {"files": 9, "bytes": sum(p.stat().st_size for p in files)}
    assert v["runtime"]["workers"] == 1
    assert v["runtime"]["worker_memory_bytes"] > 0  # the single server process
    assert len(v["runtime"]["startup"]["runs"]) == 2
    assert v["runtime"]["limits"] == {"cpus": 1.0, "memory_bytes": 96 * 1024 * 1024}
    assert data["layer_count"] == 8
    assert data["image_size_bytes"] == v["image"]["size_bytes"]
    assert data["engine"]["base_images"] == [
        {"ref": "python:3.13-slim", "source": data["engine"]["base_images"][0]["source"]}
    ]
    assert [t["metric"] for t in data["targets"]] == [
        "build_time_seconds",
        "image_size_bytes",
        "startup_time_seconds",
        "memory_bytes",
    ]
    assert "| tiny |" in (tmp_path / "reports" / "bench.md").read_text()
    assert outcome.interrupted is False and outcome.fatal is None
    # the edits were undone and nothing labelled with the run is left
    assert (project / "svc/src/server.py").read_bytes() == (TINY / "src/server.py").read_bytes()
    assert (project / "svc/requirements-app.txt").read_bytes() == (
        TINY / "requirements-app.txt"
    ).read_bytes()
    _assert_clean(docker_client, "pytest-full")


def _project(tmp_path: Path, extra: str = "") -> Path:
    project = tmp_path / "project"
    shutil.copytree(TINY, project / "svc")
    (project / "svc/compose.yml").write_text(
        "services:\n  tiny:\n    deploy:\n      resources:\n        limits:\n"
        "          cpus: '1'\n          memory: 96M\n"
    )
    (project / "pyproject.toml").write_text(
        "[tool.dockperf.bench]\n"
        "variants = [{ name = 'tiny', dockerfile = 'svc/Dockerfile', compose = 'svc/compose.yml',"
        f" source_file = 'svc/src/server.py'{extra} }}]\n"
    )
    return project


def _assert_clean(client, run_id: str) -> None:
    selector = {"label": f"dockperf.bench={run_id}"}
    assert client.containers.list(all=True, filters=selector) == []
    assert client.images.list(all=True, filters=selector) == []


def test_docker_images_size_matches(docker_engine: Engine, docker_client, tiny_image: str) -> None:
    """The seed's `image_size` string is what the SIZE column of `docker images` shows."""
    from bench.units import human_size

    shown = subprocess.run(
        [docker_engine.client, "image", "ls", "--format", "{{.ID}} {{.Size}}", "--no-trunc"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    size = re.search(re.escape(tiny_image) + r" (\S+)", shown)
    assert size is not None
    assert human_size(image.analyse(docker_client, tiny_image).size_bytes) == size.group(1)


def test_keep_images_replaces_the_previous_kept_image(
    docker_engine: Engine, docker_client, python_base: str, tmp_path: Path
) -> None:
    project = _project(tmp_path)
    cfg = config.load(project)
    ids = []
    try:
        for i in range(2):
            # a different server each time, so the two kept images differ
            (project / "svc/src/server.py").write_text(
                (TINY / "src/server.py").read_text() + f"# build {i}\n"
            )
            opts = bench_run.Options(
                repeat=1,
                startup_repeat=1,
                settle_seconds=0.2,
                load_seconds=0.5,
                concurrency=2,
                scenarios=("warm",),
                keep_images=True,
                output_dir=tmp_path / f"r{i}",
                run_id=f"pytest-keep-{i}",
            )
            bench_run.run(cfg, opts)
            ids.append(docker_client.images.get("dockperf/tiny:latest").id)
        assert ids[0] != ids[1]
        # the first kept image was ours and is gone; the second is kept, nothing else is left
        assert docker_client.images.list(filters={"label": "dockperf.bench=pytest-keep-0"}) == []
        kept = docker_client.images.list(filters={"label": "dockperf.bench=pytest-keep-1"})
        assert [img.tags for img in kept] == [["dockperf/tiny:latest"]]
    finally:
        import contextlib

        import docker as docker_sdk

        with contextlib.suppress(docker_sdk.errors.ImageNotFound):
            docker_client.images.remove("dockperf/tiny:latest")
