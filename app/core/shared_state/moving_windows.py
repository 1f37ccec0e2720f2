"""Moving-window counters: in the process, or in Redis through `limits`.

The in-process counters are our own: `limits`' in-memory async storage sweeps expired entries
after hits by handing each key's list to a thread (`asyncio.to_thread`), which cost 41 us per
request (two hits) at 1,000 requests a second against 2 us here, and grows with every active
key (docs/performance.md). Redis keeps `limits`' atomic Lua moving window.
"""

import time
from collections import deque
from typing import Protocol

from limits import RateLimitItem
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter

# Every this many hits, the windows of callers that went quiet are dropped.
SWEEP_EVERY = 4096


class MovingWindows(Protocol):
    async def hit(self, item: RateLimitItem, key: str) -> bool:
        """Counts one hit under `key` unless `item`'s limit is reached within its moving window."""
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

    async def hit(self, item: RateLimitItem, key: str) -> bool:
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
    """`limits`' moving window in Redis, shared by every replica."""

    def __init__(self, storage: RedisStorage) -> None:
        self._limiter = MovingWindowRateLimiter(storage)

    async def hit(self, item: RateLimitItem, key: str) -> bool:
        return await self._limiter.hit(item, key)

    async def seconds_until_free(self, item: RateLimitItem, key: str) -> float:
        stats = await self._limiter.get_window_stats(item, key)
        return 0.0 if stats.remaining > 0 else stats.reset_time - time.time()
