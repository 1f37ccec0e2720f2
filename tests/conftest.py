import contextlib
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from aioinject import Provider

from app.core.config import FlowConnectApiSettings, GraphQLSettings, WorkOSSettings
from app.main import create_app
from devstack.identity import IdentityProvider
from devstack.keys import SigningKey
from devstack.serving import ServerGroup
from tests.fixtures.graphql_client import GraphQLClient
from tests.fixtures.identity import TEST_CLIENT_ID, RunningIdentityProvider
from tests.fixtures.logs import CapturedLogs
from tests.fixtures.processes import ProcessKey, kill, session_processes
from tests.fixtures.settings import settings_for_test
from tests.fixtures.upstream import FakeFlowConnect


def pytest_configure() -> None:
    # xdist's workers share the controller's session; each gets its own, so one worker's
    # leftover check sees only the processes its own tests started.
    if "PYTEST_XDIST_WORKER" in os.environ:
        os.setsid()


def _none_left_since(before: dict[ProcessKey, str]) -> None:
    left = {key: command for key, command in session_processes().items() if key not in before}
    kill(left)
    assert not left, f"processes outlived their test: {sorted(left.values())}"


@pytest.fixture(autouse=True)
def no_process_outlives_the_test() -> Iterator[None]:
    before = session_processes()
    yield
    _none_left_since(before)


@pytest.fixture(autouse=True, scope="session")
def no_process_outlives_the_session() -> Iterator[None]:
    """Module- and session-scoped fixtures stop their processes after the last test that used them."""
    before = session_processes()
    yield
    _none_left_since(before)


@pytest.fixture
def logs(capsys: pytest.CaptureFixture[str]) -> CapturedLogs:
    return CapturedLogs(capsys)


@pytest.fixture(scope="session")
def signing_key() -> SigningKey:
    return SigningKey.generate()


@pytest.fixture
async def servers() -> AsyncIterator[ServerGroup]:
    """The in-process servers of one test, stopped together after it."""
    async with ServerGroup() as group:
        yield group


@pytest.fixture
async def idp(signing_key: SigningKey, servers: ServerGroup) -> RunningIdentityProvider:
    provider = IdentityProvider(client_id=TEST_CLIENT_ID, keys=[signing_key])
    return RunningIdentityProvider(provider=provider, url=await servers.start(provider.asgi_app()))


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
async def upstream(servers: ServerGroup) -> RunningUpstream:
    fake = FakeFlowConnect()
    return RunningUpstream(fake=fake, url=await servers.start(fake.asgi_app()))


@pytest.fixture
def flow_connect_settings(upstream: RunningUpstream) -> FlowConnectApiSettings:
    return FlowConnectApiSettings(flow_connect_api_url=upstream.url)


ApiFactory = Callable[..., Awaitable[GraphQLClient]]


@pytest.fixture
async def start_api(
    servers: ServerGroup, workos_settings: WorkOSSettings, flow_connect_settings: FlowConnectApiSettings
) -> AsyncIterator[ApiFactory]:
    """Starts the real app on a loopback port; keyword arguments replace settings or providers.

    Its clients are closed before the servers stop, so no server waits on an idle connection.
    """
    async with contextlib.AsyncExitStack() as clients:

        async def start(
            *,
            app_env: str = "production",
            workos: WorkOSSettings | None = None,
            flow_connect: FlowConnectApiSettings | None = None,
            graphql: GraphQLSettings | None = None,
            overrides: tuple[Provider[Any], ...] = (),
        ) -> GraphQLClient:
            given = [workos or workos_settings, flow_connect or flow_connect_settings, *([graphql] if graphql else [])]
            settings = settings_for_test(app_env=app_env, given=given)
            url = await servers.start(create_app(settings, overrides=overrides))
            http = await clients.enter_async_context(httpx.AsyncClient(base_url=url, timeout=10))
            return GraphQLClient(http)

        yield start


@pytest.fixture
async def api(start_api: ApiFactory) -> GraphQLClient:
    return await start_api()
