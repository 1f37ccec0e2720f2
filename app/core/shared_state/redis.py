import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import redis.asyncio
import redis.exceptions

from app.core.config import SharedStateSettings


class SharedStateUnavailableError(Exception):
    """Redis did not answer (in time): nothing can be said about the shared state."""


# What redis-py raises when the server is down, slow or answers nonsense.
REDIS_FAILURES = (redis.exceptions.RedisError, OSError, TimeoutError)


@dataclass(frozen=True, slots=True)
class SharedRedis:
    """The process's one Redis client and connection pool, or None without REDIS_URL."""

    client: redis.asyncio.Redis | None


@contextlib.asynccontextmanager
async def create_shared_redis(settings: SharedStateSettings) -> AsyncIterator[SharedRedis]:
    """Opened at start-up, closed at shutdown; the idempotency store and the limits share it."""
    if settings.redis_url is None:
        yield SharedRedis(None)
        return
    client = redis.asyncio.Redis.from_url(
        settings.redis_url.get_secret_value(),
        socket_timeout=settings.redis_timeout,
        socket_connect_timeout=settings.redis_timeout,
        # A failed call is answered at once (fail open or closed); retrying would only add latency.
        retry_on_timeout=False,
        health_check_interval=30,
    )
    try:
        yield SharedRedis(client)
    finally:
        await client.aclose()
