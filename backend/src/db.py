"""SQLAlchemy engine, session factory and the migration step run at startup."""

from __future__ import annotations

import fcntl
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

if TYPE_CHECKING:
    from alembic.config import Config

BACKEND_DIR = Path(__file__).resolve().parent.parent


def ensure_sqlite_dir(database_url: str) -> None:
    """SQLite creates the file but not its folder (e.g. data/ on a fresh volume)."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or url.query.get("uri"):
        return
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)


def make_engine(database_url: str) -> Engine:
    connect_args: dict[str, object] = {}
    if make_url(database_url).get_backend_name() == "sqlite":
        # FastAPI runs sync endpoints in a thread pool, so a connection may change threads.
        connect_args["check_same_thread"] = False
        ensure_sqlite_dir(database_url)
    return create_engine(database_url, connect_args=connect_args, pool_pre_ping=True)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, autoflush=False, expire_on_commit=False)


def ping(engine: Engine) -> bool:
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception:  # health reports any database failure as "down"
        return False
    return True


def alembic_config(database_url: str) -> Config:
    from alembic.config import Config

    config = Config(str(BACKEND_DIR / "alembic.ini"))
    config.set_main_option("script_location", str(BACKEND_DIR / "alembic"))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    # Inside the app uvicorn owns logging; alembic's fileConfig would replace its handlers.
    config.attributes["configure_logger"] = False
    return config


def migrate(database_url: str) -> None:
    """`alembic upgrade head`, once even when several uvicorn workers start together.

    Workers are separate processes that all run the lifespan; without the lock two of them
    could both see an empty database and both try to create the tables.
    """
    from alembic import command

    ensure_sqlite_dir(database_url)
    lock_path = Path(tempfile.gettempdir()) / "dockperf-migrate.lock"
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            command.upgrade(alembic_config(database_url), "head")
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
