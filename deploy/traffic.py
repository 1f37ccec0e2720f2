"""`make fleet-check`'s callers: mutations through nginx, each to a new organization, every answer
classified and timed."""

import asyncio
import collections
import time
import uuid
from collections.abc import Callable

import httpx

from deploy.fleet import Fleet

CONCURRENCY = 32
RETRY_EVERY = 10

# Each answer (see `classify`) with how long each caller waited for it, in seconds.
Answers = dict[str, list[float]]


def classify(response: httpx.Response) -> str:
    """One word per answer: `true` (`true, replayed` for a stored answer), an error code, or what came instead."""
    if response.status_code != httpx.codes.OK:
        return f"HTTP {response.status_code}"
    body = response.json()
    if body == {"data": {"createConnection": True}}:
        return "true, replayed" if response.headers.get("idempotent-replayed") == "true" else "true"
    codes = [error.get("extensions", {}).get("code") for error in body.get("errors", [])]
    return codes[0] if len(codes) == 1 and isinstance(codes[0], str) else "untyped"


def retry_after(response: httpx.Response) -> float | None:
    """The seconds a SERVICE_UNAVAILABLE answer asks the client to wait before retrying, else None."""
    if response.status_code != httpx.codes.OK:
        return None
    for error in response.json().get("errors", []):
        extensions = error.get("extensions", {})
        if extensions.get("code") == "SERVICE_UNAVAILABLE" and isinstance(extensions.get("retryAfter"), int):
            return float(extensions["retryAfter"])
    return None


def counted(answers: Answers) -> collections.Counter[str]:
    return collections.Counter({answer: len(waits) for answer, waits in answers.items()})


async def load(
    fleet: Fleet,
    token: str,
    *,
    total: int,
    done: Callable[[], bool],
    concurrency: int = CONCURRENCY,
    retry_every: int | None = RETRY_EVERY,
    retry_unavailable: bool = False,
) -> Answers:
    """At least `total` mutations, and more until `done()`. With `retry_unavailable`, a request
    answered SERVICE_UNAVAILABLE with a `retryAfter` is sent again with its Idempotency-Key after
    that many seconds, as a client told so would, until another answer comes or `done()`."""
    answers: Answers = collections.defaultdict(list)
    sent = 0
    # A connection per request: nginx's reloads (how a replica leaves its upstream) close idle
    # client connections, a race every client of a reloading proxy has and not what is checked here.
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=0)
    headers = {"Authorization": f"Bearer {token}"}

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal sent
        while sent < total or not done():
            sent += 1
            query = f'mutation {{ createConnection(targetOrgId: "{uuid.uuid4()}") }}'
            # Every `retry_every`-th request is sent twice with its key, as a client whose answer
            # was lost would: the retry lands on any replica and must be answered from the shared store.
            key = {"Idempotency-Key": str(uuid.uuid4())}
            for _ in range(2 if retry_every and sent % retry_every == 0 else 1):
                wait = await send(client, query, {**headers, **key})
                while retry_unavailable and wait is not None and not done():
                    await asyncio.sleep(wait)
                    wait = await send(client, query, {**headers, **key})

    async def send(client: httpx.AsyncClient, query: str, request_headers: dict[str, str]) -> float | None:
        """One request, its answer recorded; the retryAfter it asked for, if any."""
        started = time.monotonic()
        try:
            response = await client.post("/graphql", json={"query": query}, headers=request_headers)
        except httpx.HTTPError as error:
            answers[f"no answer: {type(error).__name__}"].append(time.monotonic() - started)
            return None
        answers[classify(response)].append(time.monotonic() - started)
        return retry_after(response)

    async with httpx.AsyncClient(base_url=fleet.url, timeout=30, limits=limits, trust_env=False) as client:
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
    return dict(answers)


def typed(answers: collections.Counter[str]) -> int:
    """Answers that are `true` or a GraphQL error with its code."""
    return sum(count for answer, count in answers.items() if not answer.startswith(("HTTP", "no answer", "untyped")))


def from_gateway(answers: collections.Counter[str]) -> int:
    """nginx's own 502/503/504: no replica took the request."""
    return sum(answers[f"HTTP {status}"] for status in (502, 503, 504))
