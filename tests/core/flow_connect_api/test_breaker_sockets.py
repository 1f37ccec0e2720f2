"""The breaker in the client, against real loopback upstreams: each failure kind opens it, no 4xx
does, an open breaker sends nothing, and half-open lets one caller through."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass

import aiohttp
import pytest

from app.core.config import FlowConnectApiSettings
from app.core.flow_connect_api import FlowConnectApiClient, FlowConnectBreaker, FlowConnectTransport
from app.core.flow_connect_api.breaker import BreakerPolicy, BreakerState
from app.errors import AppError, RemoteApiError, ServiceUnavailableError
from devstack.serving import free_port
from tests.core.flow_connect_api.test_breaker import FakeClock
from tests.fixtures.flow_connect import caller
from tests.fixtures.raw_upstream import Behaviour, Exchange, RawUpstream, raw_upstream

MINIMUM = 3
POLICY = BreakerPolicy(error_ratio=0.5, minimum_calls=MINIMUM, window_seconds=10, open_seconds=5, half_open_probes=1)
OPEN_ANSWER = {"code": "SERVICE_UNAVAILABLE", "retryAfter": 5}


@dataclass
class Gateway:
    """One process's view of Flow Connect: the shared pool and breaker, and a caller's client."""

    transport: FlowConnectTransport
    breaker: FlowConnectBreaker
    settings: FlowConnectApiSettings
    attempts: list[str]  # one entry per attempt aiohttp started, whatever reached the upstream

    def client(self, *, deadline_seconds: float | None = None) -> FlowConnectApiClient:
        settings = self.settings
        if deadline_seconds is not None:
            settings = settings.model_copy(update={"flow_connect_api_timeout": deadline_seconds})
        return FlowConnectApiClient(
            transport=self.transport, breaker=self.breaker, auth_info=caller(), settings=settings
        )

    async def post(self) -> None:
        await self.client().post("/connections/requests", {"target_org_id": "x"})


@contextlib.asynccontextmanager
async def gateway(
    url: str,
    clock: FakeClock,
    *,
    deadline_seconds: float = 0.4,
    connect_timeout: float = 0.1,
    max_connections: int = 10,
) -> AsyncIterator[Gateway]:
    attempts: list[str] = []

    async def on_request_start(_: aiohttp.ClientSession, __: object, params: aiohttp.TraceRequestStartParams) -> None:
        attempts.append(params.url.path)

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(on_request_start)
    settings = FlowConnectApiSettings(
        flow_connect_api_url=url,
        flow_connect_api_timeout=deadline_seconds,
        flow_connect_api_connect_timeout=connect_timeout,
    )
    transport = FlowConnectTransport(
        base_url=settings.base_url,
        connect_timeout=connect_timeout,
        max_connections=max_connections,
        max_response_bytes=settings.flow_connect_api_max_response_bytes,
        trace_configs=[trace],
    )
    try:
        yield Gateway(transport, FlowConnectBreaker(POLICY, clock=clock), settings, attempts)
    finally:
        await transport.aclose()


async def _failures(calls: list[Awaitable[None]]) -> list[BaseException | None]:
    return list(await asyncio.gather(*calls, return_exceptions=True))


def _respond(status: int) -> Behaviour:
    async def behaviour(exchange: Exchange) -> None:
        await exchange.respond(status, b'{"message": "no"}', {"Content-Type": "application/json"})

    return behaviour


async def _hang(_: Exchange) -> None:
    await asyncio.sleep(3600)


async def _reset(exchange: Exchange) -> None:
    exchange.reset()


async def _assert_open_and_sends_nothing(gate: Gateway, upstream: RawUpstream | None) -> None:
    assert gate.breaker.state is BreakerState.OPEN
    attempts = len(gate.attempts)
    seen = None if upstream is None else (upstream.connections, upstream.posts_read)

    with pytest.raises(ServiceUnavailableError) as refused:
        await gate.post()

    assert refused.value.extensions == OPEN_ANSWER
    assert refused.value.message == "Flow Connect is failing; the request was not sent."
    assert len(gate.attempts) == attempts  # no attempt: no pooled connection taken, nothing written
    assert seen is None or (upstream is not None and (upstream.connections, upstream.posts_read) == seen)


async def test_refused_connections_open_it_one_call_counting_once_whatever_its_retries() -> None:
    async with gateway(f"http://127.0.0.1:{free_port()}", FakeClock()) as gate:
        before_minimum = await _failures([gate.post() for _ in range(MINIMUM - 1)])
        assert gate.breaker.state is BreakerState.CLOSED
        assert len(gate.attempts) > MINIMUM  # every call was retried: attempts are not what counts
        await _failures([gate.post()])

        assert all(isinstance(failure, RemoteApiError) for failure in before_minimum)
        await _assert_open_and_sends_nothing(gate, None)


@pytest.mark.parametrize(
    ("behaviour", "expected"),
    [
        pytest.param(_hang, "did not answer in time", id="read_timeout"),
        pytest.param(_reset, "dropped the connection", id="reset"),
        pytest.param(_respond(500), None, id="500"),
        pytest.param(_respond(502), None, id="502"),
        pytest.param(_respond(503), None, id="503"),
    ],
)
async def test_each_failure_after_connecting_opens_it(behaviour: Behaviour, expected: str | None) -> None:
    async with raw_upstream(behaviour) as (upstream, url), gateway(url, FakeClock()) as gate:
        if expected is None:  # a 5xx is returned to the service, which turns it into an error
            for _ in range(MINIMUM):
                await gate.post()
        else:
            failures = await _failures([gate.post() for _ in range(MINIMUM)])
            assert all(isinstance(failure, RemoteApiError) and expected in failure.message for failure in failures)

        await _assert_open_and_sends_nothing(gate, upstream)


async def test_waiting_in_vain_for_a_pooled_connection_opens_it() -> None:
    held = asyncio.Event()

    async def hold(_: Exchange) -> None:
        held.set()
        await asyncio.sleep(3600)

    async with (
        raw_upstream(hold) as (upstream, url),
        gateway(url, FakeClock(), deadline_seconds=0.5, connect_timeout=0.1, max_connections=1) as gate,
    ):
        holder = asyncio.create_task(gate.client(deadline_seconds=60).post("/connections/requests", {}))
        await held.wait()  # the pool's only connection is taken, and kept

        failures = await _failures([gate.post() for _ in range(MINIMUM)])

        assert all(isinstance(failure, RemoteApiError) for failure in failures)
        assert (upstream.connections, upstream.posts_read) == (1, 1)  # they waited for the pool, in vain
        await _assert_open_and_sends_nothing(gate, upstream)
        holder.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await holder


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409])
async def test_flow_connect_answering_4xx_never_opens_it(status: int) -> None:
    async with raw_upstream(_respond(status)) as (upstream, url), gateway(url, FakeClock()) as gate:
        for _ in range(4 * MINIMUM):
            await gate.post()

        assert gate.breaker.state is BreakerState.CLOSED
        assert upstream.posts_read == 4 * MINIMUM


async def test_half_open_lets_exactly_one_of_concurrent_callers_reach_flow_connect() -> None:
    failing = True
    probe_arrived, release = asyncio.Event(), asyncio.Event()

    async def behaviour(exchange: Exchange) -> None:
        if failing:
            await exchange.respond(500)
            return
        probe_arrived.set()
        await release.wait()
        await exchange.respond(201, b"{}")

    clock = FakeClock()
    async with raw_upstream(behaviour) as (upstream, url), gateway(url, clock, deadline_seconds=5) as gate:
        for _ in range(MINIMUM):
            await gate.post()
        failing = False
        clock.now += POLICY.open_seconds

        calls = [asyncio.create_task(gate.post()) for _ in range(5)]
        await probe_arrived.wait()  # Flow Connect holds the probe
        refused = [call.exception() for call in calls if call.done()]
        release.set()
        await asyncio.gather(*calls, return_exceptions=True)

        assert [_extensions(error) for error in refused] == [{"code": "SERVICE_UNAVAILABLE", "retryAfter": 1}] * 4
        assert upstream.posts_read == MINIMUM + 1
        assert gate.breaker.state is BreakerState.CLOSED
        await gate.post()
        assert upstream.posts_read == MINIMUM + 2


def _extensions(error: BaseException | None) -> object:
    return error.extensions if isinstance(error, AppError) else error
