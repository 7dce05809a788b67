"""Parse BuildKit's `--progress=plain` output into per-step durations and cache hits.

The format (BuildKit 0.8 in Docker 20.10, and newer): every vertex has a number; its header line is
`#N [stage i/n] INSTRUCTION`; then output lines `#N <seconds> text`, status lines, and one of
`#N CACHED`, `#N DONE 1.2s`, `#N ERROR: ...` or `#N CANCELED`. Vertices interleave when stages run
in parallel, and a header can be printed again when output resumes; the number is the identity.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Status = Literal["done", "cached", "error", "canceled", "running"]

_HEADER = re.compile(r"#(\d+) (\[[^\]]*\] .*|\S.*)$")
_STEP_NAME = re.compile(r"\[(?P<stage>[^\]]*?) ?(?P<index>\d+)/(?P<count>\d+)\] (?P<text>.+)")
_DONE = re.compile(r"#(\d+) DONE (\d+(?:\.\d+)?)s$")
_CACHED = re.compile(r"#(\d+) CACHED$")
_ERROR = re.compile(r"#(\d+) ERROR:? ?(.*)$")
_CANCELED = re.compile(r"#(\d+) CANCELED$")
_OUTPUT = re.compile(r"#(\d+) (\d+\.\d+) ")
_NOISE = re.compile(r"#\d+ (sha256:[0-9a-f]{64}|\.\.\.)")


@dataclass(frozen=True)
class Step:
    """One Dockerfile instruction as BuildKit ran it."""

    vertex: int
    stage: str
    index: int
    instruction: str
    seconds: float
    status: Status

    @property
    def cached(self) -> bool:
        return self.status == "cached"


@dataclass(frozen=True)
class Progress:
    steps: tuple[Step, ...]
    error: str | None  # the first ERROR line BuildKit printed, if any

    @property
    def cached_count(self) -> int:
        return sum(step.cached for step in self.steps)


@dataclass
class _Vertex:
    name: str
    status: Status = "running"
    seconds: float = 0.0
    last_output: float = 0.0


def parse(lines: Iterable[str]) -> Progress:
    """Steps in the order BuildKit first printed them; internal vertices are left out."""
    vertices: dict[int, _Vertex] = {}
    error: str | None = None
    for raw in lines:
        line = raw.rstrip("\r\n")
        if not line.startswith("#") or _NOISE.match(line):
            continue
        if m := _DONE.match(line):
            v = vertices.get(int(m.group(1)))
            if v is not None:
                v.status, v.seconds = "done", float(m.group(2))
        elif m := _CACHED.match(line):
            v = vertices.get(int(m.group(1)))
            if v is not None:
                v.status, v.seconds = "cached", 0.0
        elif m := _CANCELED.match(line):
            v = vertices.get(int(m.group(1)))
            if v is not None:
                v.status, v.seconds = "canceled", v.last_output
        elif m := _ERROR.match(line):
            v = vertices.get(int(m.group(1)))
            if v is not None:
                v.status, v.seconds = "error", v.last_output
            if error is None:
                error = m.group(2).strip()
        elif m := _OUTPUT.match(line):
            v = vertices.get(int(m.group(1)))
            if v is not None:
                v.last_output = float(m.group(2))
        elif m := _HEADER.match(line):
            number = int(m.group(1))
            if number not in vertices:
                vertices[number] = _Vertex(m.group(2))
    steps = []
    for number, vertex in vertices.items():
        name = _STEP_NAME.fullmatch(vertex.name)
        if name is None or name.group("stage") == "internal":
            continue
        steps.append(
            Step(
                vertex=number,
                stage=name.group("stage"),
                index=int(name.group("index")),
                instruction=name.group("text"),
                seconds=vertex.seconds,
                status=vertex.status,
            )
        )
    return Progress(tuple(steps), error)
