"""`make stress`: 10,000 mutations at concurrency 100 against a loopback Flow Connect that drops
10 % of new connections before reading a byte and answers 5 % of requests with 500.

It checks that every GraphQL request gets exactly one answer (`true` or a typed error), that the
upstream never reads the same Idempotency-Key twice, that the circuit breaker stays closed through
the measured run (it opens at 50 % failures; these faults fail about one call in twenty) and that
the service's open file descriptors and RSS return to their baseline; it prints those figures, and
how many calls the breaker answered without sending them, in the warm-up and in the run. From a
cold pool the dropped connections are the first calls to end; the breaker counts the calls still
in flight as not failed, so they do not open it. Not part of `make check`.
"""

import argparse
import asyncio
import collections
import random
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from bench.rows import NEVER_REFUSING_LIMITS
from bench.servers import Server, start, stop_servers_on_sigterm, wait_ready
from devstack.identity import IdentityProvider, mint_token
from devstack.keys import SigningKey
from devstack.serving import free_port, running_server

CLIENT_ID = "client_stress"
CREATE = '{"query":"mutation { createConnection(targetOrgId: \\"9133da7c-3b98-4673-91dc-0dc58cc8740c\\") }"}'
# Measured with the load's own client closed, after the same pause, before and after: longer
# than twice the 5 s keep-alive expiry of the service's pools (aiohttp sweeps idle connections
# every 5 s), so idle connections are gone by then.
IDLE_SECONDS = 12
RESULTS = Path(__file__).parent / "results"  # git-ignored; the API's log stays there for a look
BREAKER_OPENED = ("flow_api_flow_connect_breaker_transitions_total", (("state", "open"),))
BREAKER_SHORT_CIRCUITED = ("flow_api_flow_connect_breaker_short_circuited_total", ())
TYPED_CODES = {"REMOTE_API_ERROR", "UNAUTHORIZED", "NOT_FOUND", "CONFLICT", "BAD_USER_INPUT", "SERVICE_UNAVAILABLE"}


@dataclass
class ChaoticUpstream:
    drop_new_connections: float
    error_rate: float
    rng: random.Random
    connections: int = 0
    dropped: int = 0
    keys_read: collections.Counter[str] = field(default_factory=collections.Counter)

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            if self.rng.random() < self.drop_new_connections:
                self.dropped += 1
                return
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")[1:]
                headers = {name.strip().lower(): value.strip() for name, _, value in (h.partition(":") for h in lines)}
                await reader.readexactly(int(headers.get("content-length", "0")))
                self.keys_read[headers.get("idempotency-key", "")] += 1
                status, body = (500, b"oops") if self.rng.random() < self.error_rate else (201, b'{"id":"r"}')
                writer.write(b"HTTP/1.1 %d X\r\nContent-Length: %d\r\n\r\n%s" % (status, len(body), body))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            return
        finally:
            writer.close()


@dataclass(frozen=True)
class BreakerFigures:
    opened: int
    short_circuited: int

    def __sub__(self, earlier: "BreakerFigures") -> "BreakerFigures":
        return BreakerFigures(
            opened=self.opened - earlier.opened, short_circuited=self.short_circuited - earlier.short_circuited
        )


async def breaker_figures(client: httpx.AsyncClient) -> BreakerFigures:
    """Since the service started, as its /metrics says."""
    response = await client.get("/metrics")
    response.raise_for_status()
    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }
    return BreakerFigures(opened=int(samples[BREAKER_OPENED]), short_circuited=int(samples[BREAKER_SHORT_CIRCUITED]))


def open_fds(pid: int) -> int:
    return len(list(Path(f"/proc/{pid}/fd").iterdir()))


async def fire(client: httpx.AsyncClient, token: str, total: int, concurrency: int) -> collections.Counter[str]:
    outcomes: collections.Counter[str] = collections.Counter()
    remaining = iter(range(total))

    async def worker() -> None:
        for _ in remaining:
            try:
                response = await client.post(
                    "/graphql",
                    content=CREATE,
                    headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
                )
                outcomes[classify(response)] += 1
            except httpx.HTTPError as error:
                outcomes[f"no answer: {type(error).__name__}"] += 1

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return outcomes


def classify(response: httpx.Response) -> str:
    if response.status_code != httpx.codes.OK:
        return f"HTTP {response.status_code}"
    body = response.json()
    if body == {"data": {"createConnection": True}}:
        return "true"
    codes = [error.get("extensions", {}).get("code") for error in body.get("errors", [])]
    return codes[0] if len(codes) == 1 and codes[0] in TYPED_CODES else f"untyped: {body}"


async def run(total: int, concurrency: int, seed: int) -> int:
    key = SigningKey.generate()
    idp = IdentityProvider(client_id=CLIENT_ID, keys=[key])
    upstream = ChaoticUpstream(drop_new_connections=0.10, error_rate=0.05, rng=random.Random(seed))  # noqa: S311 - chaos, not crypto
    upstream_server = await asyncio.start_server(upstream.serve, "127.0.0.1", 0)
    upstream_url = f"http://127.0.0.1:{upstream_server.sockets[0].getsockname()[1]}"
    async with running_server(idp.asgi_app()) as idp_url:
        port = free_port()
        env = {
            "APP_ENV": "production",
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "WORKOS_CLIENT_ID": CLIENT_ID,
            "WORKOS_JWKS_URL": f"{idp_url}/sso/jwks/{CLIENT_ID}",
            "WORKOS_ISSUER": idp_url,
            "FLOW_CONNECT_API_URL": upstream_url,
            "LOG_LEVEL": "WARNING",
            # What is stressed is the upstream's chaos, not the limits (tests cover those).
            **NEVER_REFUSING_LIMITS,
        }
        RESULTS.mkdir(parents=True, exist_ok=True)
        api: Server = start("api", [sys.executable, "-m", "app"], port=port, log_dir=RESULTS, env=env)
        try:
            await wait_ready(api)
            token = mint_token(key, issuer=idp_url, sub="user_stress", ttl_seconds=3600)
            limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
            # Warm-up at full concurrency: the baseline is the steady state, not a cold process.
            async with httpx.AsyncClient(base_url=api.url, timeout=30, limits=limits) as client:
                await fire(client, token, 1000, concurrency)
                warm_up = await breaker_figures(client)
            await asyncio.sleep(IDLE_SECONDS)
            baseline_fds, baseline_rss = open_fds(api.process.pid), api.rss_mb()
            upstream.keys_read.clear()
            upstream.connections = upstream.dropped = 0
            async with httpx.AsyncClient(base_url=api.url, timeout=30, limits=limits) as client:
                started = time.monotonic()
                outcomes = await fire(client, token, total, concurrency)
                elapsed = time.monotonic() - started
                run = await breaker_figures(client) - warm_up
            await asyncio.sleep(IDLE_SECONDS)
            after_fds, after_rss = open_fds(api.process.pid), api.rss_mb()
        finally:
            api.stop()
    upstream_server.close()
    return report(
        total=total,
        elapsed=elapsed,
        outcomes=outcomes,
        upstream=upstream,
        breaker=(warm_up, run),
        fds=(baseline_fds, after_fds),
        rss=(baseline_rss, after_rss),
    )


def report(
    *,
    total: int,
    elapsed: float,
    outcomes: collections.Counter[str],
    upstream: ChaoticUpstream,
    breaker: tuple[BreakerFigures, BreakerFigures],
    fds: tuple[int, int],
    rss: tuple[float, float],
) -> int:
    answered = sum(count for outcome, count in outcomes.items() if outcome == "true" or outcome in TYPED_CODES)
    duplicates = sum(1 for count in upstream.keys_read.values() if count > 1)
    print(f"stress: {total} mutations in {elapsed:.1f} s ({total / elapsed:.0f} req/s)")
    for outcome, count in outcomes.most_common():
        print(f"  {outcome:<24} {count:>6}")
    print(f"  upstream: {upstream.connections} connections, {upstream.dropped} dropped before reading")
    print(f"  upstream: {sum(upstream.keys_read.values())} requests read, {duplicates} Idempotency-Keys read twice")
    for phase, figures in zip(("warm-up", "run"), breaker, strict=True):
        print(f"  breaker ({phase}): opened {figures.opened} times, {figures.short_circuited} calls short-circuited")
    print(f"  service fds: {fds[0]} before, {fds[1]} after")
    print(f"  service RSS: {rss[0]:.1f} MB before, {rss[1]:.1f} MB after")
    print(f"  service log: {RESULTS / 'api.log'}")
    checks = {
        "every request got exactly one answer (true or typed error)": answered == total,
        "no Idempotency-Key read twice": duplicates == 0,
        "the breaker stayed closed through the run (faults well under its error ratio)": breaker[1].opened == 0,
        "fds back to baseline (+/- 5)": abs(fds[1] - fds[0]) <= 5,  # noqa: PLR2004 - pool churn
        "RSS within 10 % of baseline": rss[1] <= rss[0] * 1.10,
    }
    for name, ok in checks.items():
        print(f"  {'PASS' if ok else 'FAIL'}  {name}")
    return 0 if all(checks.values()) else 1


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.stress", description=__doc__)
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    stop_servers_on_sigterm()
    try:
        return asyncio.run(run(args.requests, args.concurrency, args.seed))
    except KeyboardInterrupt:
        print("\nstress: interrupted; the service stopped", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
