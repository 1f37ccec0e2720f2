"""An open breaker turns half-open when its open duration ends, whether or not a call comes to
notice: the state gauge (which the Flow-Connect alert reads) must not stay open for hours after a
night-time blip with no traffic behind it."""

import asyncio

from aioinject import Object

from app.core.flow_connect_api import FlowConnectBreaker
from app.core.flow_connect_api.breaker import BreakerPolicy, BreakerState
from tests.conftest import ApiFactory, RunningUpstream
from tests.fixtures.identity import RunningIdentityProvider
from tests.fixtures.logs import CapturedLogs
from tests.fixtures.metrics import scrape
from tests.fixtures.operations import CREATE_CONNECTION_TO_GLOBEX

OPEN_SECONDS = 0.3
POLICY = BreakerPolicy(
    error_ratio=0.5, minimum_calls=2, window_seconds=10, open_seconds=OPEN_SECONDS, half_open_probes=1
)
STATE: tuple[str, frozenset[tuple[str, str]]] = ("flow_api_flow_connect_breaker_state", frozenset())


async def test_an_open_breaker_turns_half_open_with_no_call_to_notice(
    start_api: ApiFactory, idp: RunningIdentityProvider, upstream: RunningUpstream, logs: CapturedLogs
) -> None:
    breaker = FlowConnectBreaker(POLICY)
    api = await start_api(overrides=(Object(breaker, interface=FlowConnectBreaker),))
    upstream.fake.respond(503, b"{}")
    for _ in range(POLICY.minimum_calls):
        await api.execute(CREATE_CONNECTION_TO_GLOBEX, token=idp.token())
    opened = await scrape(api.http)

    # The breaker's timer was set before this sleep's, for an earlier time: it runs first, however
    # loaded the machine (the loop runs due timers in order).
    await asyncio.sleep(3 * OPEN_SECONDS)
    later = await scrape(api.http)

    assert opened[STATE] == BreakerState.OPEN
    assert later[STATE] == BreakerState.HALF_OPEN
    assert [line["state"] for line in logs.events("flow_connect_breaker_transition")] == ["open", "half_open"]
