"""`python -m app` with short HTTP deadlines, and a blocking socket client for the tests that hold
connections in a state on purpose (hypothesis drives plain functions, not coroutines)."""

import contextlib
import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

from tests.e2e.process import UNREACHABLE_DEPENDENCIES, api_process
from tests.fixtures.raw_client import RawResponse, parse_responses

# Seconds: each deadline of the server under test, and how late a test lets it be. A test waits
# out the deadline it proves, so the deadline is short; a loaded machine is what SLACK is for.
DEADLINE = 0.5
SLACK = 2.5


class EdgeProcess(NamedTuple):
    url: str
    log: Path
    pid: int  # of the one worker serving connections (`WEB_CONCURRENCY` is 1)


@contextlib.contextmanager
def edge_server(directory: Path, **env: str) -> Iterator[tuple[str, Path]]:
    with edge_process(directory, **env) as running:
        yield running.url, running.log


@contextlib.contextmanager
def edge_process(directory: Path, **env: str) -> Iterator[EdgeProcess]:
    log = directory / "server.log"
    settings = {
        **UNREACHABLE_DEPENDENCIES,
        "HTTP_HEADER_TIMEOUT": str(DEADLINE),
        "HTTP_BODY_TIMEOUT": str(DEADLINE),
        "HTTP_BODY_DEADLINE": str(2 * DEADLINE),
        "HTTP_WRITE_TIMEOUT": str(DEADLINE),
        "HTTP_LINGER_TIMEOUT": str(DEADLINE),
        "KEEP_ALIVE_TIMEOUT": "1",  # the least it takes (whole seconds)
        **env,
    }
    with api_process(settings, cwd=directory, log=log) as (url, process):
        yield EdgeProcess(url, log, process.pid)


def open_socket(url: str, *, receive_buffer: int | None = None) -> socket.socket:
    host, port = url.removeprefix("http://").split(":")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if receive_buffer is not None:  # set before connecting, so the window is small from the start
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    sock.settimeout(DEADLINE + SLACK)
    sock.connect((host, int(port)))
    return sock


def read_until_closed(sock: socket.socket, *, within: float = DEADLINE + SLACK) -> bytes:
    """Everything the server sent before it closed; raises TimeoutError if it is still open after
    `within` seconds. A reset after the answer counts as closed (what was read is kept)."""
    deadline = time.monotonic() + within
    received = b""
    while True:
        sock.settimeout(max(deadline - time.monotonic(), 0.001))
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            return received
        if not chunk:
            return received
        received += chunk


def answers(data: bytes) -> list[RawResponse]:
    return parse_responses(data)


def error_of(response: RawResponse) -> dict[str, Any]:
    [error] = json.loads(response.body)["errors"]
    return dict(error)


def open_descriptors(pid: int) -> int:
    return len(list(Path(f"/proc/{pid}/fd").iterdir()))


def log_lines(log: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
