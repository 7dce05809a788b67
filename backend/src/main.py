"""The ASGI app: `uvicorn src.main:app` from the backend folder (/app in the image)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from src import __version__
from src.api import router
from src.config import Settings, get_settings
from src.db import make_engine, make_session_factory, migrate
from src.graph import build_graph

logger = logging.getLogger("dockperf.backend")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Everything the first request needs is built here, so time-to-healthy includes it and
        # the first request does not pay for it.
        if settings.migrate_on_startup:
            migrate(settings.database_url)
        engine = make_engine(settings.database_url)
        app.state.settings = settings
        app.state.engine = engine
        app.state.session_factory = make_session_factory(engine)
        app.state.graph = build_graph()
        logger.info("ready: database %s, graph compiled", engine.url.get_backend_name())
        try:
            yield
        finally:
            engine.dispose()

    app = FastAPI(title=settings.app_name, version=__version__, lifespan=lifespan)
    app.include_router(router)
    return app


app = create_app()
