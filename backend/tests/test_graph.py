from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from src.graph import GraphError, build_graph, run_graph


def test_graph_runs_all_nodes_in_order() -> None:
    state = run_graph(
        build_graph(), "Tell {who} about {topic}", {"who": "Ada", "topic": "docker"}, 50
    )
    assert state["text"] == "Tell Ada about docker"
    assert state["steps"] == ["render", "bound", "keywords"]
    assert state["word_count"] == 4
    assert state["truncated"] is False
    assert state["keywords"] == ["ada", "docker", "tell"]


def test_graph_truncates_to_max_words() -> None:
    state = run_graph(build_graph(), "{body}", {"body": "one two three four five"}, 3)
    assert state["text"] == "one two three"
    assert state["truncated"] is True
    assert state["word_count"] == 3


def test_graph_ignores_unused_variables() -> None:
    state = run_graph(build_graph(), "static text", {"extra": "x"}, 10)
    assert state["text"] == "static text"


def test_graph_reports_missing_variables() -> None:
    with pytest.raises(GraphError, match="who"):
        run_graph(build_graph(), "Hello {who}", {}, 10)


def test_graph_endpoint(client: TestClient) -> None:
    response = client.post(
        "/graph/run",
        json={"template": "Cache {what} layers, cache {what} mounts", "variables": {"what": "pip"}},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["text"] == "Cache pip layers, cache pip mounts"
    assert body["keywords"][:2] == ["cache", "pip"]
    assert body["steps"] == ["render", "bound", "keywords"]


def test_graph_endpoint_uses_settings_limit(client: TestClient) -> None:
    # conftest sets GRAPH_MAX_WORDS to 12.
    response = client.post("/graph/run", json={"template": " ".join(["w"] * 20) + " end"})
    assert response.json()["word_count"] == 12
    assert response.json()["truncated"] is True


def test_graph_endpoint_missing_variable_is_422(client: TestClient) -> None:
    response = client.post("/graph/run", json={"template": "Hi {name}"})
    assert response.status_code == 422
    assert "name" in response.json()["detail"]


def test_run_stored_prompt(client: TestClient) -> None:
    prompt = client.post("/prompts", json={"name": "g", "template": "Hello {who}"}).json()
    response = client.post(f"/prompts/{prompt['id']}/run", json={"who": "world"})
    assert response.status_code == 200
    assert response.json()["text"] == "Hello world"
    assert client.post("/prompts/999/run", json={}).status_code == 404
