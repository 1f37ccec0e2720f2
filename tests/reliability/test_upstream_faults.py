"""Flow Connect misbehaving in every way we know, through real sockets: each mutation ends with
the expected answer within the configured timeout, and the upstream sees exactly one POST."""

import asyncio
import json
import time

import pytest

from app.core.config import FlowConnectApiSettings
from devstack.serving import free_port
from tests.conftest import ApiFactory
from tests.fixtures.identity import RunningIdentityProvider
from tests.fixtures.operations import CREATE_CONNECTION_TO_GLOBEX
from tests.fixtures.raw_upstream import Behaviour, Exchange, raw_upstream

TIMEOUT = 1.0
# Generous: the point is "bounded by the timeout", not a benchmark.
SLACK = 1.5


def _settings(url: str) -> FlowConnectApiSettings:
    return FlowConnectApiSettings(
        flow_connect_api_url=url, flow_connect_api_timeout=TIMEOUT, flow_connect_api_connect_timeout=0.5
    )


async def _hang(_exchange: Exchange) -> None:
    await asyncio.sleep(3600)


async def _reset_mid_response(exchange: Exchange) -> None:
    await exchange.send(b'HTTP/1.1 201 Created\r\nContent-Length: 100\r\n\r\n{"id": "r')
    await asyncio.sleep(0.05)
    exchange.reset()


async def _slow_drip(exchange: Exchange) -> None:
    await exchange.send(b"HTTP/1.1 201 Created\r\nContent-Length: 1000\r\n\r\n")
    for _ in range(1000):  # a byte every 0.1 s keeps each read alive, but not the whole call
        await exchange.send(b" ")
        await asyncio.sleep(0.1)


def _respond(status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> Behaviour:
    async def behaviour(exchange: Exchange) -> None:
        await exchange.respond(status, body, headers)

    return behaviour


HUGE = json.dumps({"message": "x" * (10 * 1024 * 1024)}).encode()

CASES: dict[str, tuple[Behaviour, dict[str, object] | None, dict[str, object]]] = {
    # name: (behaviour, expected extensions or None for success, expected data)
    "accept_and_hang": (_hang, {"code": "REMOTE_API_ERROR"}, {}),
    "reset_mid_response": (_reset_mid_response, {"code": "REMOTE_API_ERROR"}, {}),
    "slow_drip": (_slow_drip, {"code": "REMOTE_API_ERROR"}, {}),
    "5xx_html": (
        _respond(502, b"<html>Bad Gateway</html>", {"Content-Type": "text/html"}),
        {"code": "REMOTE_API_ERROR", "statusCode": 502},
        {},
    ),
    "400_not_json": (_respond(400, b"nope"), {"code": "REMOTE_API_ERROR", "statusCode": 400}, {}),
    "400_json_message": (
        _respond(400, b'{"message": "target is archived"}'),
        {"code": "REMOTE_API_ERROR", "statusCode": 400},
        {},
    ),
    "400_10_mib": (_respond(400, HUGE), {"code": "REMOTE_API_ERROR", "statusCode": 400}, {}),
    "302_redirect": (
        _respond(302, b"", {"Location": "http://127.0.0.1:1/elsewhere"}),
        {"code": "REMOTE_API_ERROR", "statusCode": 302},
        {},
    ),
    "2xx_empty_body": (_respond(201), None, {"createConnection": True}),
}


@pytest.mark.parametrize("case", list(CASES))
async def test_upstream_fault_gives_a_typed_answer_within_the_timeout(
    case: str, start_api: ApiFactory, idp: RunningIdentityProvider
) -> None:
    behaviour, expected_error, expected_data = CASES[case]
    async with raw_upstream(behaviour) as (upstream, url):
        api = await start_api(flow_connect=_settings(url))
        started = time.monotonic()

        response = await api.execute(CREATE_CONNECTION_TO_GLOBEX, token=idp.token())

        elapsed = time.monotonic() - started
    if expected_error is None:
        assert response.body == {"data": expected_data}
    else:
        assert response.error_extensions == [expected_error]
    if case == "reset_mid_response":
        assert response.error_messages == ["The Flow Connect API dropped the connection before answering."]
    assert elapsed < TIMEOUT + SLACK
    assert upstream.posts_read == 1


async def test_a_huge_400_body_is_refused_whole_naming_the_limit(
    start_api: ApiFactory, idp: RunningIdentityProvider
) -> None:
    async with raw_upstream(_respond(400, HUGE)) as (_, url):
        api = await start_api(flow_connect=_settings(url))
        huge = await api.execute(CREATE_CONNECTION_TO_GLOBEX, token=idp.token())

    # Never cut and then parsed: the answer is refused with the limit it passed, and its status.
    assert huge.error_messages == ["The Flow Connect API answered with more than 65536 bytes, the most this API reads."]
    assert huge.error_extensions == [{"code": "REMOTE_API_ERROR", "statusCode": 400}]


async def test_connection_refused_then_up_is_retried_once_it_listens(
    start_api: ApiFactory, idp: RunningIdentityProvider
) -> None:
    port = free_port()
    api = await start_api(flow_connect=_settings(f"http://127.0.0.1:{port}"))

    request = asyncio.create_task(api.execute(CREATE_CONNECTION_TO_GLOBEX, token=idp.token()))
    await asyncio.sleep(0.03)  # the first attempt is refused: nothing listens yet
    async with raw_upstream(_respond(201, b"{}"), port=port) as (upstream, _):
        response = await request

    assert response.body == {"data": {"createConnection": True}}
    assert upstream.posts_read == 1


async def test_connection_refused_for_good_is_remote_api_error_within_the_timeout(
    start_api: ApiFactory, idp: RunningIdentityProvider
) -> None:
    api = await start_api(flow_connect=_settings(f"http://127.0.0.1:{free_port()}"))
    started = time.monotonic()

    response = await api.execute(CREATE_CONNECTION_TO_GLOBEX, token=idp.token())

    assert response.error_extensions == [{"code": "REMOTE_API_ERROR"}]
    assert response.error_messages == ["The Flow Connect API is unreachable."]
    assert time.monotonic() - started < TIMEOUT + SLACK


async def test_a_timeout_after_sending_is_never_retried(start_api: ApiFactory, idp: RunningIdentityProvider) -> None:
    async with raw_upstream(_hang) as (upstream, url):
        api = await start_api(flow_connect=_settings(url))
        response = await api.execute(CREATE_CONNECTION_TO_GLOBEX, token=idp.token())

    assert response.error_messages == ["The Flow Connect API did not answer in time."]
    assert upstream.posts_read == 1
    assert upstream.connections == 1


async def test_each_mutation_sends_its_own_idempotency_key(start_api: ApiFactory, idp: RunningIdentityProvider) -> None:
    keys: list[str] = []

    async def record_key(exchange: Exchange) -> None:
        keys.append(exchange.headers["idempotency-key"])
        await exchange.respond(201, b"{}")

    async with raw_upstream(record_key) as (_, url):
        api = await start_api(flow_connect=_settings(url))
        for _ in range(3):
            await api.execute(CREATE_CONNECTION_TO_GLOBEX, token=idp.token())

    assert len(set(keys)) == 3
