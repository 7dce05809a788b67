"""The load generator against a real HTTP server on 127.0.0.1 (no Docker needed)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bench import loadgen


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like uvicorn
    hits = 0
    lock = threading.Lock()

    def do_GET(self) -> None:
        with Handler.lock:
            Handler.hits += 1
        if self.path == "/health":
            body, status = b'{"status":"ok"}', 200
        else:
            body, status = b"missing", 404
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[int]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    Handler.hits = 0
    yield int(httpd.server_address[1])
    httpd.shutdown()
    httpd.server_close()


def test_counts_every_response_and_stays_within_the_budget(server: int) -> None:
    result = asyncio.run(
        loadgen.load(server, "/health", seconds=5.0, concurrency=4, max_requests=200)
    )
    assert result.ok == 200
    assert result.failed == 0
    assert Handler.hits == 200
    assert result.requests_per_second == pytest.approx(200 / result.seconds)


def test_non_200_is_a_failure(server: int) -> None:
    result = asyncio.run(loadgen.load(server, "/nope", seconds=5.0, concurrency=2, max_requests=10))
    assert (result.ok, result.failed) == (0, 10)


def test_bounded_in_time(server: int) -> None:
    result = asyncio.run(loadgen.load(server, "/health", seconds=0.5, concurrency=2))
    assert 0.5 <= result.seconds < 3.0
    assert result.ok > 0


def test_nothing_listening_fails_fast() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound but not listening: connections are refused
        result = asyncio.run(
            loadgen.load(port, "/health", seconds=0.3, concurrency=1, max_requests=5)
        )
    assert result.ok == 0
    assert result.failed == 5
