import contextlib
from collections.abc import AsyncIterator
from typing import Any

from aioinject import Provider, Scoped, Singleton

from app.core.config import SharedStateSettings
from app.core.shared_state.idempotency_store import IdempotencyStore, LocalIdempotencyStore, RedisIdempotencyStore
from app.core.shared_state.rate_limits import create_connection_limits
from app.core.shared_state.redis import create_redis
from app.graphql.idempotency import Idempotency


@contextlib.asynccontextmanager
async def create_idempotency_store(settings: SharedStateSettings) -> AsyncIterator[IdempotencyStore]:
    async with create_redis(settings) as client:
        yield LocalIdempotencyStore() if client is None else RedisIdempotencyStore(client)


providers: list[Provider[Any]] = [
    Singleton(create_idempotency_store),
    Singleton(create_connection_limits),
    Scoped(Idempotency),
]
