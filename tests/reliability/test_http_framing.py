"""A real `python -m app` against requests whose HTTP/1.1 framing is wrong or unusual (RFC 9112):
each gets its answer in our JSON shape, or is served as if the unusual part were not there."""

import concurrent.futures
import contextlib
import itertools
import socket
import time
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.reliability.edge_server import (
    DEADLINE,
    SLACK,
    answers,
    edge_server,
    error_of,
    open_socket,
    read_until_closed,
)

TYPENAME = b'{"query":"{ __typename }"}'
SERVED = b'{"data":{"__typename":"Query"}}'
POST_HEAD = b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
CHUNKED_HEAD = POST_HEAD + b"Transfer-Encoding: chunked\r\n\r\n"
MAX_HEAD_BYTES = 16 * 1024


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with edge_server(tmp_path_factory.mktemp("framing")) as (running, _):
        yield running


def exchange_until_closed(url: str, data: bytes) -> bytes:
    with contextlib.closing(open_socket(url)) as sock:
        sock.sendall(data)
        return read_until_closed(sock)


def sent_before_answer(url: str, head: bytes, filler: bytes, *, limit: int = 8 * 1024 * 1024) -> tuple[int, bytes]:
    """Sends `head`, then `filler` without end until the server answers: how much went out first."""
    sent = 0
    with contextlib.closing(open_socket(url)) as sock:
        sock.sendall(head)
        sock.settimeout(0.0)
        with contextlib.suppress(ConnectionError):
            while sent < limit:
                with contextlib.suppress(BlockingIOError):
                    if sock.recv(1, socket.MSG_PEEK):
                        break
                with contextlib.suppress(BlockingIOError):
                    sent += sock.send(filler)
                time.sleep(0.001)
        sock.settimeout(DEADLINE + SLACK)
        return sent, read_until_closed(sock)


def chunked(body: bytes) -> bytes:
    return b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)


def test_a_malformed_chunk_size_mid_body_is_a_400_with_a_request_id_then_close(url: str) -> None:
    started = time.monotonic()
    [answer] = answers(exchange_until_closed(url, CHUNKED_HEAD + b'5\r\n{"que\r\nzz\r\n'))

    assert answer.status == 400
    assert error_of(answer)["extensions"] == {"code": "BAD_REQUEST", "requestId": answer.headers["x-request-id"]}
    assert len(answer.headers["x-request-id"]) == 32
    assert time.monotonic() - started < DEADLINE + SLACK


def test_a_trailer_section_counts_with_the_head_against_the_cap(url: str) -> None:
    head = CHUNKED_HEAD + chunked(TYPENAME)[:-2] + b"X-Trailer: "

    sent, received = sent_before_answer(url, head, b"a" * 4096)

    assert [a.status for a in answers(received)] == [431]
    assert sent < 1024 * 1024


def test_small_trailers_are_read_and_the_request_served(url: str) -> None:
    body = chunked(TYPENAME)[:-2] + b"X-Checksum: abc\r\nX-Other: d\r\n\r\n"

    [answer] = answers(
        exchange_until_closed(url, CHUNKED_HEAD.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n") + body)
    )

    assert (answer.status, answer.body) == (200, SERVED)


def test_an_endless_chunk_extension_is_refused_early(url: str) -> None:
    sent, received = sent_before_answer(url, CHUNKED_HEAD + b"5;name=", b"v" * 4096)

    assert [a.status for a in answers(received)] == [431]
    assert sent < 1024 * 1024


CODINGS = {
    "gzip, chunked": 501,
    "x-custom, chunked": 501,
    "gzip\r\nTransfer-Encoding: chunked": 501,
    "identity": 400,
    "chunked, gzip": 400,
    "chunked, chunked": 400,
}


@pytest.mark.parametrize(("coding", "status"), CODINGS.items(), ids=[c.replace("\r\n", " ") for c in CODINGS])
def test_a_transfer_coding_other_than_exactly_chunked_is_refused_and_closed(url: str, coding: str, status: int) -> None:
    """501 for a coding we do not serve before `chunked`; 400 where the body cannot be framed."""
    head = POST_HEAD + b"Transfer-Encoding: " + coding.encode() + b"\r\n\r\n"

    [answer] = answers(exchange_until_closed(url, head + chunked(TYPENAME)))

    assert answer.status == status
    assert error_of(answer)["extensions"]["requestId"] == answer.headers["x-request-id"]


@pytest.mark.parametrize(
    "hosts", [[], ["a.example", "b.example"], ["a.example", "a.example"]], ids=["none", "two", "twice the same"]
)
def test_an_http_1_1_request_needs_exactly_one_host(url: str, hosts: list[str]) -> None:
    lines = [b"POST /graphql HTTP/1.1", b"Content-Type: application/json", b"Content-Length: 26"]
    lines += [b"Host: " + host.encode() for host in hosts]

    [answer] = answers(exchange_until_closed(url, b"\r\n".join(lines) + b"\r\n\r\n" + TYPENAME))

    assert answer.status == 400
    assert "Host" in error_of(answer)["message"]


def test_chunked_on_an_http_1_0_request_is_faulty_framing(url: str) -> None:
    """RFC 9112 §6.1: an HTTP/1.0 recipient cannot be relied on to know the chunked coding."""
    head = CHUNKED_HEAD.replace(b"HTTP/1.1", b"HTTP/1.0")

    [answer] = answers(exchange_until_closed(url, head + chunked(TYPENAME)))

    assert answer.status == 400
    assert error_of(answer)["extensions"]["requestId"] == answer.headers["x-request-id"]


@pytest.mark.parametrize(
    "host", ["a b", "a\x01b", "a\x7f", "exa\xe9mple", "a/b", "a@b", "a:b:c", "a:8o", "[::1", "a<b>", "a\\b", "%zz"]
)
def test_a_host_that_is_not_a_uri_host_and_port_is_refused(url: str, host: str) -> None:
    head = POST_HEAD.replace(b"Host: x", b"Host: " + host.encode("latin-1"))

    [answer] = answers(exchange_until_closed(url, head + b"Content-Length: 26\r\n\r\n" + TYPENAME))

    assert answer.status == 400


def test_an_http_1_0_request_may_come_without_host(url: str) -> None:
    [answer] = answers(exchange_until_closed(url, b"GET /healthz HTTP/1.0\r\n\r\n"))

    assert answer.status == 200


def test_an_upgrade_is_ignored_and_the_body_is_read(url: str) -> None:
    head = (
        POST_HEAD
        + b"Connection: Upgrade, HTTP2-Settings, close\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n"
    )

    [answer] = answers(exchange_until_closed(url, head + b"Content-Length: 26\r\n\r\n" + TYPENAME))

    assert (answer.status, answer.body) == (200, SERVED)


def test_a_request_pipelined_after_an_upgrade_is_answered(url: str) -> None:
    upgrade = b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"
    after = b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"

    assert [a.status for a in answers(exchange_until_closed(url, upgrade + after))] == [200, 200]


def _upload_then_read(url: str, body_bytes: int) -> str:
    """As urllib, requests and browsers do: the whole body is written before the answer is read."""
    head = POST_HEAD + b"Connection: close\r\nContent-Length: %d\r\n\r\n" % body_bytes
    with contextlib.closing(open_socket(url)) as sock:
        try:
            sock.sendall(head + b"x" * body_bytes)
            return str(answers(read_until_closed(sock))[0].status)
        except OSError as error:
            return type(error).__name__


def test_an_early_413_reaches_clients_that_write_their_whole_body_first(url: str) -> None:
    with concurrent.futures.ThreadPoolExecutor(20) as pool:
        outcomes = list(pool.map(lambda _: _upload_then_read(url, 3 * 1024 * 1024), range(60)))

    assert outcomes == ["413"] * 60


HEX = "0123456789abcdefABCDEF"
_bad_size = st.builds(
    lambda digits, bad, rest: (digits + bad + rest).encode("latin-1"),
    st.text(HEX, max_size=4),
    st.sampled_from([*'gxz-+.,:"/@', "\x00", "\x7f", "\x1b"]),
    st.text(st.characters(codec="latin-1", exclude_characters="\r\n"), max_size=20),
)
_bad_extension = st.builds(
    lambda name, bad: b"1a;" + name.encode() + bad.encode("latin-1"),
    st.text("abcdefghij=", max_size=10),
    st.sampled_from(["\x00", "\x01", "\x7f", "(", "@", "[", "\x0b"]),
)
_bad_trailer = st.builds(
    lambda name, separator, value: b"X-" + name.encode("latin-1") + separator + value.encode(),
    st.text(st.characters(codec="latin-1", exclude_characters="\r\n:"), min_size=1, max_size=10),
    st.sampled_from([b" :", b"\x00:", b":\x00"]),
    st.text("ab", max_size=5),
)
_oversized = st.integers(MAX_HEAD_BYTES, 4 * MAX_HEAD_BYTES).map(lambda n: b"X-Long: " + b"a" * n)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    framing=st.one_of(
        _bad_size.map(lambda size: size + b"\r\n"),
        _bad_extension.map(lambda extension: extension + b"\r\n"),
        st.one_of(_bad_trailer, _oversized).map(lambda trailer: chunked(TYPENAME)[:-2] + trailer + b"\r\n\r\n"),
    )
)
def test_malformed_chunked_framing_is_always_refused_within_the_body_timeout(url: str, framing: bytes) -> None:
    started = time.monotonic()
    received = exchange_until_closed(url, CHUNKED_HEAD + framing)

    [answer] = answers(received)
    assert answer.status in {400, 431}
    assert error_of(answer)["extensions"]["requestId"] == answer.headers["x-request-id"]
    assert time.monotonic() - started < DEADLINE + SLACK


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    sizes=st.lists(st.integers(1, 40), min_size=1, max_size=8),
    extension=st.sampled_from([b"", b";a", b";name=value", b';q="quoted"']),
    trailers=st.lists(st.sampled_from([b"X-A: 1", b"X-Checksum: abc", b"Expires: 0"]), max_size=3),
)
def test_well_formed_chunked_bodies_are_served_whatever_their_chunking(
    url: str, sizes: list[int], extension: bytes, trailers: list[bytes]
) -> None:
    body = b'{"query":"{ __typename }"' + b" " * sum(sizes) + b"}"
    cuts = [0, *itertools.accumulate(sizes), len(body)]  # sum(sizes) < len(body): each chunk has bytes
    framing = b"".join(
        b"%x%s\r\n%s\r\n" % (end - start, extension, body[start:end]) for start, end in itertools.pairwise(cuts)
    )
    framing += b"0\r\n" + b"".join(trailer + b"\r\n" for trailer in trailers) + b"\r\n"
    head = CHUNKED_HEAD.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n")

    [answer] = answers(exchange_until_closed(url, head + framing))

    assert (answer.status, answer.body) == (200, SERVED)


# RFC 3986's uri-host: a reg-name (unreserved, pct-encoded, sub-delims), an IPv4 address, or an IP
# literal in brackets; then an optional port of digits.
_REG_NAME = st.lists(st.sampled_from([*"abcXYZ019-._~!$&'()*+,;=", "%2e", "%C3%A9"]), min_size=1, max_size=12).map(
    "".join
)
_HOSTS = st.one_of(_REG_NAME, st.ip_addresses(v=4).map(str), st.ip_addresses(v=6).map(lambda a: f"[{a}]"))
_PORTS = st.one_of(st.just(""), st.integers(0, 65535).map(lambda port: f":{port}"), st.just(":"))
_NOT_IN_A_HOST = st.sampled_from([*' "#/<>?@[\\]^`{|}', "\t", "\x00", "\x1f", "\x7f", "\x80", "\xff", "%g0"])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(host=_HOSTS, port=_PORTS)
def test_every_valid_host_and_port_is_served(url: str, host: str, port: str) -> None:
    head = b"GET /healthz HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % (host + port).encode()

    [answer] = answers(exchange_until_closed(url, head))

    assert answer.status == 200


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    head=st.one_of(
        st.builds(
            # Inside the value: whitespace at its edges is not part of it.
            lambda host, bad, cut: (
                b"GET /healthz HTTP/1.1\r\nHost: a%sa\r\n\r\n" % (host[:cut] + bad + host[cut:]).encode("latin-1")
            ),
            _HOSTS,
            _NOT_IN_A_HOST,
            st.integers(0, 12),
        ),
        st.sampled_from([b"", b"Host: x\r\n"]).map(
            lambda host: (
                b"POST /graphql HTTP/1.0\r\n" + host + b"Transfer-Encoding: chunked\r\n\r\n" + chunked(TYPENAME)
            )
        ),
    )
)
def test_a_malformed_head_is_always_refused_with_400(url: str, head: bytes) -> None:
    [answer] = answers(exchange_until_closed(url, head))

    assert answer.status == 400
    assert error_of(answer)["extensions"]["requestId"] == answer.headers["x-request-id"]


def test_connect_is_refused(url: str) -> None:
    [answer] = answers(exchange_until_closed(url, b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"))

    assert answer.status == 400


def test_requests_pipelined_before_a_malformed_one_are_answered_first_in_order(url: str) -> None:
    healthz = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
    graphql = POST_HEAD + b"Content-Length: 26\r\n\r\n" + TYPENAME

    received = exchange_until_closed(url, healthz + graphql + healthz + CHUNKED_HEAD + b"zz\r\n")

    assert [a.status for a in answers(received)] == [200, 200, 200, 400]
