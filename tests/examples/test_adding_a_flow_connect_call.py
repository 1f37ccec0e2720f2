"""docs/adding-a-flow-connect-call.md, run: the feature in connection_requests_feature.py served by
the simulator on loopback and called through the real client, pool and rate limits. Checks what
a second call must not break: names from templates, no state per id, a long answer refused by
type, the declared budget enforced."""

import ast
import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from prometheus_client import REGISTRY

from app.auth import AuthInfo
from app.core.config import FlowConnectApiSettings, SharedStateSettings
from app.core.flow_connect_api import (
    FlowConnectApiClient,
    FlowConnectTransport,
    create_flow_connect_breaker,
    create_flow_connect_transport,
)
from app.core.observability.logging import configure_logging
from app.core.shared_state.rate_limits import create_rate_limits
from app.core.shared_state.redis import SharedRedis
from app.errors import NotFoundError, RateLimitedError, RemoteApiError
from app.graphql.connections.services.connection_request_service import ConnectionRequestService
from devstack import seed
from devstack.flow_connect import ConnectionStore, TokenVerifier, create_flow_connect_app
from devstack.flow_connect_simulator import discovered_routes
from devstack.serving import running_server
from tests.examples import connection_requests_feature
from tests.examples.connection_requests_feature import (
    CONNECTION_REQUEST,
    CONNECTION_REQUESTS,
    ConnectionRequestsService,
    ExampleSharedStateSettings,
)
from tests.fixtures.identity import RunningIdentityProvider
from tests.fixtures.logs import CapturedLogs
from tests.fixtures.retained import retained_bytes
from tests.fixtures.tracing import client_spans, recording_spans


@pytest.fixture
def json_logs(logs: CapturedLogs) -> CapturedLogs:
    """Log lines as production writes them, to the captured standard output."""
    configure_logging(json=True, level="INFO")
    return logs


@dataclass(frozen=True)
class Stack:
    """The services of one caller, as DI builds them, and what the tests look into."""

    requests: ConnectionRequestsService
    creator: ConnectionRequestService
    transport: FlowConnectTransport
    simulator: httpx.AsyncClient


@pytest.fixture
async def simulator(idp: RunningIdentityProvider, tmp_path: Path) -> AsyncIterator[str]:
    with contextlib.closing(ConnectionStore(tmp_path / "flow_connect.sqlite3", any_target=True)) as store:
        routes = [*discovered_routes(), *connection_requests_feature.routes.registered]
        app = create_flow_connect_app(
            store=store, verifier=TokenVerifier(jwks_url=idp.jwks_url, issuer=idp.url), routes=routes
        )
        async with running_server(app) as url:
            yield url


@contextlib.asynccontextmanager
async def stack(
    url: str,
    idp: RunningIdentityProvider,
    *,
    shared_state: SharedStateSettings | None = None,
    max_response_bytes: int = 64 * 1024,
) -> AsyncIterator[Stack]:
    caller = AuthInfo(
        access_token=idp.token(org_id=seed.DEV_ORG_ID), flow_user_id=uuid.uuid4(), organization_id=seed.DEV_ORG_ID
    )
    settings = FlowConnectApiSettings(flow_connect_api_url=url, flow_connect_api_max_response_bytes=max_response_bytes)
    limits = create_rate_limits(shared_state or ExampleSharedStateSettings(), SharedRedis(None))
    async with create_flow_connect_transport(settings) as transport, httpx.AsyncClient(base_url=url) as simulator:
        client = FlowConnectApiClient(
            transport=transport, breaker=create_flow_connect_breaker(settings), auth_info=caller, settings=settings
        )
        yield Stack(
            requests=ConnectionRequestsService(api_client=client, limits=limits, caller=caller),
            creator=ConnectionRequestService(api_client=client, limits=limits, caller=caller),
            transport=transport,
            simulator=simulator,
        )


def test_the_feature_imports_public_names_only() -> None:
    tree = ast.parse(Path(connection_requests_feature.__file__).read_text())
    imported = [
        f"{node.module}.{alias.name}"
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    ]
    assert imported
    assert [name for name in imported if any(part.startswith("_") for part in name.split("."))] == []


async def test_requests_are_listed_and_cancelled(simulator: str, idp: RunningIdentityProvider) -> None:
    targets = [uuid.uuid4(), uuid.uuid4()]
    async with stack(simulator, idp) as feature:
        for target in targets:
            await feature.creator.create_connection_request(target)
        listed = await feature.requests.connection_requests()
        cancelled = await feature.requests.cancel_connection_request(listed[0].id)
        left = await feature.requests.connection_requests()
        with pytest.raises(NotFoundError):
            await feature.requests.cancel_connection_request(listed[0].id)

    assert sorted(summary.target_org_id for summary in listed) == sorted(str(target) for target in targets)
    assert cancelled is True
    assert left == listed[1:]


async def test_spans_metrics_and_log_lines_are_named_by_template(
    simulator: str, idp: RunningIdentityProvider, json_logs: CapturedLogs
) -> None:
    spans = recording_spans()
    deletes = {"route": f"DELETE {CONNECTION_REQUEST}", "status_class": "2xx"}
    before = REGISTRY.get_sample_value("flow_api_flow_connect_requests_total", deletes) or 0.0
    async with stack(simulator, idp) as feature:
        await feature.creator.create_connection_request(uuid.uuid4())
        [created] = await feature.requests.connection_requests()
        await feature.requests.cancel_connection_request(created.id)

    templates = {CONNECTION_REQUESTS, CONNECTION_REQUEST}
    assert {span.name for span in client_spans(spans)} == {
        f"{method} {route}"
        for method, route in [
            ("POST", CONNECTION_REQUESTS),
            ("GET", CONNECTION_REQUESTS),
            ("DELETE", CONNECTION_REQUEST),
        ]
    }
    assert REGISTRY.get_sample_value("flow_api_flow_connect_requests_total", deletes) == before + 1
    assert {line["route"] for line in json_logs.events("flow_connect_call")} == templates
    assert str(created.id) not in json_logs.text


async def test_a_thousand_ids_leave_the_transport_as_it_was(simulator: str, idp: RunningIdentityProvider) -> None:
    roomy = ExampleSharedStateSettings(
        rate_limit_cancel_connection_request_per_user="100000/minute",
        rate_limit_cancel_connection_request_per_org="100000/minute",
    )
    async with stack(simulator, idp, shared_state=roomy) as feature:

        async def cancel_unknown(count: int) -> None:
            for _ in range(0, count, 50):  # 50 at a time: each waits on a loopback round trip
                outcomes = await asyncio.gather(
                    *(feature.requests.cancel_connection_request(uuid.uuid4()) for _ in range(50)),
                    return_exceptions=True,
                )
                assert all(isinstance(outcome, NotFoundError) for outcome in outcomes)

        await cancel_unknown(50)  # the pool and every lazily built part in place
        before = retained_bytes(feature.transport)
        await cancel_unknown(1_000)
        assert retained_bytes(feature.transport) == before


async def test_a_list_longer_than_the_limit_is_a_typed_error(simulator: str, idp: RunningIdentityProvider) -> None:
    async with stack(simulator, idp, max_response_bytes=1024) as feature:
        # About 80 bytes each as listed.
        await asyncio.gather(*(feature.creator.create_connection_request(uuid.uuid4()) for _ in range(20)))
        with pytest.raises(RemoteApiError, match="more than 1024 bytes"):
            await feature.requests.connection_requests()


async def test_the_declared_budget_refuses_the_call_past_it(simulator: str, idp: RunningIdentityProvider) -> None:
    async with stack(simulator, idp) as feature:
        before = (await feature.simulator.get("/idempotency-keys")).json()["requests"]
        for _ in range(3):  # ExampleSharedStateSettings: 3 a minute per caller
            with pytest.raises(NotFoundError):
                await feature.requests.cancel_connection_request(uuid.uuid4())
        with pytest.raises(RateLimitedError):
            await feature.requests.cancel_connection_request(uuid.uuid4())
        after = (await feature.simulator.get("/idempotency-keys")).json()["requests"]

    assert after - before == 3  # the refused call never reached Flow Connect
