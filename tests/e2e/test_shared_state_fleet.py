"""Two `python -m app` processes sharing one Redis-protocol server, as replicas of a fleet do."""

import asyncio
import contextlib
from collections.abc import Iterator
from pathlib import Path

import httpx

from devstack.redis import RunningRedis
from tests.conftest import RunningUpstream
from tests.e2e.process import api_replicas, app_environment
from tests.fixtures.identity import RunningIdentityProvider
from tests.fixtures.operations import CREATE_CONNECTION_TO_GLOBEX

MUTATION = {"query": CREATE_CONNECTION_TO_GLOBEX}


@contextlib.contextmanager
def _replicas(
    tmp_path: Path, idp: RunningIdentityProvider, upstream: RunningUpstream, redis: RunningRedis, per_user: str
) -> Iterator[list[str]]:
    env = app_environment(idp, upstream.url, REDIS_URL=redis.url, RATE_LIMIT_CREATE_CONNECTION_PER_USER=per_user)
    with api_replicas(env, cwd=tmp_path, count=2) as urls:
        yield urls


async def _mutate(client: httpx.AsyncClient, url: str, token: str, key: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}", **({"Idempotency-Key": key} if key else {})}
    return await client.post(f"{url}/graphql", json=MUTATION, headers=headers)


def _outcome(answer: httpx.Response) -> str:
    body = answer.json()
    if body.get("data") == {"createConnection": True}:
        return "true"
    return ",".join(error["extensions"]["code"] for error in body["errors"])


async def test_the_same_key_sent_to_both_replicas_at_once_reaches_flow_connect_once(
    tmp_path: Path, idp: RunningIdentityProvider, upstream: RunningUpstream, redis_server: RunningRedis
) -> None:
    upstream.fake.delay = 0.5  # the first is still in flight when the second arrives
    token = idp.token()
    with _replicas(tmp_path, idp, upstream, redis_server, "20/minute") as (first, second):
        async with httpx.AsyncClient(timeout=10) as client:
            answers = await asyncio.gather(
                _mutate(client, first, token, "both-at-once"), _mutate(client, second, token, "both-at-once")
            )
            replayed = await _mutate(client, second, token, "both-at-once")

    outcomes = sorted(_outcome(answer) for answer in answers)
    assert outcomes in (["IDEMPOTENCY_KEY_IN_USE", "true"], ["true", "true"])
    assert replayed.json() == {"data": {"createConnection": True}}
    assert replayed.headers["idempotent-replayed"] == "true"
    assert len(upstream.fake.requests) == 1


async def test_the_per_user_limit_holds_across_replicas(
    tmp_path: Path, idp: RunningIdentityProvider, upstream: RunningUpstream, redis_server: RunningRedis
) -> None:
    token = idp.token()
    with _replicas(tmp_path, idp, upstream, redis_server, "3/minute") as urls:
        async with httpx.AsyncClient(timeout=10) as client:
            answers = [await _mutate(client, urls[n % 2], token) for n in range(4)]

    codes = [[error["extensions"]["code"] for error in answer.json().get("errors", [])] for answer in answers]
    assert codes == [[], [], [], ["RATE_LIMITED"]]
    assert len(upstream.fake.requests) == 3


async def test_with_redis_down_limits_fail_open_keys_fail_closed_and_both_recover(
    tmp_path: Path, idp: RunningIdentityProvider, upstream: RunningUpstream, redis_server: RunningRedis
) -> None:
    token = idp.token()
    with _replicas(tmp_path, idp, upstream, redis_server, "20/minute") as (url, _):
        async with httpx.AsyncClient(timeout=10) as client:
            redis_server.stop()
            without_key = await _mutate(client, url, token)
            with_key = await _mutate(client, url, token, "while-down")
            not_ready = await client.get(f"{url}/readyz")
            sent_while_down = len(upstream.fake.requests)
            redis_server.start()
            recovered = await _mutate(client, url, token, "while-down")
            ready = await client.get(f"{url}/readyz")

    assert without_key.json() == {"data": {"createConnection": True}}
    [error] = with_key.json()["errors"]
    assert error["extensions"]["code"] == "SERVICE_UNAVAILABLE"
    assert sent_while_down == 1  # only the request without a key
    assert not_ready.status_code == 503
    assert "redis" in not_ready.json()["reasons"]
    assert recovered.json() == {"data": {"createConnection": True}}
    assert ready.status_code == 200
    assert len(upstream.fake.requests) == 2
