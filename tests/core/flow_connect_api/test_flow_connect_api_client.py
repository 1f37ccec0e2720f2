"""The plan's client scenarios, against a real HTTP server on 127.0.0.1."""

import asyncio
import json

import aiohttp
import httpx
import pytest

from app.core.config import FlowConnectApiSettings
from app.core.flow_connect_api import FlowConnectApiClient, FlowConnectTransport, create_flow_connect_breaker
from app.core.flow_connect_api.flow_connect_api_client import CONNECT_RETRIES
from app.errors import RemoteApiError
from devstack.serving import free_port
from tests.conftest import RunningUpstream
from tests.fixtures.flow_connect import TEST_ACCESS_TOKEN, caller, flow_connect_api_client
from tests.fixtures.raw_upstream import Exchange, raw_upstream


async def test_post_includes_authorization_header(upstream: RunningUpstream) -> None:
    async with flow_connect_api_client(upstream.url) as client:
        await client.post("/connections/requests", {"target_org_id": "x"})

    [request] = upstream.fake.requests
    assert request.headers["authorization"] == f"Bearer {TEST_ACCESS_TOKEN}"


async def test_post_sends_json_body(upstream: RunningUpstream) -> None:
    async with flow_connect_api_client(upstream.url) as client:
        await client.post("/connections/requests", {"target_org_id": "9133da7c-3b98-4673-91dc-0dc58cc8740c"})

    [request] = upstream.fake.requests
    assert request.method == "POST"
    assert request.path == "/connections/requests"
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.body) == {"target_org_id": "9133da7c-3b98-4673-91dc-0dc58cc8740c"}


async def test_post_returns_response(upstream: RunningUpstream) -> None:
    upstream.fake.respond(409, b'{"message": "exists"}', {"content-type": "application/json"})

    async with flow_connect_api_client(upstream.url) as client:
        response = await client.post("/connections/requests", {})

    assert isinstance(response, httpx.Response)
    assert response.status_code == 409
    assert response.json() == {"message": "exists"}
    # Read already, as httpx.Response(content=...) would be: every way of reading the body works.
    assert response.content == response.read() == b'{"message": "exists"}'
    assert response.text == '{"message": "exists"}'
    assert response.headers["content-type"] == "application/json"


async def test_post_raises_remote_api_error_on_network_failure() -> None:
    nothing_listens = f"http://127.0.0.1:{free_port()}"

    async with flow_connect_api_client(nothing_listens) as client:
        with pytest.raises(RemoteApiError) as raised:
            await client.post("/connections/requests", {})

    assert raised.value.extensions == {"code": "REMOTE_API_ERROR"}
    assert raised.value.extensions.get("statusCode") is None
    assert raised.value.message == "The Flow Connect API is unreachable."


def _recording_attempts() -> tuple[aiohttp.TraceConfig, list[dict[str, str]], asyncio.Event]:
    """aiohttp's own hook, called as each attempt starts: a refused connect leaves no trace upstream."""
    attempts: list[dict[str, str]] = []
    attempted = asyncio.Event()

    async def on_request_start(
        _session: aiohttp.ClientSession, _context: object, params: aiohttp.TraceRequestStartParams
    ) -> None:
        attempts.append(dict(params.headers))
        attempted.set()

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(on_request_start)
    return trace, attempts, attempted


async def test_connect_retries_resend_the_same_idempotency_key() -> None:
    port = free_port()
    trace, attempts, attempted = _recording_attempts()
    settings = FlowConnectApiSettings(flow_connect_api_url=f"http://127.0.0.1:{port}")

    async def up_after_first_attempt(exchange: Exchange) -> None:
        await exchange.respond(201, b"{}")

    transport = FlowConnectTransport(
        base_url=settings.base_url,
        connect_timeout=5,
        max_connections=10,
        max_response_bytes=settings.flow_connect_api_max_response_bytes,
        trace_configs=[trace],
    )
    try:
        client = FlowConnectApiClient(
            transport=transport, breaker=create_flow_connect_breaker(settings), auth_info=caller(), settings=settings
        )
        call = asyncio.create_task(client.post("/connections/requests", {}))
        await attempted.wait()  # refused: nothing listens yet
        async with raw_upstream(up_after_first_attempt, port=port) as (upstream, _):
            response = await call
    finally:
        await transport.aclose()

    assert response.status_code == 201
    assert len(attempts) >= 2
    assert len({attempt["Idempotency-Key"] for attempt in attempts}) == 1
    assert upstream.posts_read == 1


async def test_a_connect_that_keeps_failing_is_attempted_exactly_retry_attempts_times() -> None:
    trace, attempts, _ = _recording_attempts()
    settings = FlowConnectApiSettings(flow_connect_api_url=f"http://127.0.0.1:{free_port()}")

    transport = FlowConnectTransport(
        base_url=settings.base_url,
        connect_timeout=5,
        max_connections=10,
        max_response_bytes=settings.flow_connect_api_max_response_bytes,
        trace_configs=[trace],
    )
    try:
        client = FlowConnectApiClient(
            transport=transport, breaker=create_flow_connect_breaker(settings), auth_info=caller(), settings=settings
        )
        with pytest.raises(RemoteApiError, match="unreachable"):
            await client.post("/connections/requests", {})
    finally:
        await transport.aclose()

    # The bare first attempt and stamina's retries together: no extra attempt, none missing.
    assert len(attempts) == CONNECT_RETRIES.attempts


async def test_cookies_set_for_one_caller_never_reach_the_next(upstream: RunningUpstream) -> None:
    upstream.fake.respond(201, b"{}", {"set-cookie": "session=of-the-first-caller; Path=/"})

    async with flow_connect_api_client(upstream.url) as client:
        await client.post("/connections/requests", {})
        await client.post("/connections/requests", {})

    assert [request.headers.get("cookie") for request in upstream.fake.requests] == [None, None]


async def test_any_method_goes_through_the_same_path(upstream: RunningUpstream) -> None:
    async with flow_connect_api_client(upstream.url) as client:
        listed = await client.request("GET", "/connections/requests")
        await client.request("DELETE", "/connections/requests/42")

    get, delete = upstream.fake.requests
    assert listed.status_code == 201
    assert (get.method, get.path, get.body) == ("GET", "/connections/requests", b"")
    assert "idempotency-key" not in get.headers
    assert "content-type" not in get.headers
    assert (delete.method, delete.path) == ("DELETE", "/connections/requests/42")
    assert delete.headers["authorization"] == f"Bearer {TEST_ACCESS_TOKEN}"
    assert "idempotency-key" in delete.headers
