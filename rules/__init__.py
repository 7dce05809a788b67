"""dockperf's static checks: the Dockerfile model, the rules, the engine and the CLI."""

# Kept equal to [project].version in pyproject.toml (tests/test_registry.py checks it).
__version__ = "0.1.0"
