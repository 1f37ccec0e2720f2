"""Every state a connection can be held in counts against the connection cap until its socket
closes, and its deadline closes it: with the cap full of stuck connections, newcomers get 503;
once the deadline has passed, the stuck ones are closed and a newcomer is served."""

import contextlib
import socket
import time
from collections.abc import Callable, Iterator

import pytest

from tests.reliability.edge_server import DEADLINE, SLACK, answers, edge_server, open_socket, read_until_closed

CAP = 5
HEALTHZ = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
POST_HEAD = b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
CHUNKED_HEAD = POST_HEAD + b"Transfer-Encoding: chunked\r\n\r\n"
# Enough answers to fill the socket buffers between us (a few MiB) and then our write buffer.
PIPELINED_METRICS = 1200
METRICS_BYTES = 4500  # at least, each


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with edge_server(tmp_path_factory.mktemp("states"), HTTP_MAX_CONNECTIONS=str(CAP)) as (running, _):
        yield running


def _served_then_idle(sock: socket.socket) -> None:
    sock.sendall(HEALTHZ)
    received = b""
    while b'{"status":"ok"}' not in received:
        received += sock.recv(65536)


def _refused_then_silent(sock: socket.socket) -> None:
    """A 400 whose client neither reads it nor closes: the server lingers, then closes."""
    sock.sendall(CHUNKED_HEAD + b"zz\r\n")


def _not_reading(sock: socket.socket) -> None:
    sock.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n" * PIPELINED_METRICS)


STATES: dict[str, Callable[[socket.socket], None]] = {
    "waiting for a head": lambda _: None,
    "a head in progress": lambda sock: sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n"),
    "a Content-Length body": lambda sock: sock.sendall(POST_HEAD + b'Content-Length: 100\r\n\r\n{"query":'),
    "a chunked body": lambda sock: sock.sendall(CHUNKED_HEAD + b'1a\r\n{"query"'),
    "a chunk extension": lambda sock: sock.sendall(CHUNKED_HEAD + b"1a;name=val"),
    "trailers": lambda sock: sock.sendall(CHUNKED_HEAD + b'1a\r\n{"query":"{ __typename }"}\r\n0\r\nX-Trailer: a'),
    "idle keep-alive": _served_then_idle,
    "lingering": _refused_then_silent,
    "writing to a client that does not read": _not_reading,
}


@contextlib.contextmanager
def _stuck(url: str, state: Callable[[socket.socket], None]) -> Iterator[list[socket.socket]]:
    sockets = [open_socket(url, receive_buffer=4096) for _ in range(CAP)]
    try:
        for sock in sockets:
            state(sock)
        yield sockets
    finally:
        for sock in sockets:
            sock.close()


def _healthz_status(url: str) -> int:
    with contextlib.closing(open_socket(url)) as sock:
        sock.sendall(HEALTHZ.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n"))
        return answers(read_until_closed(sock))[0].status


def _served_within(url: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if _healthz_status(url) == 200:
            return True
        time.sleep(0.1)
    return False


@pytest.mark.parametrize("state", STATES.values(), ids=STATES.keys())
def test_a_stuck_state_holds_its_place_under_the_cap_until_its_deadline(
    url: str, state: Callable[[socket.socket], None]
) -> None:
    with _stuck(url, state) as stuck:
        time.sleep(0.3)  # the server has accepted them all and they are in their state
        newcomers = [_healthz_status(url) for _ in range(CAP)]
        served_later = _served_within(url, DEADLINE + SLACK + (3 if state is _not_reading else 0))
        if state is _not_reading:  # what it did not read was dropped with the connection
            unread = [len(read_until_closed(sock)) for sock in stuck]
            assert all(size < PIPELINED_METRICS * METRICS_BYTES for size in unread)
        else:
            for sock in stuck:
                read_until_closed(sock, within=0.5)  # closed already, not timing out

    assert newcomers == [503] * CAP
    assert served_later
