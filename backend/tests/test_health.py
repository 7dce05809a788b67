from __future__ import annotations

import time

from fastapi.testclient import TestClient
from sqlalchemy import create_engine
from src import __version__


def test_health_reports_ok(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "version": __version__,
        "database": "ok",
        "graph": "compiled",
    }


def test_health_is_fast(client: TestClient) -> None:
    client.get("/health")
    start = time.perf_counter()
    for _ in range(20):
        assert client.get("/health").status_code == 200
    # 20 probes well under a second: the HEALTHCHECK and the startup benchmark poll it.
    assert time.perf_counter() - start < 1.0


def test_health_degraded_when_database_is_gone(client: TestClient) -> None:
    engine = client.app.state.engine
    # An unreachable database file: connecting fails, which is what ping must report.
    client.app.state.engine = create_engine("sqlite:///file:/nonexistent-dir/x.db?mode=ro&uri=true")
    try:
        response = client.get("/health")
    finally:
        client.app.state.engine.dispose()
        client.app.state.engine = engine
    assert response.status_code == 503
    assert response.json()["database"] == "down"


def test_openapi_lists_routes(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/health", "/prompts", "/prompts/{prompt_id}", "/graph/run"} <= set(paths)
