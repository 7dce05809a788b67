"""`[tool.dockperf.bench]` in pyproject.toml: which Dockerfile variants to measure, and how.

```toml
[tool.dockperf.bench]
primary = "optimized"                  # the variant whose numbers get the seed's keys
compare = ["baseline", "optimized"]    # baseline, candidate
variants = [
  { name = "optimized", dockerfile = "backend/Dockerfile",
    compose = "backend/docker-compose.dev.yml", service = "backend" },
  { name = "baseline", dockerfile = "backend/Dockerfile.baseline" },
]
```

Per variant: `dockerfile` (required), `context` (default: the Dockerfile's directory), `target`,
`compose` and `service` (CPU/memory limits), `health` (default "/health"), `env` (a table),
`source_file` (touched by the source-change scenario; default the first .py under
<context>/src), `deps_file` (default <context>/requirements-app.txt).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.errors import BenchError


@dataclass(frozen=True)
class VariantConfig:
    name: str
    dockerfile: Path
    context: Path
    target: str | None = None
    compose: Path | None = None
    service: str | None = None
    health: str = "/health"
    env: tuple[tuple[str, str], ...] = ()
    source_file: Path | None = None
    deps_file: Path | None = None


@dataclass(frozen=True)
class BenchConfig:
    root: Path
    variants: tuple[VariantConfig, ...]
    primary: str
    baseline: str | None
    candidate: str | None

    def variant(self, name: str) -> VariantConfig:
        for v in self.variants:
            if v.name == name:
                return v
        raise BenchError(f"no variant {name!r} (have {', '.join(v.name for v in self.variants)})")


def find_root(start: Path) -> Path:
    for directory in (start, *start.parents):
        if (directory / "pyproject.toml").exists():
            return directory
    raise BenchError(f"no pyproject.toml in {start} or above")


def load(root: Path) -> BenchConfig:
    path = root / "pyproject.toml"
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise BenchError(f"{path}: {exc}") from exc
    section = data.get("tool", {}).get("dockperf", {}).get("bench", {})
    return parse(root, section, str(path))


def parse(root: Path, section: dict[str, Any], where: str = "[tool.dockperf.bench]") -> BenchConfig:
    raw = section.get("variants") or []
    if not raw:
        raise BenchError(f"{where}: [tool.dockperf.bench] lists no variants")
    variants = tuple(_variant(root, item, where) for item in raw)
    names = [v.name for v in variants]
    if len(set(names)) != len(names):
        raise BenchError(f"{where}: variant names repeat: {names}")
    primary = str(section.get("primary", names[0]))
    compare = section.get("compare")
    if compare is None:
        baseline = "baseline" if "baseline" in names else None
        candidate = primary if baseline and primary != baseline else None
    else:
        if not (isinstance(compare, list) and len(compare) == 2):
            raise BenchError(f"{where}: compare must be [baseline, candidate]")
        baseline, candidate = str(compare[0]), str(compare[1])
    for name in (primary, baseline, candidate):
        if name is not None and name not in names:
            raise BenchError(f"{where}: unknown variant {name!r}")
    return BenchConfig(root, variants, primary, baseline, candidate)


def _variant(root: Path, item: dict[str, Any], where: str) -> VariantConfig:
    if not isinstance(item, dict) or "name" not in item or "dockerfile" not in item:
        raise BenchError(f"{where}: each variant needs a name and a dockerfile: {item!r}")
    dockerfile = root / item["dockerfile"]
    context = root / item["context"] if "context" in item else dockerfile.parent
    source = root / item["source_file"] if "source_file" in item else _first_source(context)
    deps = root / item["deps_file"] if "deps_file" in item else context / "requirements-app.txt"
    env = item.get("env") or {}
    return VariantConfig(
        name=str(item["name"]),
        dockerfile=dockerfile,
        context=context,
        target=item.get("target"),
        compose=root / item["compose"] if item.get("compose") else None,
        service=item.get("service"),
        health=str(item.get("health", "/health")),
        env=tuple((str(k), str(v)) for k, v in env.items()),
        source_file=source,
        deps_file=deps if deps.exists() else None,
    )


def _first_source(context: Path) -> Path | None:
    src = context / "src"
    if not src.is_dir():
        return None
    candidates = sorted(p for p in src.rglob("*.py") if p.name != "__init__.py")
    return candidates[0] if candidates else None
