from __future__ import annotations

import pytest
from pydantic import ValidationError
from src.config import Settings
from src.healthcheck import probe_url


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HOST", "PORT", "DATABASE_URL", "LOG_LEVEL", "MIGRATE_ON_STARTUP"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(_env_file=None)
    assert settings.database_url.startswith("sqlite:///")
    assert (settings.host, settings.port) == ("0.0.0.0", 8000)
    assert settings.migrate_on_startup is True


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOST", "127.0.0.1")
    monkeypatch.setenv("PORT", "18123")
    monkeypatch.setenv("DATABASE_URL", "sqlite:////tmp/x.db")
    monkeypatch.setenv("LOG_LEVEL", "warning")
    settings = Settings(_env_file=None)
    assert (settings.host, settings.port, settings.log_level) == ("127.0.0.1", 18123, "warning")
    assert settings.database_url == "sqlite:////tmp/x.db"


def test_invalid_port_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORT", "70000")
    with pytest.raises(ValidationError):
        Settings(_env_file=None)


@pytest.mark.parametrize(
    ("env", "url"),
    [
        ({}, "http://127.0.0.1:8000/health"),
        ({"HOST": "0.0.0.0", "PORT": "9001"}, "http://127.0.0.1:9001/health"),
        ({"HOST": "127.0.0.1", "PORT": "18000"}, "http://127.0.0.1:18000/health"),
        ({"HOST": "::1", "PORT": "81"}, "http://[::1]:81/health"),
    ],
)
def test_healthcheck_probes_the_served_port(env: dict[str, str], url: str) -> None:
    assert probe_url(env) == url
