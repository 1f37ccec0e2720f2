import contextlib
from collections.abc import AsyncIterator

import redis.asyncio
import redis.exceptions

from app.core.config import SharedStateSettings


class SharedStateUnavailableError(Exception):
    """Redis did not answer (in time): nothing can be said about the shared state."""


# What redis-py raises when the server is down, slow or answers nonsense.
REDIS_FAILURES = (redis.exceptions.RedisError, OSError, TimeoutError)


@contextlib.asynccontextmanager
async def create_redis(settings: SharedStateSettings) -> AsyncIterator[redis.asyncio.Redis | None]:
    """One client (its own connection pool) per process, or None without REDIS_URL."""
    if settings.redis_url is None:
        yield None
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
        yield client
    finally:
        await client.aclose()
