from __future__ import annotations

from fastapi.testclient import TestClient


def _create(client: TestClient, name: str = "greet", template: str = "Hello {who}") -> dict:
    response = client.post("/prompts", json={"name": name, "template": template})
    assert response.status_code == 201, response.text
    return response.json()


def test_create_then_read(client: TestClient) -> None:
    created = _create(client)
    assert created["id"] >= 1
    assert created["description"] == ""
    fetched = client.get(f"/prompts/{created['id']}").json()
    assert fetched == created


def test_list_is_ordered_and_paged(client: TestClient) -> None:
    ids = [_create(client, name=f"p{i}")["id"] for i in range(3)]
    assert [p["id"] for p in client.get("/prompts").json()] == ids
    assert [p["id"] for p in client.get("/prompts?limit=1&offset=1").json()] == ids[1:2]


def test_duplicate_name_conflicts(client: TestClient) -> None:
    _create(client)
    response = client.post("/prompts", json={"name": "greet", "template": "x"})
    assert response.status_code == 409


def test_update_changes_only_given_fields(client: TestClient) -> None:
    created = _create(client)
    response = client.patch(f"/prompts/{created['id']}", json={"description": "says hi"})
    assert response.status_code == 200
    body = response.json()
    assert body["description"] == "says hi"
    assert body["template"] == created["template"]


def test_delete_then_404(client: TestClient) -> None:
    created = _create(client)
    assert client.delete(f"/prompts/{created['id']}").status_code == 204
    assert client.get(f"/prompts/{created['id']}").status_code == 404
    assert client.delete(f"/prompts/{created['id']}").status_code == 404


def test_validation_rejects_empty_template(client: TestClient) -> None:
    response = client.post("/prompts", json={"name": "x", "template": ""})
    assert response.status_code == 422


def test_data_survives_a_restart(settings, database_url: str) -> None:
    from src.main import create_app

    with TestClient(create_app(settings)) as first:
        _create(first)
    # A second start migrates again (a no-op at head) and sees the same rows.
    with TestClient(create_app(settings)) as second:
        assert [p["name"] for p in second.get("/prompts").json()] == ["greet"]
