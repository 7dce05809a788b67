"""Resolve backend/pyproject.toml once and split the lock into dependency layers.

The seed resolves requirements-core/ai/app.txt one by one and installs each into its own
`--prefix`, so packages shared between groups are installed twice, sometimes in two versions
(pydantic 2.10.1 from core, a newer one pulled by langchain in ai), and PYTHONPATH order decides
silently which one a library imports. Here the whole dependency set is resolved in one go, pinned
and hashed, and every distribution of that single lock is written to exactly one file: the most
stable group (in `[tool.dockperf.groups].order`, default core < ai < app) whose named packages
need it. Each layer is then installed with `pip install --no-deps --require-hashes -r FILE`, so a
layer holds only its own group and the image has one copy of each distribution.

A package's group comes from where pyproject.toml names it (`[project].dependencies` is `core`,
each `[project.optional-dependencies]` group is itself), never from substring matching.

`--check` works offline: each file records a digest of the dependency declarations it was made
from, so the files are stale as soon as pyproject.toml's dependencies change; it also fails when a
distribution sits in two files or a named package sits in the wrong one.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

DEFAULT_PROJECT = Path(__file__).resolve().parent.parent / "backend"
CORE_GROUP = "core"
DEFAULT_ORDER = ("core", "ai", "app")
# The image runs python:3.13-slim on x86_64 glibc; resolve markers for that, not for the host.
TARGET_PYTHON = "3.13"
TARGET_PLATFORM = "x86_64-manylinux_2_28"
DIGEST_PREFIX = "# dockperf-input-digest: "
_NAME_RE = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_PIN_RE = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==(\S+)")


class DepsError(Exception):
    """A problem the user has to fix (bad pyproject, resolver failure); one line, no traceback."""


def normalize(name: str) -> str:
    """PEP 503 name normalization, so `SQLAlchemy`, `sqlalchemy` and `sql_alchemy` compare equal."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(requirement: str) -> str:
    match = _NAME_RE.match(requirement)
    if not match:
        raise DepsError(f"cannot read a package name from requirement {requirement!r}")
    return normalize(match.group(1))


@dataclass(frozen=True)
class GroupSpec:
    """The dependency groups of a project, in layer order (most stable first)."""

    order: tuple[str, ...]
    requirements: Mapping[str, tuple[str, ...]]

    def group_of_named(self) -> dict[str, str]:
        """Named package -> the most stable group that names it."""
        named: dict[str, str] = {}
        for group in reversed(self.order):
            for requirement in self.requirements[group]:
                named[requirement_name(requirement)] = group
        return named

    def digest(self) -> str:
        payload = json.dumps(
            {
                "order": list(self.order),
                "groups": {g: list(r) for g, r in self.requirements.items()},
            },
            sort_keys=True,
        )
        return hashlib.sha256(payload.encode()).hexdigest()


@dataclass(frozen=True)
class Pin:
    """One distribution of the lock: its pin line, hash lines and the packages that require it."""

    name: str
    version: str
    lines: tuple[str, ...]
    required_by: frozenset[str]


def load_groups(pyproject: Path) -> GroupSpec:
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise DepsError(f"{pyproject}: {exc}") from exc
    project = data.get("project", {})
    optional: dict[str, list[str]] = project.get("optional-dependencies", {})
    config = data.get("tool", {}).get("dockperf", {}).get("groups", {})
    order = tuple(config.get("order", DEFAULT_ORDER))
    if not order or order[0] != CORE_GROUP:
        raise DepsError(f"{pyproject}: [tool.dockperf.groups].order must start with {CORE_GROUP!r}")
    requirements: dict[str, tuple[str, ...]] = {CORE_GROUP: tuple(project.get("dependencies", []))}
    for group in order[1:]:
        if group not in optional:
            raise DepsError(
                f"{pyproject}: group {group!r} of [tool.dockperf.groups].order has no "
                "[project.optional-dependencies] entry"
            )
        requirements[group] = tuple(optional[group])
    unused = sorted(set(optional) - set(order))
    if unused:
        raise DepsError(f"{pyproject}: optional groups {unused} are missing from the layer order")
    return GroupSpec(order=order, requirements=requirements)


def _uv_command() -> list[str]:
    """uv from PATH, else the `uv` PyPI package's binary in this interpreter's environment."""
    found = shutil.which("uv")
    if found:
        return [found]
    try:
        from uv import find_uv_bin  # type: ignore[import-not-found]
    except ImportError as exc:
        raise DepsError("uv is needed to resolve the lock: pip install uv") from exc
    return [find_uv_bin()]


def resolve(pyproject: Path) -> str:
    """Resolve all groups together, pinned and hashed, for the image's Python and platform."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "lock.txt"
        command = [
            *_uv_command(),
            "pip",
            "compile",
            pyproject.name,
            "--all-extras",
            "--generate-hashes",
            "--python-version",
            TARGET_PYTHON,
            "--python-platform",
            TARGET_PLATFORM,
            "--annotation-style",
            "split",
            "--quiet",
            "-o",
            str(out),
        ]
        # uv trusts the system bundle only when asked; PyPI may sit behind a TLS proxy here.
        env = {**os.environ, "UV_NATIVE_TLS": os.environ.get("UV_NATIVE_TLS", "1")}
        proc = subprocess.run(
            command, cwd=pyproject.parent, capture_output=True, text=True, env=env, check=False
        )
        if proc.returncode != 0:
            last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
            raise DepsError(f"resolving {pyproject} failed: {last}")
        return out.read_text(encoding="utf-8")


def parse_lock(text: str, project_name: str) -> list[Pin]:
    """Read uv's hashed, split-annotated output into pins with their `# via` parents."""
    pins: list[Pin] = []
    current: list[str] = []
    via: set[str] = set()
    in_via = False

    def flush() -> None:
        if current:
            match = _PIN_RE.match(current[0])
            if not match:
                raise DepsError(f"unexpected line in the lock: {current[0]!r}")
            pins.append(
                Pin(
                    name=normalize(match.group(1)),
                    version=match.group(3),
                    lines=tuple(current),
                    required_by=frozenset(via),
                )
            )

    for raw in text.splitlines():
        line = raw.rstrip()
        if not line:
            continue
        if not line.startswith((" ", "#")):
            flush()
            current, via, in_via = [line], set(), False
        elif line.lstrip().startswith("--hash="):
            current.append(line)
        elif line.startswith("    # via"):
            rest = line.removeprefix("    # via").strip()
            in_via = not rest
            if rest:
                via.add(rest)
        elif in_via and line.startswith("    #   "):
            via.add(line.removeprefix("    #   ").strip())
    flush()
    project = normalize(project_name)
    cleaned: list[Pin] = []
    for pin in pins:
        parents = set()
        for parent in pin.required_by:
            # "dockperf-backend (pyproject.toml)" means the project names it; the group comes
            # from pyproject, not from here.
            name = requirement_name(parent.split(" (")[0])
            if name != project:
                parents.add(name)
        cleaned.append(
            Pin(name=pin.name, version=pin.version, lines=pin.lines, required_by=frozenset(parents))
        )
    return cleaned


def split(pins: Sequence[Pin], spec: GroupSpec) -> dict[str, list[Pin]]:
    """Give each pin the most stable group that needs it, directly or through other pins."""
    by_name = {pin.name: pin for pin in pins}
    children: dict[str, set[str]] = {name: set() for name in by_name}
    for pin in pins:
        for parent in pin.required_by:
            if parent in children:
                children[parent].add(pin.name)
    rank = {group: index for index, group in enumerate(spec.order)}
    best: dict[str, int] = {}
    named = spec.group_of_named()
    for name, group in named.items():
        if name not in by_name:
            raise DepsError(f"{name} is named in group {group!r} but missing from the lock")
    # Walk down from the named packages, most stable group first, so the first visit wins.
    for group in spec.order:
        stack = [name for name, g in named.items() if g == group]
        while stack:
            name = stack.pop()
            if name in best:
                continue
            best[name] = rank[group]
            stack.extend(children[name] - best.keys())
    orphans = sorted(set(by_name) - best.keys())
    if orphans:
        raise DepsError(f"pins no group needs (a broken `# via` graph?): {orphans}")
    groups: dict[str, list[Pin]] = {group: [] for group in spec.order}
    for pin in sorted(pins, key=lambda p: p.name):
        groups[spec.order[best[pin.name]]].append(pin)
    return groups


def render(group: str, pins: Iterable[Pin], spec: GroupSpec, pyproject_name: str) -> str:
    index = spec.order.index(group)
    below = ", ".join(spec.order[:index]) or "nothing"
    header = [
        f"# requirements-{group}.txt: layer {index + 1} of {len(spec.order)} ({group}).",
        f"# Generated by `python -m bench requirements` from {pyproject_name}: do not edit.",
        "# One resolution of all groups, split by change frequency; each distribution appears in",
        f"# exactly one file. This layer goes on top of: {below}.",
        f"# Install with: pip install --no-deps --require-hashes -r requirements-{group}.txt",
        f"{DIGEST_PREFIX}{spec.digest()}",
    ]
    body = ["\n".join(pin.lines) for pin in pins]
    return "\n".join(header + body) + "\n"


def read_split_file(path: Path) -> tuple[str | None, list[str]]:
    """The recorded input digest and the pinned names of one generated file."""
    digest = None
    names: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith(DIGEST_PREFIX):
            digest = line.removeprefix(DIGEST_PREFIX).strip()
        match = _PIN_RE.match(line)
        if match:
            names.append(normalize(match.group(1)))
    return digest, names


def check(project_dir: Path, spec: GroupSpec) -> list[str]:
    """Problems with the split files as they are on disk; empty when they are up to date."""
    problems: list[str] = []
    seen: dict[str, str] = {}
    expected = spec.digest()
    named = spec.group_of_named()
    for group in spec.order:
        path = project_dir / f"requirements-{group}.txt"
        if not path.is_file():
            problems.append(f"{path.name} is missing")
            continue
        digest, names = read_split_file(path)
        if digest != expected:
            problems.append(f"{path.name} is stale: pyproject.toml's dependencies changed")
        for name in names:
            if name in seen:
                problems.append(f"{name} sits in two groups: {seen[name]} and {group}")
            else:
                seen[name] = group
    rank = {group: index for index, group in enumerate(spec.order)}
    for name, group in sorted(named.items()):
        # A named package may sit lower than its own group (sqlalchemy is named in app but
        # langchain in ai needs it too), never higher: a higher layer would not be there yet
        # when the lower group's layer is installed and imported.
        if name in seen and rank[seen[name]] > rank[group]:
            problems.append(f"{name} is named in {group!r} but sits in {seen[name]!r}")
        elif name not in seen and not any("missing" in p for p in problems):
            problems.append(f"{name} (group {group!r}) is in no requirements file")
    return problems


def generate(project_dir: Path) -> dict[str, int]:
    pyproject = project_dir / "pyproject.toml"
    spec = load_groups(pyproject)
    data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    pins = parse_lock(resolve(pyproject), data["project"]["name"])
    groups = split(pins, spec)
    counts: dict[str, int] = {}
    for group, members in groups.items():
        text = render(group, members, spec, pyproject.name)
        target = project_dir / f"requirements-{group}.txt"
        # Write whole or not at all: a half-written lock would install a partial layer.
        tmp = target.with_suffix(".txt.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(target)
        counts[group] = len(members)
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench requirements",
        description="Resolve pyproject.toml once; split it into requirements-<group>.txt",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="exit 1 if the split files are stale or a package sits in two groups",
    )
    parser.add_argument(
        "--project",
        type=Path,
        default=DEFAULT_PROJECT,
        help="folder holding pyproject.toml (default: backend/)",
    )
    args = parser.parse_args(argv)
    project_dir: Path = args.project
    try:
        spec = load_groups(project_dir / "pyproject.toml")
        if args.check:
            problems = check(project_dir, spec)
            for problem in problems:
                print(f"requirements: {problem}", file=sys.stderr)
            if problems:
                print("requirements: run `nox -s requirements` to regenerate", file=sys.stderr)
                return 1
            print(f"requirements: {', '.join(spec.order)} are up to date")
            return 0
        counts = generate(project_dir)
    except DepsError as exc:
        print(f"requirements: {exc}", file=sys.stderr)
        return 2
    summary = ", ".join(f"{group}={count}" for group, count in counts.items())
    print(f"requirements: wrote {summary} pinned distributions to {project_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
