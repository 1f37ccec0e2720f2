from typing import Any

from aioinject import Provider, Scoped, Singleton

from app.core.shared_state.idempotency_store import IdempotencyStore, LocalIdempotencyStore, RedisIdempotencyStore
from app.core.shared_state.rate_limits import create_rate_limits
from app.core.shared_state.redis import SharedRedis, create_shared_redis
from app.graphql.idempotency import Idempotency


def create_idempotency_store(redis: SharedRedis) -> IdempotencyStore:
    return LocalIdempotencyStore() if redis.client is None else RedisIdempotencyStore(redis.client)


providers: list[Provider[Any]] = [
    Singleton(create_shared_redis),
    Singleton(create_idempotency_store),
    Singleton(create_rate_limits),
    Scoped(Idempotency),
]
