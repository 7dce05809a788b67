"""`python -m src`: run the service with uvicorn using HOST/PORT/LOG_LEVEL from the settings.

The image uses scripts/docker-entrypoint.sh (workers, loop, limits); this is for local runs.
"""

from __future__ import annotations

import uvicorn

from src.config import get_settings


def main() -> None:
    settings = get_settings()
    uvicorn.run(
        "src.main:app",
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        reload=settings.environment == "development",
    )


if __name__ == "__main__":
    main()
