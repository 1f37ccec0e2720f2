"""Moving-window counters: in the process, or in Redis in `limits`' format. The `limits` boundary:
both depart from `limits`' public API, each for a measured gain (docs/departures.md).

The in-process counters are our own: `limits`' in-memory async storage sweeps expired entries
after hits by handing each key's list to a thread (`asyncio.to_thread`), and its work grows with
every active key.

In Redis, a request's limits are hit in one atomic Lua call: `limits`' moving-window script,
run for each key in turn. `limits` has no call for several keys, and one call per limit is a
round trip each. The keys and lists are `limits`' own, so its reads (the retry-after) see these
hits, and replicas on either version share the counters.
"""

import time
from collections import deque
from collections.abc import Sequence
from typing import Protocol

import redis.asyncio
from limits import RateLimitItem
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError

from app.core.shared_state.redis import REDIS_FAILURES

# Every this many hits, the windows of callers that went quiet are dropped.
SWEEP_EVERY = 4096


# `limits`' acquire_moving_window.lua (amount 1) for each key in turn; stops at the first full
# window and returns its 1-based index, the keys before it keeping their hit; 0: all were hit.
_HIT_IN_TURN = """
local timestamp = tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
    local limit = tonumber(ARGV[2 * i])
    local expiry = tonumber(ARGV[2 * i + 1])
    local entry = redis.call('lindex', key, limit - 1)
    if entry and tonumber(entry) >= timestamp - expiry then
        return i
    end
    redis.call('lpush', key, timestamp)
    redis.call('ltrim', key, 0, limit - 1)
    redis.call('expire', key, expiry)
end
return 0
"""


class MovingWindows(Protocol):
    async def hit_in_turn(self, limits: Sequence[tuple[RateLimitItem, str]]) -> int | None:
        """One hit under each key in turn, unless its item's limit is reached within its moving
        window: then the index of that limit (the keys before it keep their hit, the ones after
        it get none); None when every key took its hit."""
        ...

    async def seconds_until_free(self, item: RateLimitItem, key: str) -> float:
        """How long until `key` may be hit again under `item` (0 if it may now)."""
        ...


class _Window:
    __slots__ = ("hits", "seconds")

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.hits: deque[float] = deque()  # oldest first, only those inside the window

    def is_quiet(self, now: float) -> bool:
        """No hit inside the window any more."""
        return not self.hits or self.hits[-1] <= now - self.seconds


class LocalMovingWindows:
    """Per key, the times of its hits inside the window: at most the limit's amount of them."""

    def __init__(self, *, sweep_every: int = SWEEP_EVERY) -> None:
        self._windows: dict[str, _Window] = {}
        self._sweep_every = self._until_sweep = sweep_every

    async def hit_in_turn(self, limits: Sequence[tuple[RateLimitItem, str]]) -> int | None:
        for index, (item, key) in enumerate(limits):
            if not self.hit(item, key):
                return index
        return None

    def hit(self, item: RateLimitItem, key: str) -> bool:
        """Counts one hit under `key` unless `item`'s limit is reached within its moving window."""
        now = time.monotonic()
        window = self._current(item, key, now)
        if len(window.hits) >= item.amount:
            return False
        window.hits.append(now)
        self._until_sweep -= 1
        if self._until_sweep <= 0:
            self._sweep(now)
        return True

    async def seconds_until_free(self, item: RateLimitItem, key: str) -> float:
        now = time.monotonic()
        hits = self._current(item, key, now).hits
        if len(hits) < item.amount:
            return 0.0
        return hits[len(hits) - item.amount] + item.get_expiry() - now

    def _current(self, item: RateLimitItem, key: str, now: float) -> _Window:
        """`key`'s window, its hits older than the window dropped."""
        window = self._windows.get(key)
        if window is None:
            window = self._windows[key] = _Window(item.get_expiry())
        hits, start = window.hits, now - window.seconds
        while hits and hits[0] <= start:
            hits.popleft()
        return window

    def __len__(self) -> int:
        """Keys remembered."""
        return len(self._windows)

    def _sweep(self, now: float) -> None:
        """Drops the windows whose every hit has expired: callers that went quiet."""
        self._until_sweep = self._sweep_every
        quiet = [key for key, window in self._windows.items() if window.is_quiet(now)]
        for key in quiet:
            del self._windows[key]


class RedisMovingWindows:
    """`limits`' moving windows in Redis, shared by every replica. Failures are `limits`'
    StorageError, whichever library met them. Needs one Redis or Valkey, not a sharded one
    behind a proxy: a request's keys are hit in one script."""

    def __init__(self, client: redis.asyncio.Redis, url: str) -> None:
        storage = RedisStorage(
            f"async+{url}",
            implementation="redispy",
            wrap_exceptions=True,  # every failure is a StorageError: one thing to fail open on
            # Ours: timeouts set, closed at shutdown. limits passes it on to redis-py, though typed narrower.
            connection_pool=client.connection_pool,  # type: ignore[arg-type]
        )
        self._bridge = storage.bridge  # names keys as `limits` does
        self._limiter = MovingWindowRateLimiter(storage)
        self._hit_in_turn = client.register_script(_HIT_IN_TURN)

    async def hit_in_turn(self, limits: Sequence[tuple[RateLimitItem, str]]) -> int | None:
        keys = [self._bridge.prefixed_key(item.key_for(key)) for item, key in limits]
        args: list[float] = [time.time()]  # `limits`' clock: Redis's lists hold wall-clock times
        for item, _ in limits:
            args += [item.amount, item.get_expiry()]
        try:
            refused: int = await self._hit_in_turn(keys=keys, args=args)
        except REDIS_FAILURES as error:
            raise StorageError(error) from error
        return refused - 1 if refused else None

    async def seconds_until_free(self, item: RateLimitItem, key: str) -> float:
        try:
            stats = await self._limiter.get_window_stats(item, key)
        except REDIS_FAILURES as error:  # limits wraps only RedisError
            raise StorageError(error) from error
        return 0.0 if stats.remaining > 0 else stats.reset_time - time.time()
