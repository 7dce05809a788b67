"""A small, bounded HTTP/1.1 load generator on asyncio (no external tool needed).

Each of `concurrency` workers keeps one keep-alive connection to 127.0.0.1 and sends GETs back to
back until the deadline; a connection the server closes is reopened. Only complete 200 responses
count. The load is bounded in time and in requests, so it cannot run away.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass

HOST = "127.0.0.1"


@dataclass(frozen=True)
class LoadResult:
    ok: int
    failed: int
    seconds: float

    @property
    def requests_per_second(self) -> float:
        return self.ok / self.seconds if self.seconds > 0 else 0.0


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """(status, keep_alive) after reading one whole response (Content-Length or chunked)."""
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("server closed the connection")
    parts = status_line.split()
    status = int(parts[1]) if len(parts) > 1 else 0
    length: int | None = None
    chunked = False
    keep_alive = True
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        name, value = name.strip().lower(), value.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "transfer-encoding" and "chunked" in value:
            chunked = True
        elif name == "connection" and value == "close":
            keep_alive = False
    if chunked:
        while True:
            size = int((await reader.readline()).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length is not None:
        await reader.readexactly(length)
    else:
        await reader.read()
        keep_alive = False
    return status, keep_alive


async def _worker(port: int, path: str, deadline: float, budget: list[int], counts: list[int]):
    request = f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nConnection: keep-alive\r\n\r\n"
    payload = request.encode()
    writer: asyncio.StreamWriter | None = None
    reader: asyncio.StreamReader | None = None
    while time.monotonic() < deadline and budget[0] > 0:
        budget[0] -= 1
        try:
            if writer is None:
                reader, writer = await asyncio.wait_for(
                    asyncio.open_connection(HOST, port), timeout=2.0
                )
            assert reader is not None
            writer.write(payload)
            await writer.drain()
            remaining = max(0.1, deadline - time.monotonic() + 2.0)
            status, keep_alive = await asyncio.wait_for(_read_response(reader), remaining)
            counts[0 if status == 200 else 1] += 1
            if not keep_alive:
                writer.close()
                writer = None
        except (TimeoutError, OSError, ConnectionError, asyncio.IncompleteReadError, ValueError):
            counts[1] += 1
            if writer is not None:
                writer.close()
                writer = None
            await asyncio.sleep(0.01)
    if writer is not None:
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()


async def load(
    port: int, path: str, seconds: float, concurrency: int = 16, max_requests: int = 1_000_000
) -> LoadResult:
    counts = [0, 0]
    budget = [max_requests]
    start = time.monotonic()
    deadline = start + seconds
    workers = [_worker(port, path, deadline, budget, counts) for _ in range(concurrency)]
    await asyncio.wait_for(asyncio.gather(*workers), timeout=seconds + 10.0)
    return LoadResult(ok=counts[0], failed=counts[1], seconds=time.monotonic() - start)
