"""With every pooled connection stuck on a hanging Flow Connect, queued mutations must not be sent
once their caller's deadline is nearly spent: the caller hears "not sent", and it is true."""

import asyncio

from app.core.config import FlowConnectApiSettings
from tests.conftest import ApiFactory
from tests.fixtures.identity import RunningIdentityProvider
from tests.fixtures.logs import CapturedLogs
from tests.fixtures.operations import CREATE_CONNECTION_TO_GLOBEX
from tests.fixtures.raw_upstream import Exchange, raw_upstream

POOL_SIZE = 2
QUEUED = 3
TIMEOUT = 1.0
CONNECT_TIMEOUT = 0.5


async def _hang(_exchange: Exchange) -> None:
    await asyncio.sleep(3600)


async def test_queued_mutations_are_not_sent_once_their_deadline_is_nearly_spent(
    start_api: ApiFactory, idp: RunningIdentityProvider, logs: CapturedLogs
) -> None:
    async with raw_upstream(_hang) as (upstream, url):
        settings = FlowConnectApiSettings(
            flow_connect_api_url=url,
            flow_connect_api_timeout=TIMEOUT,
            flow_connect_api_connect_timeout=CONNECT_TIMEOUT,
            flow_connect_api_max_connections=POOL_SIZE,
        )
        api = await start_api(flow_connect=settings)
        token = idp.token()
        holders = [asyncio.create_task(api.execute(CREATE_CONNECTION_TO_GLOBEX, token=token)) for _ in range(POOL_SIZE)]
        # Queued later, so the pool frees (the holders time out) while these still wait for it.
        await asyncio.sleep(0.3)
        queued = await asyncio.gather(*(api.execute(CREATE_CONNECTION_TO_GLOBEX, token=token) for _ in range(QUEUED)))
        held = await asyncio.gather(*holders)
        await asyncio.sleep(0.3)  # a request sent late would have arrived by now
        posts_read = upstream.posts_read

    assert [r.error_messages for r in held] == [["The Flow Connect API did not answer in time."]] * POOL_SIZE
    assert [r.error_extensions for r in queued] == [[{"code": "REMOTE_API_ERROR"}]] * QUEUED
    assert [r.error_messages for r in queued] == [["The Flow Connect API is busy; the request was not sent."]] * QUEUED
    assert posts_read == POOL_SIZE
    attempts = logs.events("flow_connect_call")
    assert sorted(line["error"] for line in attempts) == ["CancelledError"] * POOL_SIZE + ["NotSentError"] * QUEUED, (
        "one line per attempt actually made: the queued ones gave up waiting for the pool, none was retried"
    )
