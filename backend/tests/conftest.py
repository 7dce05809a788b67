"""Fixtures: an app on a fresh SQLite file per test, migrated by its own lifespan."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

BACKEND_DIR = Path(__file__).resolve().parent.parent
# Tests run from backend/ like the image runs from /app; make `src` importable from anywhere.
if str(BACKEND_DIR) not in sys.path:
    sys.path.insert(0, str(BACKEND_DIR))

from src.config import Settings  # noqa: E402
from src.main import create_app  # noqa: E402


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, environment="test", graph_max_words=12)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    # The context manager runs the lifespan: migration, engine, compiled graph.
    with TestClient(create_app(settings)) as test_client:
        yield test_client
