from __future__ import annotations

import pytest

from bench.units import bytes_size, human_size, parse_memory


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (484945694, "485MB"),  # docker images said 485MB for this image
        (127161313, "127MB"),
        (1234567890, "1.23GB"),
        (999, "999B"),
        (3384, "3.38kB"),
    ],
)
def test_human_size_matches_docker_images(size: int, text: str) -> None:
    assert human_size(size) == text


@pytest.mark.parametrize(
    ("size", "text"),
    [(225202176, "214.8MiB"), (536870912, "512MiB"), (25276055552, "23.54GiB"), (1023, "1023B")],
)
def test_bytes_size_matches_docker_stats(size: int, text: str) -> None:
    assert bytes_size(size) == text


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("512M", 536870912),
        ("512m", 536870912),
        ("2G", 2147483648),
        ("1.5GiB", 1610612736),
        ("100k", 102400),
        ("1024", 1024),
        (1073741824, 1073741824),
        ("64mb", 67108864),
    ],
)
def test_parse_memory(text: str | int, value: int) -> None:
    assert parse_memory(text) == value


def test_parse_memory_rejects_garbage() -> None:
    with pytest.raises(ValueError, match="not a memory size"):
        parse_memory("lots")
