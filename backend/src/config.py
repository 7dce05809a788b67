"""Settings from the environment (and an optional .env), read once per process."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every knob the service has. Names are the environment variables, case-insensitive."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    app_name: str = "dockperf-backend"
    environment: Literal["development", "production", "test"] = "production"
    # SQLite next to the app by default; the image creates /app/data writable by the app user.
    database_url: str = "sqlite:///./data/dockperf.db"
    # Apply alembic migrations in the lifespan, serialized across workers by a file lock.
    migrate_on_startup: bool = True
    # HOST and PORT are what uvicorn binds (the entrypoint passes them) and what the healthcheck
    # probes; the app only reports them.
    host: str = "0.0.0.0"  # a container must listen beyond its loopback
    port: int = Field(default=8000, ge=1, le=65535)
    log_level: Literal["critical", "error", "warning", "info", "debug", "trace"] = "info"
    graph_max_words: int = Field(default=200, ge=1)


@lru_cache
def get_settings() -> Settings:
    return Settings()
