"""Shared fixtures. `docker_engine`: a real engine, or a skip (a failure under CI=true)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    import docker

    from bench.dockerd import Engine

STAND_IN = "python:3.13-slim"


def _unavailable(reason: str) -> None:
    """Under CI a missing engine is a failure, never a skip (.ci/run provisions one)."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def docker_engine() -> Engine:
    """An engine that answers and a CLI that builds with BuildKit (provisioned under CI=true)."""
    try:
        import docker  # noqa: F401  (the SDK is the [bench] extra)
    except ImportError:
        _unavailable("the docker SDK is not installed (pip install -e '.[bench]')")
    from bench import dockerd
    from bench.errors import BenchError

    try:
        return dockerd.ensure_engine(provision=os.environ.get("CI") == "true")
    except BenchError as exc:
        _unavailable(f"no Docker engine: {exc}")
        raise  # unreachable: skip/fail raise


@pytest.fixture(scope="session")
def docker_client(docker_engine: Engine) -> Iterator[docker.DockerClient]:
    from bench import dockerd

    client = dockerd.connect()
    yield client
    client.close()


@pytest.fixture(scope="session")
def python_base(docker_engine: Engine) -> str:
    """python:3.13-slim present locally: pulled, or the cached debootstrap stand-in."""
    from bench import baseimages
    from bench.errors import BenchError

    try:
        baseimages.ensure_one(STAND_IN, docker_engine.docker, docker_engine.env)
    except BenchError as exc:
        _unavailable(f"cannot make {STAND_IN}: {exc}")
    return STAND_IN
