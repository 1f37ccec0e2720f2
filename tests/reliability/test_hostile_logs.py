"""Error-level log lines mean a fault of ours: no hostile client can write one. A client that hangs
up mid-request is one info line with its request id, never an error or a traceback."""

import contextlib
import json
import re
import socket
import struct
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.edge_server import (
    DEADLINE,
    answers,
    edge_server,
    log_lines,
    open_socket,
    read_until_closed,
)

POST_HEAD = b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
CHUNKED_HEAD = POST_HEAD + b"Transfer-Encoding: chunked\r\n\r\n"
TYPENAME = b'{"query":"{ __typename }"}'


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    with edge_server(tmp_path_factory.mktemp("logs")) as running:
        yield running


def _answered(data: bytes) -> Callable[[str], None]:
    def send(url: str) -> None:
        with contextlib.closing(open_socket(url)) as sock:
            sock.sendall(data)
            read_until_closed(sock)

    return send


def _hang_up_after(data: bytes, *, reset: bool = False) -> Callable[[str], None]:
    def send(url: str) -> None:
        sock = open_socket(url)
        sock.sendall(data)
        time.sleep(0.2)  # the app is waiting for the rest of the body
        if reset:  # an abortive close: RST instead of FIN
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()

    return send


def _stall(data: bytes) -> Callable[[str], None]:
    def send(url: str) -> None:
        with contextlib.closing(open_socket(url)) as sock:
            sock.sendall(data)
            read_until_closed(sock)  # until the deadline closes it

    return send


def _not_reading(url: str) -> None:
    with contextlib.closing(open_socket(url, receive_buffer=4096)) as sock:
        sock.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n" * 1200)
        time.sleep(2 * DEADLINE + 0.5)


def _reset_after_413(url: str) -> None:
    sock = open_socket(url)
    sock.sendall(POST_HEAD + b"Content-Length: 3000000\r\n\r\n" + b"x" * 100_000)
    sock.recv(65536)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


DISCONNECTS: dict[str, Callable[[str], None]] = {
    "hang-up mid Content-Length body": _hang_up_after(POST_HEAD + b'Content-Length: 100\r\n\r\n{"query":'),
    "hang-up mid chunked body": _hang_up_after(CHUNKED_HEAD + b'1a\r\n{"query"'),
    "reset mid body": _hang_up_after(POST_HEAD + b'Content-Length: 100\r\n\r\n{"query":', reset=True),
}
HOSTILE: dict[str, Callable[[str], None]] = {
    **DISCONNECTS,
    "malformed chunk size mid body": _answered(CHUNKED_HEAD + b'1a\r\n{"query"\r\nzz\r\n'),
    "oversized trailers": _answered(CHUNKED_HEAD + b"0\r\nX-Long: " + b"a" * 40_000 + b"\r\n\r\n"),
    "endless chunk extension": _answered(CHUNKED_HEAD + b"1a;" + b"e" * 40_000),
    "gzip, chunked": _answered(POST_HEAD + b"Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"),
    "no Host": _answered(b"GET /healthz HTTP/1.1\r\n\r\n"),
    "two Hosts": _answered(b"GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"),
    "upgrade": _answered(
        POST_HEAD + b"Connection: upgrade, close\r\nUpgrade: h2c\r\nContent-Length: 26\r\n\r\n" + TYPENAME
    ),
    "head over the cap": _answered(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * 20_000 + b"\r\n\r\n"),
    "not HTTP": _answered(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 100),
    "stalled body": _stall(POST_HEAD + b'Content-Length: 100\r\n\r\n{"query":'),
    "silent connection": _stall(b""),
    "early 413, then a reset": _reset_after_413,
    "a client that does not read": _not_reading,
}


def _lines_during(log: Path, action: Callable[[], None], *, settle: float) -> list[dict[str, Any]]:
    before = len(log_lines(log))
    action()
    time.sleep(settle)
    return log_lines(log)[before:]


@pytest.mark.parametrize("hostile", HOSTILE.values(), ids=HOSTILE.keys())
def test_no_hostile_client_writes_an_error_line(server: tuple[str, Path], hostile: Callable[[str], None]) -> None:
    url, log = server

    written = _lines_during(log, lambda: hostile(url), settle=0.5)

    assert [line for line in written if line["level"] in {"error", "critical"}] == []
    assert all("exception" not in line for line in written)


@pytest.mark.parametrize("hang_up", DISCONNECTS.values(), ids=DISCONNECTS.keys())
def test_a_client_that_hangs_up_mid_body_is_one_info_line_with_its_request_id(
    server: tuple[str, Path], hang_up: Callable[[str], None]
) -> None:
    url, log = server

    written = _lines_during(log, lambda: hang_up(url), settle=0.5)

    [line] = [line for line in written if line["event"] == "client_disconnected"]
    assert line["level"] == "info"
    assert len(line["request_id"]) == 32
    assert written == [line]


def test_a_rejection_names_no_client_address(server: tuple[str, Path]) -> None:
    url, log = server
    ports = []

    def refused() -> None:
        for data in (b"NOT HTTP AT ALL\r\n\r\n", b"GET / HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * 20_000 + b"\r\n\r\n"):
            with contextlib.closing(open_socket(url)) as sock:
                ports.append(str(sock.getsockname()[1]))
                sock.sendall(data)
                read_until_closed(sock)

    written = _lines_during(log, refused, settle=0.2)

    rejected = [line for line in written if line["event"] == "http_request_rejected"]
    assert len(rejected) == 2
    assert all("client" not in line for line in rejected)
    assert not any(port in json.dumps(line) for line in written for port in ports)


def test_a_flood_of_over_cap_connections_is_counted_not_logged_line_by_line(tmp_path: Path) -> None:
    flood = 100
    with edge_server(tmp_path, HTTP_MAX_CONNECTIONS="2", HTTP_HEADER_TIMEOUT="30") as (url, log):
        holders = [open_socket(url) for _ in range(2)]  # silent: they hold the cap for 30 s
        refused = []
        for _ in range(flood):
            with contextlib.closing(open_socket(url)) as sock:
                refused += [answer.status for answer in answers(read_until_closed(sock))]
        for sock in holders:
            sock.close()
        time.sleep(0.2)
        with contextlib.closing(open_socket(url)) as sock:
            sock.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            [metrics] = answers(read_until_closed(sock))
        written = log_lines(log)

    assert refused == [503] * flood
    assert len([line for line in written if line.get("reason") == "connections"]) <= 2
    counted = re.search(rb'flow_api_http_rejections_total\{reason="connections"\} (\S+)', metrics.body)
    assert counted is not None
    assert float(counted[1]) == flood
