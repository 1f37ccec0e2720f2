"""A JWKS endpoint that drips, grows without end or stops refreshing: sign-in stays bounded by
WORKOS_JWKS_FETCH_TIMEOUT, memory by the body cap, and /readyz tells the truth."""

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

from app.core.config import WorkOSSettings
from devstack.identity import mint_token
from devstack.keys import SigningKey
from tests.conftest import ApiFactory, RunningUpstream
from tests.e2e.process import api_process
from tests.fixtures.identity import TEST_CLIENT_ID
from tests.fixtures.logs import CapturedLogs
from tests.fixtures.raw_upstream import Exchange, raw_upstream

VIEWER = "{ viewer { organizationId } }"
FETCH_TIMEOUT = 0.5  # short: each dripping test waits it out
# Generous: the point is "bounded by the deadline", not a benchmark.
SLACK = 1.5


class Jwks:
    """What the raw JWKS endpoint does with the next request: `mode` is switched by the test."""

    def __init__(self, key: SigningKey) -> None:
        self.key = key
        self.mode: Callable[[Exchange], Awaitable[None]] = self.serve_keys
        self.bytes_sent = 0

    async def __call__(self, exchange: Exchange) -> None:
        await self.mode(exchange)

    async def serve_keys(self, exchange: Exchange) -> None:
        await exchange.respond(200, json.dumps({"keys": [self.key.public_jwk()]}).encode())

    async def fail(self, exchange: Exchange) -> None:
        await exchange.respond(500, b"down")

    async def drip(self, exchange: Exchange) -> None:
        # Each byte arrives well within any per-read timeout; the whole answer never does.
        await exchange.send(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
        for _ in range(100_000):
            await exchange.send(b" ")
            await asyncio.sleep(FETCH_TIMEOUT / 5)

    async def endless(self, exchange: Exchange) -> None:
        # Valid JSON holding a usable key, padded to 64 MiB: only its size is wrong.
        head = json.dumps({"keys": [self.key.public_jwk()]})[:-1].encode() + b', "pad": "'
        size = 64 * 1024 * 1024
        await exchange.send(f"HTTP/1.1 200 OK\r\nContent-Length: {size}\r\n\r\n".encode() + head)
        self.bytes_sent = len(head)
        chunk = b"x" * 65536
        while self.bytes_sent + len(chunk) < size - 2:
            await exchange.send(chunk)
            self.bytes_sent += len(chunk)
        await exchange.send(b"x" * (size - 2 - self.bytes_sent) + b'"}')


def _workos(jwks_url: str, **update: object) -> WorkOSSettings:
    issuer = "http://issuer.test"
    settings = WorkOSSettings(
        workos_client_id=TEST_CLIENT_ID,
        workos_jwks_url=jwks_url,
        workos_issuer=(issuer,),
        workos_jwks_min_refresh_interval=0,
        workos_jwks_fetch_timeout=FETCH_TIMEOUT,
    )
    return settings.model_copy(update=update)


def _token(key: SigningKey, sub: str = "user_1") -> str:
    return mint_token(key, issuer="http://issuer.test", sub=sub)


async def _timed(call: Awaitable[httpx.Response]) -> tuple[float, httpx.Response]:
    started = time.monotonic()
    response = await call
    return time.monotonic() - started, response


def _viewer(client: httpx.AsyncClient, token: str) -> Awaitable[httpx.Response]:
    return client.post("/graphql", json={"query": VIEWER}, headers={"Authorization": f"Bearer {token}"})


def _codes(response: httpx.Response) -> list[str]:
    return [error["extensions"]["code"] for error in response.json().get("errors", [])]


async def test_a_dripping_jwks_answers_unseen_kids_within_the_deadline_and_cached_keys_keep_working(
    signing_key: SigningKey, upstream: RunningUpstream, tmp_path: Path
) -> None:
    jwks = Jwks(signing_key)
    unseen = SigningKey.generate()
    async with raw_upstream(jwks) as (_, jwks_url):
        env = {
            "WORKOS_CLIENT_ID": TEST_CLIENT_ID,
            "WORKOS_JWKS_URL": jwks_url,
            "WORKOS_ISSUER": "http://issuer.test",
            "WORKOS_JWKS_MIN_REFRESH_INTERVAL": "0",
            "WORKOS_JWKS_FETCH_TIMEOUT": str(FETCH_TIMEOUT),
            "FLOW_CONNECT_API_URL": upstream.url,
        }
        with api_process(env, cwd=tmp_path) as (url, _):
            async with httpx.AsyncClient(base_url=url, timeout=30) as client:
                assert _codes(await _viewer(client, _token(signing_key))) == []
                jwks.mode = jwks.drip

                results = await asyncio.gather(
                    *(_timed(_viewer(client, _token(unseen, sub=f"user_{n}"))) for n in range(4)),
                    _timed(_viewer(client, _token(signing_key, sub="user_cached"))),
                )

    *strangers, (cached_elapsed, cached) = results
    assert [_codes(response) for _, response in strangers] == [["UNAUTHORIZED"]] * 4
    assert max(elapsed for elapsed, _ in strangers) < FETCH_TIMEOUT + SLACK
    assert _codes(cached) == []
    assert cached_elapsed < FETCH_TIMEOUT + SLACK


async def test_a_dripping_jwks_with_nothing_cached_is_service_unavailable_within_the_deadline(
    start_api: ApiFactory, signing_key: SigningKey
) -> None:
    jwks = Jwks(signing_key)
    jwks.mode = jwks.drip
    async with raw_upstream(jwks) as (_, jwks_url):
        api = await start_api(workos=_workos(jwks_url))
        started = time.monotonic()

        responses = await asyncio.gather(*(api.execute(VIEWER, token=_token(signing_key)) for _ in range(3)))

        elapsed = time.monotonic() - started
    assert [r.error_codes for r in responses] == [["SERVICE_UNAVAILABLE"]] * 3
    assert elapsed < FETCH_TIMEOUT + SLACK, "waiters share the one bounded fetch, they do not queue behind it"


async def test_an_oversized_jwks_is_refused_without_being_read_whole(
    start_api: ApiFactory, signing_key: SigningKey, logs: CapturedLogs
) -> None:
    jwks = Jwks(signing_key)
    jwks.mode = jwks.endless
    async with raw_upstream(jwks) as (_, jwks_url):
        api = await start_api(workos=_workos(jwks_url, workos_jwks_fetch_timeout=10.0))

        response = await api.execute(VIEWER, token=_token(signing_key))

    assert response.error_codes == ["SERVICE_UNAVAILABLE"]
    # What the endpoint wrote before we hung up: the cap plus what loopback socket buffers hold.
    assert jwks.bytes_sent < 16 * 1024 * 1024
    failures = logs.events("jwks_refresh_failed")
    assert ["JwksTooLargeError" in line["error"] for line in failures] == [True]


async def test_readyz_reports_a_key_set_not_refreshed_for_longer_than_its_ttl(
    start_api: ApiFactory, signing_key: SigningKey
) -> None:
    jwks = Jwks(signing_key)
    async with raw_upstream(jwks) as (_, jwks_url):
        api = await start_api(workos=_workos(jwks_url, workos_jwks_cache_ttl=0.3))
        fresh = await api.http.get("/readyz")
        jwks.mode = jwks.fail
        await asyncio.sleep(0.4)

        stale = await api.http.get("/readyz")
        still_verifies = await api.execute(VIEWER, token=_token(signing_key))
        jwks.mode = jwks.serve_keys
        recovered = await api.http.get("/readyz")

    assert (fresh.status_code, fresh.json()) == (200, {"status": "ready"})
    assert (stale.status_code, stale.json()) == (503, {"status": "unavailable", "reasons": ["jwks"]})
    assert still_verifies.error_codes == [], "stale keys still verify tokens"
    assert recovered.status_code == 200


async def test_a_deeply_nested_jwks_is_a_failed_refresh_not_a_fault(
    start_api: ApiFactory, signing_key: SigningKey, logs: CapturedLogs
) -> None:
    async def nested(exchange: Exchange) -> None:
        # Well under the size cap, far deeper than any parser's recursion limit.
        await exchange.respond(200, b'{"keys": ' + b"[" * 200_000)

    async with raw_upstream(nested) as (_, jwks_url):
        api = await start_api(workos=_workos(jwks_url))

        response = await api.execute(VIEWER, token=_token(signing_key))

    assert response.error_codes == ["SERVICE_UNAVAILABLE"]
    assert [line["level"] for line in logs.lines() if line["level"] == "error"] == []
    assert len(logs.events("jwks_refresh_failed")) == 1


async def test_the_jwks_fetch_takes_no_proxy_from_the_environment(
    signing_key: SigningKey, upstream: RunningUpstream, tmp_path: Path
) -> None:
    async def proxy_behaviour(exchange: Exchange) -> None:
        await exchange.respond(502, b"a proxy the API was never meant to use")

    async with raw_upstream(Jwks(signing_key)) as (_, jwks_url), raw_upstream(proxy_behaviour) as (proxy, proxy_url):
        proxies = dict.fromkeys(("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"), proxy_url)
        env = {
            "WORKOS_CLIENT_ID": TEST_CLIENT_ID,
            "WORKOS_JWKS_URL": jwks_url,
            "WORKOS_ISSUER": "http://issuer.test",
            "FLOW_CONNECT_API_URL": upstream.url,
            **proxies,
            **{name.lower(): value for name, value in proxies.items()},
        }
        with api_process(env, cwd=tmp_path) as (url, _):
            async with httpx.AsyncClient(base_url=url, timeout=30, trust_env=False) as client:
                response = await _viewer(client, _token(signing_key))

    assert _codes(response) == []
    assert proxy.connections == 0
