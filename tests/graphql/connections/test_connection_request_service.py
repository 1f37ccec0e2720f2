"""The plan's service scenarios: each status Flow Connect can answer, from a real loopback server."""

import uuid

import pytest

from app.core.config import SharedStateSettings
from app.core.shared_state.rate_limits import create_rate_limits
from app.core.shared_state.redis import SharedRedis
from app.errors import ConflictError, NotFoundError, RemoteApiError, UnauthorizedError
from app.graphql.connections.services.connection_request_service import ConnectionRequestService
from devstack.serving import free_port
from tests.conftest import RunningUpstream
from tests.fixtures.flow_connect import caller, flow_connect_api_client

TARGET = uuid.UUID("9133da7c-3b98-4673-91dc-0dc58cc8740c")


async def _create(base_url: str) -> bool:
    who = caller()
    limits = create_rate_limits(SharedStateSettings(), SharedRedis(None))
    async with flow_connect_api_client(base_url, who) as client:
        service = ConnectionRequestService(api_client=client, limits=limits, caller=who)
        return await service.create_connection_request(TARGET)


@pytest.mark.parametrize("status", [200, 201])
async def test_create_returns_true_on_2xx(upstream: RunningUpstream, status: int) -> None:
    upstream.fake.respond(status, b'{"id": "r1"}')

    assert await _create(upstream.url) is True
    [request] = upstream.fake.requests
    assert request.body == b'{"target_org_id":"9133da7c-3b98-4673-91dc-0dc58cc8740c"}'


@pytest.mark.parametrize("status", [401, 403])
async def test_raises_unauthorized_on_401_403(upstream: RunningUpstream, status: int) -> None:
    upstream.fake.respond(status, b'{"message": "token revoked"}')

    with pytest.raises(UnauthorizedError):
        await _create(upstream.url)


async def test_raises_not_found_on_404(upstream: RunningUpstream) -> None:
    upstream.fake.respond(404, b'{"message": "Organization does not exist."}')

    with pytest.raises(NotFoundError) as raised:
        await _create(upstream.url)

    assert raised.value.message == "Organization does not exist."


async def test_raises_conflict_on_409(upstream: RunningUpstream) -> None:
    upstream.fake.respond(409, b"")

    with pytest.raises(ConflictError) as raised:
        await _create(upstream.url)

    assert raised.value.message == "The request conflicts with an existing one."


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_raises_remote_api_error_on_5xx(upstream: RunningUpstream, status: int) -> None:
    upstream.fake.respond(status, b"<html>Bad Gateway</html>", {"content-type": "text/html"})

    with pytest.raises(RemoteApiError) as raised:
        await _create(upstream.url)

    assert (raised.value.extensions or {}).get("statusCode") == status
    assert raised.value.extensions == {"code": "REMOTE_API_ERROR", "statusCode": status}


async def test_propagates_remote_api_error() -> None:
    with pytest.raises(RemoteApiError) as raised:
        await _create(f"http://127.0.0.1:{free_port()}")

    assert (raised.value.extensions or {}).get("statusCode") is None


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"message": "target_org_id is malformed"}', "target_org_id is malformed"),
        (b'{"detail": "  bad detail  "}', "bad detail"),
        (b'{"error": "bad error"}', "bad error"),
        (b'{"message": 42, "error": "typed fallback"}', "typed fallback"),
        (b'{"message": "' + b"x" * 900 + b'"}', "x" * 500),
        (b"not json at all", "The Flow Connect API rejected the request (HTTP 400)."),
        (b"", "The Flow Connect API rejected the request (HTTP 400)."),
        (b'["a list"]', "The Flow Connect API rejected the request (HTTP 400)."),
    ],
)
async def test_400_carries_the_remote_message(upstream: RunningUpstream, body: bytes, message: str) -> None:
    upstream.fake.respond(400, body)

    with pytest.raises(RemoteApiError) as raised:
        await _create(upstream.url)

    assert raised.value.message == message
    assert (raised.value.extensions or {}).get("statusCode") == 400
