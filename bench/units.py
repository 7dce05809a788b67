"""Byte counts as the Docker CLI prints them, so our numbers read like `docker images`/`stats`.

`docker images` uses go-units HumanSizeWithPrecision(size, 3): decimal units, 3 significant
digits ("127MB"). `docker stats` uses go-units BytesSize: binary units, 4 significant digits
("150.3MiB"). Both are Go's `%.*g`, which Python's `g` format matches.
"""

from __future__ import annotations

import re

_DECIMAL = ("B", "kB", "MB", "GB", "TB", "PB")
_BINARY = ("B", "KiB", "MiB", "GiB", "TiB", "PiB")


def _scaled(size: float, base: float, units: tuple[str, ...], precision: int) -> str:
    i = 0
    while size >= base and i < len(units) - 1:
        size /= base
        i += 1
    return f"{size:.{precision}g}{units[i]}"


def human_size(size: int) -> str:
    """Like the SIZE column of `docker images`."""
    return _scaled(float(size), 1000.0, _DECIMAL, 3)


def bytes_size(size: int) -> str:
    """Like the MEM USAGE column of `docker stats`."""
    return _scaled(float(size), 1024.0, _BINARY, 4)


_MEMORY = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b?)\s*$", re.I)


def parse_memory(text: str | int | float) -> int:
    """Compose-file memory ("512M", "2g", "1.5GiB", 1073741824) in bytes; units are binary.

    Compose (like `docker run -m`) reads k/m/g as powers of 1024.
    """
    if isinstance(text, int | float):
        return int(text)
    m = _MEMORY.match(text)
    if not m:
        raise ValueError(f"not a memory size: {text!r}")
    power = " kmgt".index(m.group(2).lower() or " ")
    return int(float(m.group(1)) * 1024**power)
