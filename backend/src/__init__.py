"""dockperf's backend service. Kept import-free so `python -m src.healthcheck` stays cheap."""

__version__ = "0.1.0"
