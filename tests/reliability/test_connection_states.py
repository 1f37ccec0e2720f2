"""Every state a connection can be held in counts against the connection cap until its socket
closes, and its deadline closes it: with the cap full of stuck connections, newcomers get 503;
once the deadline has passed, the stuck ones are closed and a newcomer is served. Idle keep-alive
connections are the exception: at the cap, the one idle longest makes room for a newcomer."""

import contextlib
import select
import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.reliability.edge_server import (
    DEADLINE,
    SLACK,
    EdgeProcess,
    answers,
    edge_process,
    edge_server,
    error_of,
    open_descriptors,
    open_socket,
    read_until_closed,
)

CAP = 5
HEALTHZ = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
POST_HEAD = b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
CHUNKED_HEAD = POST_HEAD + b"Transfer-Encoding: chunked\r\n\r\n"
# Enough answers to fill the socket buffers between us (a few MiB) and then our write buffer.
PIPELINED_METRICS = 1200
METRICS_BYTES = 4500  # at least, each


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EdgeProcess]:
    with edge_process(tmp_path_factory.mktemp("states"), HTTP_MAX_CONNECTIONS=str(CAP)) as running:
        yield running


@pytest.fixture
def url(server: EdgeProcess) -> str:
    return server.url


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


def _dripping(sock: socket.socket) -> None:
    """A body that never stalls long enough for the body timeout: a byte every fifth of it."""
    sock.sendall(POST_HEAD + b'Content-Length: 60000\r\n\r\n{"query":')

    def drip() -> None:
        with contextlib.suppress(OSError):  # the server closed it, or the test did
            while True:
                time.sleep(DEADLINE / 5)
                sock.send(b" ")

    threading.Thread(target=drip, daemon=True).start()


STATES: dict[str, Callable[[socket.socket], None]] = {
    "waiting for a head": lambda _: None,
    "a head in progress": lambda sock: sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n"),
    "a Content-Length body": lambda sock: sock.sendall(POST_HEAD + b'Content-Length: 100\r\n\r\n{"query":'),
    "a chunked body": lambda sock: sock.sendall(CHUNKED_HEAD + b'1a\r\n{"query"'),
    "a chunk extension": lambda sock: sock.sendall(CHUNKED_HEAD + b"1a;name=val"),
    "trailers": lambda sock: sock.sendall(CHUNKED_HEAD + b'1a\r\n{"query":"{ __typename }"}\r\n0\r\nX-Trailer: a'),
    "a body dripping a byte at a time": _dripping,
    "Expect: 100-continue, no body sent": lambda sock: sock.sendall(
        POST_HEAD + b"Expect: 100-continue\r\nContent-Length: 26\r\n\r\n"
    ),
    "lingering": _refused_then_silent,
    "writing to a client that does not read": _not_reading,
}

# Seconds past the deadline some states take: a dripping body's deadline is twice the stall's.
LATER: dict[Callable[[socket.socket], None], float] = {_not_reading: 3, _dripping: DEADLINE}


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
        time.sleep(0.1)  # the server has accepted them all and they are in their state
        # At once, not one after another: all of them must arrive well before DEADLINE.
        with ThreadPoolExecutor(CAP) as pool:
            newcomers = list(pool.map(_healthz_status, [url] * CAP))
        served_later = _served_within(url, DEADLINE + SLACK + LATER.get(state, 0))
        if state is _not_reading:  # what it did not read was dropped with the connection
            unread = [len(read_until_closed(sock)) for sock in stuck]
            assert all(size < PIPELINED_METRICS * METRICS_BYTES for size in unread)
        else:
            for sock in stuck:
                read_until_closed(sock, within=0.5)  # closed already, not timing out

    assert newcomers == [503] * CAP
    assert served_later


def test_a_body_still_arriving_at_its_deadline_gets_408_then_close(url: str) -> None:
    with contextlib.closing(open_socket(url)) as sock:
        _dripping(sock)
        [answer] = answers(read_until_closed(sock, within=2 * DEADLINE + SLACK))

    assert answer.status == 408
    assert error_of(answer)["extensions"] == {"code": "BAD_REQUEST", "requestId": answer.headers["x-request-id"]}


def test_at_the_cap_the_longest_idle_keep_alive_connection_makes_room_for_a_newcomer(tmp_path: Path) -> None:
    # A keep-alive timeout far longer than the test, so only the cap can close an idle connection.
    with (
        edge_server(tmp_path, HTTP_MAX_CONNECTIONS=str(CAP), KEEP_ALIVE_TIMEOUT="60") as (url, _),
        _stuck(url, _served_then_idle) as idle,
    ):
        newcomer = _healthz_status(url)
        # Idle alike (uvloop's clock ticks in milliseconds): whichever was closed, it was closed
        # cleanly, its answer read whole, then an EOF (no reset), and every other one is served.
        readable, _, _ = select.select(idle, [], [], DEADLINE)
        closed = [sock for sock in readable if sock.recv(65536) == b""]
        still_served = [_exchange_healthz(sock) for sock in idle if sock not in closed]

    assert newcomer == 200
    assert len(closed) == 1
    assert still_served == [200] * (CAP - 1)


def test_a_flood_past_twice_the_cap_holds_no_more_than_twice_the_cap_in_descriptors(server: EdgeProcess) -> None:
    time.sleep(DEADLINE + 0.5)  # connections of the tests before are closed
    before = open_descriptors(server.pid)
    flood = [open_socket(server.url) for _ in range(3 * CAP)]
    try:
        time.sleep(0.5)  # all accepted: past twice the cap, closed at once
        held = open_descriptors(server.pid) - before
        outcomes = [read_until_closed(sock) for sock in flood[CAP:]]
    finally:
        for sock in flood:
            sock.close()

    assert held <= 2 * CAP
    assert {answers(out)[0].status for out in outcomes[:CAP]} == {503}
    assert outcomes[CAP:] == [b""] * CAP


def _exchange_healthz(sock: socket.socket) -> int:
    sock.sendall(HEALTHZ)
    received = b""
    while b'{"status":"ok"}' not in received and (chunk := sock.recv(65536)):
        received += chunk
    return answers(received)[0].status
