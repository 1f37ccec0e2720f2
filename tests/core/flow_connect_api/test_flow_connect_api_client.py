"""The plan's client scenarios, against a real HTTP server on 127.0.0.1."""

import json

import httpx
import pytest

from app.errors import RemoteApiError
from tests.conftest import RunningUpstream
from tests.e2e.process import free_port
from tests.fixtures.flow_connect import TEST_ACCESS_TOKEN, flow_connect_api_client


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


async def test_post_raises_remote_api_error_on_network_failure() -> None:
    nothing_listens = f"http://127.0.0.1:{free_port()}"

    async with flow_connect_api_client(nothing_listens) as client:
        with pytest.raises(RemoteApiError) as raised:
            await client.post("/connections/requests", {})

    assert raised.value.extensions == {"code": "REMOTE_API_ERROR"}
    assert raised.value.status_code is None
    assert raised.value.message == "The Flow Connect API is unreachable."
