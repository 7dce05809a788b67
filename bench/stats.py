"""Summaries of repeated measurements: every run is kept, with min, median and max."""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Summary:
    runs: tuple[float, ...]
    min: float
    median: float
    max: float

    @property
    def spread(self) -> float:
        """max - min: two summaries whose [min, max] overlap cannot be told apart."""
        return self.max - self.min


def summarize(values: Iterable[float]) -> Summary:
    runs = tuple(float(v) for v in values)
    if not runs:
        raise ValueError("cannot summarize zero runs")
    return Summary(runs=runs, min=min(runs), median=statistics.median(runs), max=max(runs))
