import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from aioinject import Provider

from app.core.config import AppSettings, FlowConnectApiSettings, GraphQLSettings, LoggingSettings, WorkOSSettings
from app.main import create_app
from devstack.identity import IdentityProvider
from devstack.keys import SigningKey
from devstack.serving import running_server
from tests.fixtures.graphql_client import GraphQLClient
from tests.fixtures.identity import TEST_CLIENT_ID, RunningIdentityProvider
from tests.fixtures.upstream import FakeFlowConnect


@pytest.fixture(scope="session")
def signing_key() -> SigningKey:
    return SigningKey.generate()


@pytest.fixture
async def idp(signing_key: SigningKey) -> AsyncIterator[RunningIdentityProvider]:
    provider = IdentityProvider(client_id=TEST_CLIENT_ID, keys=[signing_key])
    async with running_server(provider.asgi_app()) as url:
        yield RunningIdentityProvider(provider=provider, url=url)


@pytest.fixture
def workos_settings(idp: RunningIdentityProvider) -> WorkOSSettings:
    return WorkOSSettings(
        workos_client_id=TEST_CLIENT_ID,
        workos_jwks_url=idp.jwks_url,
        workos_issuer=(idp.url,),
        workos_jwks_min_refresh_interval=0,
    )


@dataclass(frozen=True)
class RunningUpstream:
    fake: FakeFlowConnect
    url: str


@pytest.fixture
async def upstream() -> AsyncIterator[RunningUpstream]:
    fake = FakeFlowConnect()
    async with running_server(fake.asgi_app()) as url:
        yield RunningUpstream(fake=fake, url=url)


@pytest.fixture
def flow_connect_settings(upstream: RunningUpstream) -> FlowConnectApiSettings:
    return FlowConnectApiSettings(flow_connect_api_url=upstream.url)


ApiFactory = Callable[..., Awaitable[GraphQLClient]]


@pytest.fixture
async def start_api(
    workos_settings: WorkOSSettings, flow_connect_settings: FlowConnectApiSettings
) -> AsyncIterator[ApiFactory]:
    """Starts the real app on a loopback port; keyword arguments replace settings or providers."""
    async with contextlib.AsyncExitStack() as stack:

        async def start(
            *,
            app_env: str = "production",
            workos: WorkOSSettings | None = None,
            flow_connect: FlowConnectApiSettings | None = None,
            graphql: GraphQLSettings | None = None,
            overrides: tuple[Provider[Any], ...] = (),
        ) -> GraphQLClient:
            settings = [
                AppSettings(app_env=app_env),
                workos or workos_settings,
                flow_connect or flow_connect_settings,
                graphql or GraphQLSettings(),
                LoggingSettings(),
            ]
            url = await stack.enter_async_context(running_server(create_app(settings, overrides=overrides)))
            http = await stack.enter_async_context(httpx.AsyncClient(base_url=url, timeout=10))
            return GraphQLClient(http)

        yield start


@pytest.fixture
async def api(start_api: ApiFactory) -> GraphQLClient:
    return await start_api()
