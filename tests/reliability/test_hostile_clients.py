"""A real `python -m app` process against clients that break the rules of HTTP on purpose."""

import asyncio
import contextlib
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.process import UNREACHABLE_DEPENDENCIES, api_process
from tests.fixtures.raw_client import (
    connection,
    exchange,
    graphql_post,
    parse_responses,
    read_until_closed,
    request,
)

SECRETS = {
    "Authorization": "Bearer s3cr3t-bearer-token-value",
    "Cookie": "session=s3cr3t-cookie-value",
    "X-Api-Key": "s3cr3t-api-key-value",
}
TYPENAME = b'{"query":"{ __typename }"}'
# Seconds: the head and body timeouts of the server under test, short because tests wait them out.
TIMEOUT = 0.5


@contextlib.contextmanager
def _server(tmp_path: Path, **env: str) -> Iterator[tuple[str, Path]]:
    log = tmp_path / "server.log"
    settings = {
        **UNREACHABLE_DEPENDENCIES,
        "HTTP_HEADER_TIMEOUT": str(TIMEOUT),
        "HTTP_BODY_TIMEOUT": str(TIMEOUT),
        **env,
    }
    with api_process(settings, cwd=tmp_path, log=log) as (url, _):
        yield url, log


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    with _server(tmp_path_factory.mktemp("hostile")) as running:
        yield running


@pytest.fixture
def url(server: tuple[str, Path]) -> str:
    return server[0]


async def test_a_head_over_the_cap_gets_431_with_a_request_id_and_the_connection_closes(url: str) -> None:
    async with connection(url) as (reader, writer):
        writer.write(request("GET", "/healthz", headers={"X-Padding": "a" * 17_000}))
        answer = parse_responses(await read_until_closed(reader))

    assert [r.status for r in answer] == [431]
    assert len(answer[0].headers["x-request-id"]) == 32
    assert json.loads(answer[0].body)["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_a_refused_pipelined_head_is_answered_after_the_request_before_it(url: str) -> None:
    pipelined = request("GET", "/healthz") + request("GET", "/healthz", headers={"X-Padding": "a" * 17_000})

    first, refused = await exchange(url, pipelined, responses=2)

    assert (first.status, json.loads(first.body)) == (200, {"status": "ok"})
    assert refused.status == 431


async def test_a_head_under_the_cap_is_served(url: str) -> None:
    [answer] = await exchange(url, request("GET", "/healthz", headers={"X-Padding": "a" * 12_000}))

    assert answer.status == 200


async def test_a_huge_head_is_answered_long_before_it_is_read_whole(url: str) -> None:
    chunk = b"a" * 65536
    sent = 0
    async with connection(url) as (reader, writer):
        first_bytes = asyncio.create_task(reader.read(65536))
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Padding: ")
        with contextlib.suppress(ConnectionError):
            while sent < 64 * 1024 * 1024 and not first_bytes.done():
                writer.write(chunk)
                await writer.drain()
                sent += len(chunk)
                await asyncio.sleep(0)  # lets the reader see an answer
        answer = parse_responses(await first_bytes)

    assert [r.status for r in answer] == [431]
    # The answer came while the client was still sending (what it sent includes the socket buffers).
    assert sent < 16 * 1024 * 1024


async def test_a_silent_connection_is_closed_after_the_header_timeout(url: str) -> None:
    async with connection(url) as (reader, _):
        assert await read_until_closed(reader, within=5) == b""


async def test_a_head_dripped_byte_by_byte_is_cut_at_the_header_timeout(url: str) -> None:
    head = request("GET", "/healthz", headers={"X-Slow": "b" * 100})
    async with connection(url) as (reader, writer):
        with contextlib.suppress(ConnectionError):
            for byte in head[:40]:  # 40 bytes at 0.1 s each outlast the deadline
                writer.write(bytes([byte]))
                await writer.drain()
                await asyncio.sleep(0.1)
        assert reader.at_eof() or await read_until_closed(reader, within=5) == b""


async def test_empty_lines_between_requests_do_not_keep_a_connection_open(url: str) -> None:
    async with connection(url) as (reader, writer):
        writer.write(request("GET", "/healthz"))
        await reader.readuntil(b'{"status":"ok"}')
        with contextlib.suppress(ConnectionError):
            for _ in range(30):  # 30 empty lines at 0.1 s each outlast the head deadline
                writer.write(b"\r\n")
                await writer.drain()
                await asyncio.sleep(0.1)
        assert reader.at_eof() or await read_until_closed(reader, within=5) == b""


async def test_a_stalled_body_is_cut(url: str) -> None:
    async with connection(url) as (reader, writer):
        writer.write(b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n")
        writer.write(b'Content-Length: 100\r\n\r\n{"query":')
        await writer.drain()
        assert await read_until_closed(reader, within=5) == b""


async def test_over_the_connection_cap_new_clients_are_refused_at_once(tmp_path: Path) -> None:
    with _server(tmp_path, HTTP_MAX_CONNECTIONS="3", HTTP_HEADER_TIMEOUT="30") as (url, _):
        async with contextlib.AsyncExitStack() as idle:
            for _ in range(3):
                await idle.enter_async_context(connection(url))
            await asyncio.sleep(0.2)  # the server has accepted all three
            async with connection(url) as (reader, writer):
                writer.write(request("GET", "/healthz"))
                refused = parse_responses(await read_until_closed(reader, within=5))
        [served] = await exchange(url, request("GET", "/healthz"))

    assert [r.status for r in refused] == [503]
    assert "x-request-id" in refused[0].headers
    assert served.status == 200


MALFORMED_BODIES = {
    "json scalar": b'"x"',
    "json array": b"[1, 2]",
    "invalid utf-8": b'{"query": "\xff\xfe"}',
    "nested arrays": b'{"query": "{ __typename }", "variables": {"a": ' + b"[" * 5000 + b"]" * 5000 + b"}}",
    "5000-digit integer": b'{"query": "{ __typename }", "variables": {"a": ' + b"9" * 5000 + b"}}",
    "lone surrogate": b'{"query": "{ __typename }", "operationName": "\\ud800"}',
    "truncated": b'{"query": "{ __typename }"',
}


@pytest.mark.parametrize("body", MALFORMED_BODIES.values(), ids=MALFORMED_BODIES.keys())
async def test_a_body_we_cannot_interpret_is_a_400_and_the_connection_keeps_serving(url: str, body: bytes) -> None:
    pipelined = graphql_post(body, headers={"X-Request-ID": "bad-body-1"}) + graphql_post(TYPENAME)

    bad, good = await exchange(url, pipelined, responses=2)

    assert bad.status == 400
    assert bad.headers["x-request-id"] == "bad-body-1"
    [error] = json.loads(bad.body)["errors"]
    assert error["extensions"] == {"code": "BAD_REQUEST", "requestId": "bad-body-1"}
    assert (good.status, json.loads(good.body)) == (200, {"data": {"__typename": "Query"}})


async def test_bad_bodies_are_counted_in_the_request_metrics(url: str) -> None:
    async with httpx.AsyncClient(base_url=url) as client:
        before = await client.get("/metrics")
        await exchange(url, graphql_post(b'"x"'))
        after = await client.get("/metrics")

    def count(text: str) -> float:
        series = 'flow_api_graphql_requests_total{operation="invalid",operation_type="unknown",outcome="BAD_REQUEST"}'
        return next((float(line.split()[-1]) for line in text.splitlines() if line.startswith(series)), 0.0)

    assert count(after.text) == count(before.text) + 1


CONTENT_TYPES = {
    "application/json": 200,
    "application/json; charset=utf-8": 200,
    "APPLICATION/JSON": 200,
    "Application/Json ; charset=UTF-8": 200,
    "application/jsonp": 415,
    "x-application/json": 415,
    "text/plain, application/json": 415,
    "text/plain": 415,
}


@pytest.mark.parametrize(("content_type", "status"), CONTENT_TYPES.items(), ids=CONTENT_TYPES.keys())
async def test_media_types_are_compared_exactly_and_case_insensitively(
    url: str, content_type: str, status: int
) -> None:
    [answer] = await exchange(url, graphql_post(TYPENAME, content_type=content_type))

    assert answer.status == status
    assert "x-request-id" in answer.headers


async def test_no_redirect_is_built_from_the_host_header(url: str) -> None:
    head = b"POST /graphql/ HTTP/1.1\r\nHost: evil.example\r\nContent-Type: application/json\r\n"
    [answer] = await exchange(url, head + b"Content-Length: %d\r\n\r\n%s" % (len(TYPENAME), TYPENAME))

    assert answer.status == 404
    assert "location" not in answer.headers


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (request("GET", "/nowhere"), 404),
        (request("PUT", "/graphql", body=TYPENAME), 405),
        (graphql_post(b"{" + b" " * 70_000 + b"}"), 413),
        (b"NOT HTTP AT ALL\r\n\r\n", 400),
    ],
    ids=["404", "405", "413", "400 malformed HTTP"],
)
async def test_every_error_response_carries_a_request_id(url: str, raw: bytes, status: int) -> None:
    [answer] = await exchange(url, raw)

    assert answer.status == status
    assert len(answer.headers["x-request-id"]) >= 16


async def test_no_credentials_reach_the_log_through_any_error_path(tmp_path: Path) -> None:
    with _server(tmp_path, LOG_LEVEL="DEBUG") as (url, log):
        for body in MALFORMED_BODIES.values():
            await exchange(url, graphql_post(body, headers=SECRETS))
        for content_type in ("text/plain", "application/jsonp"):
            await exchange(url, graphql_post(TYPENAME, content_type=content_type, headers=SECRETS))
        await exchange(url, request("GET", "/healthz", headers={**SECRETS, "X-Padding": "a" * 17_000}))
        await exchange(url, graphql_post(b"{" + b" " * 70_000 + b"}", headers=SECRETS))
        await exchange(url, request("PUT", "/graphql", headers=SECRETS, body=TYPENAME))
        await exchange(url, graphql_post(b'{"query": "{ viewer { flowUserId } }"}', headers=SECRETS))
        mutation = json.dumps({"query": 'mutation { createConnection(targetOrgId: "x") }'}).encode()
        await exchange(url, graphql_post(mutation, headers=SECRETS))
        written = log.read_text()

    assert "graphql_request" in written  # the log was captured at all
    for secret in SECRETS.values():
        assert secret.split()[-1].split("=")[-1] not in written
