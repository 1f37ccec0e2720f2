"""`make fleet-check`: mutations through nginx while every replica of the fleet is restarted in
turn (deploy/fleet.py), then the proof that nothing was lost or sent twice:

- every request got exactly one typed answer: HTTP 200 with `createConnection == true` or a
  GraphQL error with an `extensions.code`; an nginx 502/503 (no replica took the request) is
  counted apart and must be 0 for the restart to be graceful;
- every Idempotency-Key reached the Flow Connect simulator exactly once, one per `true`;
- nginx tried another replica only for requests it could not connect with: its access log lists
  several upstream addresses only where the error log has a failed connect.

Each mutation targets a new organization (the simulator runs with `--any-target`), so each
should be created: `true`. One in ten is sent again with its `Idempotency-Key`, as a client
whose answer was lost would; that retry may reach any replica and must be answered from the
shared store (`Idempotent-Replayed: true`) without a second request to Flow Connect.
"""

import argparse
import asyncio
import collections
import json
import re
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx

from deploy.fleet import Fleet, running_fleet
from devstack.serving import free_port

CONCURRENCY = 32
RETRY_EVERY = 10


@dataclass(frozen=True)
class Upstream:
    """What the Flow Connect simulator read."""

    requests: int
    repeated: int


def classify(response: httpx.Response) -> str:
    """One word per answer: `true` (`true, replayed` for a stored answer), an error code, or what came instead."""
    if response.status_code != httpx.codes.OK:
        return f"HTTP {response.status_code}"
    body = response.json()
    if body == {"data": {"createConnection": True}}:
        return "true, replayed" if response.headers.get("idempotent-replayed") == "true" else "true"
    codes = [error.get("extensions", {}).get("code") for error in body.get("errors", [])]
    return codes[0] if len(codes) == 1 and isinstance(codes[0], str) else "untyped"


async def load(fleet: Fleet, token: str, *, total: int, restarting: asyncio.Task[None]) -> collections.Counter[str]:
    """At least `total` mutations, and more until the rolling restart is over."""
    answers: collections.Counter[str] = collections.Counter()
    sent = 0
    # A connection per request: nginx's reloads (how a replica leaves its upstream) close idle
    # client connections, a race every client of a reloading proxy has and not what is checked here.
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=0)
    headers = {"Authorization": f"Bearer {token}"}

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal sent
        while sent < total or not restarting.done():
            sent += 1
            query = f'mutation {{ createConnection(targetOrgId: "{uuid.uuid4()}") }}'
            # Every RETRY_EVERY-th request is sent twice with its key, as a client whose answer was
            # lost would: the retry lands on any replica and must be answered from the shared store.
            key = {"Idempotency-Key": str(uuid.uuid4())}
            for _ in range(2 if sent % RETRY_EVERY == 0 else 1):
                try:
                    response = await client.post("/graphql", json={"query": query}, headers={**headers, **key})
                    answers[classify(response)] += 1
                except httpx.HTTPError as error:
                    answers[f"no answer: {type(error).__name__}"] += 1

    async with httpx.AsyncClient(base_url=fleet.url, timeout=30, limits=limits, trust_env=False) as client:
        await asyncio.gather(*(worker(client) for _ in range(CONCURRENCY)))
    return answers


@dataclass(frozen=True)
class NginxLogs:
    requests: int
    retried: int  # tried on a second replica
    failed_connects: int
    failed_after_sending: int  # answered 502, never retried


def read_nginx_logs(fleet: Fleet) -> NginxLogs:
    lines = fleet.access_log.read_text().splitlines()
    errors = fleet.error_log.read_text()
    return NginxLogs(
        requests=len(lines),
        retried=sum(1 for line in lines if "," in line.split('"')[1]),
        failed_connects=len(re.findall(r"\) while connecting to upstream", errors)),
        failed_after_sending=len(
            re.findall(r"while (reading response header from|sending request to) upstream", errors)
        ),
    )


async def upstream_counts(flow_connect_url: str) -> Upstream:
    async with httpx.AsyncClient(trust_env=False) as client:
        counts = (await client.get(f"{flow_connect_url}/idempotency-keys")).json()
    return Upstream(requests=counts["requests"], repeated=counts["repeated"])


async def run(size: int, total: int, *, drain: bool) -> int:
    with tempfile.TemporaryDirectory(prefix="flow-api-fleet-check-") as directory:
        workdir = Path(directory)
        started = time.monotonic()
        async with running_fleet(
            size=size,
            port=free_port(),
            workdir=workdir,
            extra_environment={
                "LOG_LEVEL": "WARNING",  # no line per request: the CPU goes to requests
                # One caller sends everything here; the limits are checked by tests, not by load.
                "RATE_LIMIT_CREATE_CONNECTION_PER_USER": "1000000/hour",
                "RATE_LIMIT_CREATE_CONNECTION_PER_ORG": "1000000/hour",
            },
            any_target=True,
        ) as (fleet, neighbours):
            fleet.drain = drain
            ready = time.monotonic()
            restarting = asyncio.create_task(fleet.rolling_restart())
            answers = await load(fleet, neighbours.token(), total=total, restarting=restarting)
            await restarting
            loaded = time.monotonic()
            upstream = await upstream_counts(neighbours.flow_connect_url)
            nginx = read_nginx_logs(fleet)
        return report(
            size=size,
            answers=answers,
            fleet=fleet,
            upstream=upstream,
            nginx=nginx,
            seconds=(ready - started, loaded - ready),
        )


def report(
    *,
    size: int,
    answers: collections.Counter[str],
    fleet: Fleet,
    upstream: Upstream,
    nginx: NginxLogs,
    seconds: tuple[float, float],
) -> int:
    requests = sum(answers.values())
    retries = answers["true, replayed"] + answers["IDEMPOTENCY_KEY_IN_USE"]
    typed = sum(count for answer, count in answers.items() if not answer.startswith(("HTTP", "no answer", "untyped")))
    gateway = sum(answers[f"HTTP {status}"] for status in (502, 503, 504))
    print(f"fleet-check: {size} replicas up in {seconds[0]:.1f}s; {requests} mutations in {seconds[1]:.1f}s")
    print(f"  restarts: {fleet.restarts} (exit codes {fleet.exit_codes})")
    print(f"  answers:  {json.dumps(dict(answers.most_common()))}")
    print(
        f"  nginx:    {nginx.requests} requests logged, {nginx.retried} tried on a second replica, "
        f"{nginx.failed_connects} failed connects, {nginx.failed_after_sending} failed after sending (not retried)"
    )
    print(f"  Flow Connect: {upstream.requests} requests, {upstream.repeated} Idempotency-Keys sent more than once")
    checks = {
        f"every replica restarted and exited 0 ({fleet.restarts} of {size})": fleet.restarts == size
        and fleet.exit_codes == [0] * size,
        "every request got one typed answer": typed == requests,
        "no 502/503/504 from nginx": gateway == 0,
        "no Idempotency-Key sent twice (duplicate POSTs: 0)": upstream.repeated == 0,
        "Flow Connect got one request per true": upstream.requests == answers["true"],
        "every retry answered from the shared store (true, replayed)": answers["true, replayed"] == retries,
        "nginx logged every request": nginx.requests == requests,
        "a second replica only after a failed connect": nginx.retried <= nginx.failed_connects,
    }
    for name, ok in checks.items():
        print(f"  {'PASS' if ok else 'FAIL'}  {name}")
    return 0 if all(checks.values()) else 1


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.fleet_check", description=__doc__)
    parser.add_argument("--size", type=int, default=3, help="replicas (default 3)")
    parser.add_argument("--requests", type=int, default=3000, help="at least this many mutations (default 3000)")
    parser.add_argument(
        "--no-drain", dest="drain", action="store_false", help="SIGTERM replicas without taking them out of nginx first"
    )
    args = parser.parse_args()
    return asyncio.run(run(args.size, args.requests, drain=args.drain))


if __name__ == "__main__":
    sys.exit(main())
