from __future__ import annotations

import pytest

from bench.stats import Summary, summarize


def test_odd_number_of_runs() -> None:
    assert summarize([3.0, 1.0, 2.0]) == Summary(runs=(3.0, 1.0, 2.0), min=1.0, median=2.0, max=3.0)


def test_even_number_of_runs_median_is_the_mean_of_the_middle_two() -> None:
    s = summarize([4, 1, 3, 2])
    assert (s.min, s.median, s.max) == (1.0, 2.5, 4.0)
    assert s.runs == (4.0, 1.0, 3.0, 2.0)
    assert s.spread == 3.0


def test_single_run() -> None:
    s = summarize([0.42])
    assert (s.min, s.median, s.max, s.spread) == (0.42, 0.42, 0.42, 0.0)


def test_no_runs_is_an_error() -> None:
    with pytest.raises(ValueError, match="zero runs"):
        summarize([])
