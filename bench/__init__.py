"""Measurement: build backend/'s images for real with BuildKit, run them and measure them.

Nothing here is imported by the lint path (`rules/`); the docker SDK is imported lazily by the
modules that need it.
"""
