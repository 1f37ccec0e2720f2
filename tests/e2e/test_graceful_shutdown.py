"""SIGTERM during traffic: in-flight mutations finish, new connections are refused, exit 0."""

import asyncio
import signal
from pathlib import Path

import httpx
import pytest

from tests.e2e.process import api_process, app_environment
from tests.fixtures.identity import RunningIdentityProvider
from tests.fixtures.operations import CREATE_CONNECTION_TO_GLOBEX
from tests.fixtures.raw_upstream import Exchange, raw_upstream

IN_FLIGHT = 5


async def test_sigterm_lets_in_flight_mutations_finish(idp: RunningIdentityProvider, tmp_path: Path) -> None:
    arrived = asyncio.Semaphore(0)

    async def slow_created(exchange: Exchange) -> None:
        arrived.release()
        await asyncio.sleep(1.0)
        await exchange.respond(201, b"{}")

    async with raw_upstream(slow_created) as (upstream, upstream_url):
        env = app_environment(idp, upstream_url)
        with api_process(env, cwd=tmp_path) as (url, process):
            async with httpx.AsyncClient(base_url=url, timeout=10) as client:
                headers = {"Authorization": f"Bearer {idp.token()}"}
                in_flight = [
                    asyncio.create_task(
                        client.post("/graphql", json={"query": CREATE_CONNECTION_TO_GLOBEX}, headers=headers)
                    )
                    for _ in range(IN_FLIGHT)
                ]
                for _ in range(IN_FLIGHT):
                    await asyncio.wait_for(arrived.acquire(), 10)

                process.send_signal(signal.SIGTERM)
                await asyncio.sleep(0.3)
                async with httpx.AsyncClient(base_url=url) as newcomer:
                    with pytest.raises(httpx.ConnectError):
                        await newcomer.post("/graphql", json={"query": "{ __typename }"})
                answers = await asyncio.gather(*in_flight)
            returncode = await asyncio.to_thread(process.wait, 20)

    assert [a.json() for a in answers] == [{"data": {"createConnection": True}}] * IN_FLIGHT
    assert upstream.posts_read == IN_FLIGHT
    assert returncode == 0


async def test_a_request_cut_at_the_graceful_deadline_is_answered_in_our_shape(
    idp: RunningIdentityProvider, tmp_path: Path
) -> None:
    arrived = asyncio.Event()

    async def never_answers(_: Exchange) -> None:
        arrived.set()
        await asyncio.sleep(30)

    async with raw_upstream(never_answers) as (_, upstream_url):
        env = app_environment(idp, upstream_url, FLOW_CONNECT_API_TIMEOUT="20", GRACEFUL_SHUTDOWN_TIMEOUT="1")
        with api_process(env, cwd=tmp_path) as (url, process):
            async with httpx.AsyncClient(base_url=url, timeout=10) as client:
                headers = {"Authorization": f"Bearer {idp.token()}"}
                cut = asyncio.create_task(
                    client.post("/graphql", json={"query": CREATE_CONNECTION_TO_GLOBEX}, headers=headers)
                )
                arrival = asyncio.create_task(arrived.wait())
                await asyncio.wait({arrival, cut}, timeout=10, return_when=asyncio.FIRST_COMPLETED)
                arrival.cancel()
                if not arrived.is_set():  # say what the client got instead, not only that time ran out
                    got = repr(cut.exception() or cut.result().text) if cut.done() else "no answer in 10 s"
                    raise AssertionError(f"the request never reached Flow Connect; the client got {got}")
                process.send_signal(signal.SIGTERM)
                answer = await cut
            returncode = await asyncio.to_thread(process.wait, 20)

    assert answer.status_code == 503
    assert answer.headers["content-type"] == "application/json"
    [error] = answer.json()["errors"]
    assert error["extensions"] == {"code": "SHUTTING_DOWN", "requestId": answer.headers["x-request-id"]}
    assert "Idempotency-Key" in error["message"]
    assert returncode == 0
