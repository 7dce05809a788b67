from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, inspect
from src.db import alembic_config, migrate


@contextmanager
def _engine(url: str) -> Iterator[Engine]:
    engine = create_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


def test_single_head() -> None:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert script.get_heads() == ["0001"]


def test_upgrade_creates_schema_and_downgrade_removes_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    migrate(url)
    with _engine(url) as engine:
        inspector = inspect(engine)
        assert {"prompts", "alembic_version"} <= set(inspector.get_table_names())
        columns = {c["name"] for c in inspector.get_columns("prompts")}
        assert columns == {"id", "name", "template", "description", "created_at", "updated_at"}
        assert any(ix["unique"] for ix in inspector.get_indexes("prompts"))

    command.downgrade(alembic_config(url), "base")
    with _engine(url) as engine:
        assert "prompts" not in inspect(engine).get_table_names()


def test_upgrade_is_idempotent(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    migrate(url)
    migrate(url)
    with _engine(url) as engine, engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == "0001"


def test_models_match_migration(tmp_path: Path) -> None:
    # autogenerate against the migrated database must find nothing to do.
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from src.models import Base

    url = f"sqlite:///{tmp_path / 'm.db'}"
    migrate(url)
    with _engine(url) as engine, engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_upgrade_creates_the_database_folder(tmp_path: Path) -> None:
    # The image's default is ./data/dockperf.db; a fresh volume has no data/ yet.
    url = f"sqlite:///{tmp_path / 'fresh' / 'data' / 'app.db'}"
    migrate(url)
    assert (tmp_path / "fresh" / "data" / "app.db").is_file()
