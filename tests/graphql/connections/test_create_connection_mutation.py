"""createConnection end to end: the real API over HTTP, in front of a real loopback upstream."""

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from app.core.config import FlowConnectApiSettings, SharedStateSettings
from devstack import seed
from devstack.flow_connect import ConnectionStore, TokenVerifier, create_flow_connect_app
from devstack.serving import ServerGroup, free_port, running_server
from tests.conftest import ApiFactory, RunningUpstream
from tests.fixtures.graphql_client import GraphQLClient
from tests.fixtures.identity import RunningIdentityProvider
from tests.fixtures.operations import GLOBEX
from tests.fixtures.upstream import FakeFlowConnect

CREATE = "mutation Create($target: ID!) { createConnection(targetOrgId: $target) }"


@pytest.fixture
async def simulator_api(
    start_api: ApiFactory, idp: RunningIdentityProvider, tmp_path: Path
) -> AsyncIterator[GraphQLClient]:
    """The API in front of the dev stack's Flow Connect simulator."""
    with contextlib.closing(ConnectionStore(tmp_path / "flow_connect.sqlite3")) as store:
        simulator = create_flow_connect_app(store=store, verifier=TokenVerifier(jwks_url=idp.jwks_url, issuer=idp.url))
        # Stopped before its store closes, so no request can reach a closed database.
        async with running_server(simulator) as url:
            yield await start_api(flow_connect=FlowConnectApiSettings(flow_connect_api_url=url))


async def test_phase5_valid_target_then_conflict_on_repeat(
    simulator_api: GraphQLClient, idp: RunningIdentityProvider
) -> None:
    token = idp.token(org_id=seed.DEV_ORG_ID)

    first = await simulator_api.execute(CREATE, token=token, variables={"target": GLOBEX})
    again = await simulator_api.execute(CREATE, token=token, variables={"target": GLOBEX})

    assert first.body == {"data": {"createConnection": True}}
    assert again.error_codes == ["CONFLICT"]
    assert again.error_messages == [f"A connection request to organization {GLOBEX} already exists."]


async def test_phase5_unknown_target_is_not_found(simulator_api: GraphQLClient, idp: RunningIdentityProvider) -> None:
    response = await simulator_api.execute(
        CREATE, token=idp.token(org_id=seed.DEV_ORG_ID), variables={"target": "00000000-0000-4000-8000-000000000000"}
    )

    assert response.error_codes == ["NOT_FOUND"]
    assert response.data is None


async def test_phase5_invalid_token_is_unauthorized(simulator_api: GraphQLClient, idp: RunningIdentityProvider) -> None:
    token = idp.token(org_id=seed.DEV_ORG_ID)
    tampered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")

    response = await simulator_api.execute(CREATE, token=tampered, variables={"target": GLOBEX})

    assert response.error_codes == ["UNAUTHORIZED"]


async def test_connecting_to_own_organization_is_a_conflict(
    simulator_api: GraphQLClient, idp: RunningIdentityProvider
) -> None:
    response = await simulator_api.execute(
        CREATE, token=idp.token(org_id=seed.DEV_ORG_ID), variables={"target": seed.DEV_ORG_ID}
    )

    assert response.error_codes == ["CONFLICT"]


async def test_upstream_receives_exactly_the_token_and_json_body(
    api: GraphQLClient, idp: RunningIdentityProvider, upstream: RunningUpstream
) -> None:
    token = idp.token()

    response = await api.execute(
        CREATE, token=token, variables={"target": GLOBEX}, headers={"Cookie": "session=secret", "X-Api-Key": "k"}
    )

    assert response.body == {"data": {"createConnection": True}}
    [request] = upstream.fake.requests
    assert (request.method, request.path) == ("POST", "/connections/requests")
    assert request.headers["authorization"] == f"Bearer {token}"
    assert json.loads(request.body) == {"target_org_id": GLOBEX}
    assert request.headers["content-type"] == "application/json"
    assert request.headers["x-request-id"] == response.http.headers["x-request-id"]
    assert uuid.UUID(request.headers["idempotency-key"]).version == 4
    assert set(request.headers) <= {
        "idempotency-key",
        "x-request-id",
        "traceparent",  # present when tracing is on
        "tracestate",
        "host",
        "accept",
        "accept-encoding",
        "connection",
        "user-agent",
        "content-length",
        "content-type",
        "authorization",
    }, "no cookie, API key or other credential may travel upstream"


@pytest.mark.parametrize("target", ["not-a-uuid", "", "9133da7c-3b98-4673-91dc-0dc58cc8740", "'; DROP TABLE orgs; --"])
async def test_non_uuid_target_is_bad_user_input_and_nothing_is_sent(
    api: GraphQLClient, idp: RunningIdentityProvider, upstream: RunningUpstream, target: str
) -> None:
    response = await api.execute(CREATE, token=idp.token(), variables={"target": target})

    assert response.error_codes == ["BAD_USER_INPUT"]
    assert response.body["errors"][0]["extensions"]["argument"] == "targetOrgId"
    assert upstream.fake.requests == []


@pytest.mark.parametrize("authorization", [None, "Bearer not.a.jwt", "Basic dXNlcjpwYXNz"])
async def test_no_valid_token_is_unauthorized_and_nothing_is_sent(
    api: GraphQLClient, upstream: RunningUpstream, authorization: str | None
) -> None:
    response = await api.execute(CREATE, authorization=authorization, variables={"target": GLOBEX})

    assert response.error_codes == ["UNAUTHORIZED"]
    assert upstream.fake.requests == []


async def test_remote_400_message_reaches_the_client(
    api: GraphQLClient, idp: RunningIdentityProvider, upstream: RunningUpstream
) -> None:
    upstream.fake.respond(400, b'{"message": "Target organization does not accept requests."}')

    response = await api.execute(CREATE, token=idp.token(), variables={"target": GLOBEX})

    assert response.error_messages == ["Target organization does not accept requests."]
    assert response.error_extensions == [{"code": "REMOTE_API_ERROR", "statusCode": 400}]


async def test_remote_500_is_remote_api_error(
    api: GraphQLClient, idp: RunningIdentityProvider, upstream: RunningUpstream
) -> None:
    upstream.fake.respond(500, b"<h1>Internal Server Error</h1>", {"content-type": "text/html"})

    response = await api.execute(CREATE, token=idp.token(), variables={"target": GLOBEX})

    assert response.error_extensions == [{"code": "REMOTE_API_ERROR", "statusCode": 500}]
    assert "<h1>" not in response.http.text
    assert len(upstream.fake.requests) == 1


async def test_connection_refused_is_remote_api_error(start_api: ApiFactory, idp: RunningIdentityProvider) -> None:
    api = await start_api(flow_connect=FlowConnectApiSettings(flow_connect_api_url=f"http://127.0.0.1:{free_port()}"))

    response = await api.execute(CREATE, token=idp.token(), variables={"target": GLOBEX})

    assert response.error_extensions == [{"code": "REMOTE_API_ERROR"}]
    assert response.error_messages == ["The Flow Connect API is unreachable."]


async def test_redirect_is_not_followed(
    api: GraphQLClient, idp: RunningIdentityProvider, upstream: RunningUpstream, servers: ServerGroup
) -> None:
    elsewhere = FakeFlowConnect()
    elsewhere_url = await servers.start(elsewhere.asgi_app())
    upstream.fake.respond(302, b"", {"location": f"{elsewhere_url}/steal-token"})

    response = await api.execute(CREATE, token=idp.token(), variables={"target": GLOBEX})

    assert response.error_extensions == [{"code": "REMOTE_API_ERROR", "statusCode": 302}]
    assert len(upstream.fake.requests) == 1
    assert elsewhere.requests == [], "the bearer token must never follow a redirect"


async def test_many_mutations_reuse_pooled_connections(
    start_api: ApiFactory, idp: RunningIdentityProvider, upstream: RunningUpstream
) -> None:
    api = await start_api(shared_state=SharedStateSettings(rate_limit_create_connection_per_user="1000/minute"))
    token = idp.token()

    async def one() -> bool:
        response = await api.execute(CREATE, token=token, variables={"target": GLOBEX})
        return bool(response.data and response.data["createConnection"])

    results = []
    for _ in range(10):
        results += await asyncio.gather(*(one() for _ in range(10)))

    assert results == [True] * 100
    assert len(upstream.fake.requests) == 100
    assert len(upstream.fake.connections) <= 10, f"{len(upstream.fake.connections)} TCP connections for 100 calls"
