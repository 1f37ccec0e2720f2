import contextlib
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from aioinject import Provider

from app.core.config import FlowConnectApiSettings, GraphQLSettings, SharedStateSettings, WorkOSSettings
from app.core.config.cors_settings import CorsSettings
from app.core.config.graphql_ide_settings import GraphQLIdeSettings
from app.main import create_app
from devstack.identity import IdentityProvider
from devstack.keys import SigningKey
from devstack.redis import RunningRedis
from devstack.serving import ServerGroup
from tests.fixtures.error_codes import ErrorLedger, documented_codes
from tests.fixtures.graphql_client import GraphQLClient
from tests.fixtures.identity import TEST_CLIENT_ID, RunningIdentityProvider
from tests.fixtures.logs import CapturedLogs
from tests.fixtures.processes import ProcessKey, kill, session_processes
from tests.fixtures.settings import settings_for_test
from tests.fixtures.tls import CLIENT_TLS
from tests.fixtures.upstream import FakeFlowConnect


def pytest_configure() -> None:
    # A session of our own (for each xdist worker too), so the leftover check below sees only
    # processes our tests started, never a sibling worker's or the calling shell's other jobs.
    with contextlib.suppress(PermissionError):  # already a process group leader: keep the session
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


@pytest.fixture(scope="session")
def error_ledger() -> Iterator[ErrorLedger]:
    """Every error that reached a client of `start_api`: each must carry a documented code."""
    ledger = ErrorLedger()
    yield ledger
    uncoded = ledger.uncoded(documented_codes())
    assert not uncoded, f"errors without a code from the README's table: {uncoded[:5]}"


@pytest.fixture
async def start_api(
    servers: ServerGroup,
    workos_settings: WorkOSSettings,
    flow_connect_settings: FlowConnectApiSettings,
    error_ledger: ErrorLedger,
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
            shared_state: SharedStateSettings | None = None,
            cors: CorsSettings | None = None,
            graphql_ide: GraphQLIdeSettings | None = None,
            overrides: tuple[Provider[Any], ...] = (),
        ) -> GraphQLClient:
            chosen = [settings for settings in (graphql, shared_state, cors, graphql_ide) if settings is not None]
            given = [workos or workos_settings, flow_connect or flow_connect_settings, *chosen]
            settings = settings_for_test(app_env=app_env, given=given)
            url = await servers.start(create_app(settings, overrides=overrides))
            http = await clients.enter_async_context(
                httpx.AsyncClient(
                    base_url=url, timeout=10, verify=CLIENT_TLS, event_hooks={"response": [error_ledger.record]}
                )
            )
            return GraphQLClient(http)

        yield start


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RunningRedis]:
    running = RunningRedis(tmp_path)
    running.start()
    yield running
    running.stop()


@pytest.fixture
async def api(start_api: ApiFactory) -> GraphQLClient:
    return await start_api()
