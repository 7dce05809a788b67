"""The targets an image is held to: one definition for metrics.json, bench.md and the gate.

They come from `[tool.dockperf.gate]` in pyproject.toml, with the seed's as defaults (section 5 of
the seed: build < 3 min, image < 600 MB, startup < 2 s with a warning under 4 s, memory
< 512 MB):

```toml
[tool.dockperf.gate]
build-seconds = 180          # cold build, median
image-mb = 600               # decimal MB, as `docker images` shows sizes
startup-seconds = 2          # `docker run` to the first healthy answer, median
startup-warn-seconds = 4     # between the two: a warning, not a failure
memory-mb = 512              # MiB, as `docker stats` shows memory (idle, after settling)
max-regression-percent = 10  # against `--baseline`
variant = "optimized"        # the variant to gate (default: the comparison's candidate)
```

Values are read from a variant of metrics.json (schema 1), so the bench (before writing the file)
and the gate (after reading it) judge the same numbers the same way.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

Status = Literal["pass", "warn", "fail"]

MB = 1000 * 1000  # `docker images` reports decimal megabytes; the seed's "600MB" is one of those
MIB = 1024 * 1024  # `docker stats` reports MiB; the seed's "512MB" memory target is one of those


class GateError(Exception):
    """Bad input to the gate (its config or a metrics file): one line, exit 2."""


@dataclass(frozen=True)
class Target:
    metric: str  # the key in flatten()'s output: a per-variant number of metrics.json
    seed_key: str  # the seed's top-level key of metrics.json for the same number
    label: str
    limit: float  # passes below this
    warn: float | None  # from limit up to here: a warning; at or above: fail
    unit: str  # "s" | "MB" | "MiB" (the value itself is in seconds or bytes)

    def status(self, value: float | None) -> Status:
        if value is None:
            return "fail"
        if value < self.limit:
            return "pass"
        if self.warn is not None and value < self.warn:
            return "warn"
        return "fail"

    def format(self, value: float | None) -> str:
        return format_value(value, self.unit)

    @property
    def expected(self) -> str:
        """`< 600 MB`, `< 2 s (warn < 4 s)`: what the target says, in its own units."""
        text = f"< {_short(self.limit, self.unit)}"
        if self.warn is not None:
            text += f" (warn < {_short(self.warn, self.unit)})"
        return text


@dataclass(frozen=True)
class GateConfig:
    variant: str | None
    targets: tuple[Target, ...]
    max_regression_percent: float


def _scale(unit: str) -> float:
    return {"MB": MB, "MiB": MIB}.get(unit, 1.0)


def _short(value: float, unit: str) -> str:
    return f"{value / _scale(unit):g} {unit}"


def format_value(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "s":
        return f"{value:.2f} s"
    return f"{value / _scale(unit):.1f} {unit}"


def seed_targets(
    build: float = 180.0,
    image_mb: float = 600.0,
    startup: float = 2.0,
    startup_warn: float | None = None,
    memory_mb: float = 512.0,
) -> tuple[Target, ...]:
    return (
        Target("build_cold_seconds", "build_time_seconds", "Build time (cold)", build, None, "s"),
        Target("image_size_bytes", "image_size_bytes", "Image size", image_mb * MB, None, "MB"),
        Target(
            "startup_seconds",
            "startup_time_seconds",
            "Startup to healthy",
            startup,
            startup_warn if startup_warn is not None else max(4.0, startup),
            "s",
        ),
        Target("memory_idle_bytes", "memory_bytes", "Memory (idle)", memory_mb * MIB, None, "MiB"),
    )


SEED = GateConfig(variant=None, targets=seed_targets(), max_regression_percent=10.0)


def parse_config(table: Mapping[str, Any], where: str = "[tool.dockperf.gate]") -> GateConfig:
    def num(key: str, default: float) -> float:
        value = table.get(key, default)
        if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
            raise GateError(f"{where} {key} must be a positive number")
        return float(value)

    startup = num("startup-seconds", 2.0)
    targets = seed_targets(
        build=num("build-seconds", 180.0),
        image_mb=num("image-mb", 600.0),
        startup=startup,
        startup_warn=num("startup-warn-seconds", max(4.0, startup)),
        memory_mb=num("memory-mb", 512.0),
    )
    variant = table.get("variant")
    if variant is not None and not isinstance(variant, str):
        raise GateError(f"{where} variant must be a string")
    return GateConfig(variant, targets, num("max-regression-percent", 10.0))


def load_config(pyproject: Path) -> GateConfig:
    """`[tool.dockperf.gate]` of `pyproject`; the seed's targets where it is silent."""
    table: dict = {}
    if pyproject.is_file():
        try:
            with pyproject.open("rb") as fh:
                table = tomllib.load(fh).get("tool", {}).get("dockperf", {}).get("gate", {})
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise GateError(f"{pyproject}: {exc}") from None
    return parse_config(table, f"{pyproject}: [tool.dockperf.gate]")


def flatten(variant: Mapping[str, Any]) -> dict[str, float | None]:
    """The targeted numbers of one variant of metrics.json (schema 1), by Target.metric."""
    build = variant.get("build") or {}
    image = variant.get("image") or {}
    runtime = variant.get("runtime") or {}
    cold = build.get("cold") or {}
    startup = runtime.get("startup") or {}
    return {
        "build_cold_seconds": cold.get("median"),
        "image_size_bytes": image.get("size_bytes"),
        "startup_seconds": startup.get("median"),
        "memory_idle_bytes": runtime.get("memory_idle_bytes"),
    }
