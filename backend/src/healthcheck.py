"""Container HEALTHCHECK probe: `python -m src.healthcheck`.

python:3.13-slim has no curl, and installing one only for this would grow the image. Standard
library only, so the probe does not import the app (a second interpreter full of langchain every
30 s would cost memory and CPU inside the container's limits).
"""

from __future__ import annotations

import os
import sys
import urllib.request

# A server bound to every interface answers on loopback; probe that instead of the wildcard.
_WILDCARDS = {"", "0.0.0.0", "::", "[::]"}


def probe_url(environ: dict[str, str] | os._Environ[str] = os.environ) -> str:
    host = environ.get("HOST", "0.0.0.0")
    if host in _WILDCARDS:
        host = "127.0.0.1"
    elif ":" in host and not host.startswith("["):
        host = f"[{host}]"
    port = environ.get("PORT", "8000")
    return f"http://{host}:{port}/health"


def main() -> int:
    try:
        with urllib.request.urlopen(
            probe_url(), timeout=float(os.environ.get("HC_TIMEOUT", "3"))
        ) as r:
            return 0 if r.status == 200 else 1
    except OSError as exc:
        print(f"healthcheck: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
