"""Idempotency records: one per (caller, organization, client key, field), in Redis or in this process.

A record is first an in-flight lock, then the stored outcome. Both carry the request's
fingerprint, so a key reused for another request is told apart from a retry of the same one.
"""

import json
import os
import time
from dataclasses import dataclass
from typing import Any, Protocol

import redis.asyncio
from cachetools import TLRUCache

from app.core.shared_state.redis import REDIS_FAILURES, SharedStateUnavailableError

Outcome = dict[str, Any]
_PREFIX = "flow-api:idempotency:"
# Compare-and-set and compare-and-delete: only the holder of the in-flight lock may finish it.
_FINISH = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) end"
_RELEASE = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end"
# In-process records kept at most; the oldest go first (a real fleet uses Redis).
MAX_LOCAL_RECORDS = 100_000


@dataclass(frozen=True, slots=True)
class Acquired:
    """The in-flight lock is ours: only the holder of this exact record finishes or releases it
    (in Redis the record as stored; in this process the holder's token)."""

    record: str
    fingerprint: str


@dataclass(frozen=True, slots=True)
class Replay:
    outcome: Outcome


@dataclass(frozen=True, slots=True)
class InUse:
    pass


@dataclass(frozen=True, slots=True)
class Reused:
    pass


Begun = Acquired | Replay | InUse | Reused


class IdempotencyStore(Protocol):
    async def begin(self, key: str, fingerprint: str, *, lock_seconds: float) -> Begun: ...
    async def finish(self, key: str, lock: Acquired, outcome: Outcome, *, keep_seconds: float) -> None: ...
    async def release(self, key: str, lock: Acquired) -> None: ...
    async def ping(self) -> None: ...


def _record(fingerprint: str, *, token: str | None = None, outcome: Outcome | None = None) -> str:
    return json.dumps({"fingerprint": fingerprint, "token": token, "outcome": outcome}, separators=(",", ":"))


def _judge(stored: str | bytes | None, fingerprint: str) -> Begun:
    """What an existing Redis record means for a request with `fingerprint`."""
    if stored is None:  # finished and released between our two calls: the client may retry
        return InUse()
    record = json.loads(stored)
    return _verdict(record["fingerprint"], record["outcome"], fingerprint)


def _verdict(stored_fingerprint: str, outcome: Outcome | None, fingerprint: str) -> Begun:
    """What a record of `stored_fingerprint` means for a request with `fingerprint`, in either store."""
    if stored_fingerprint != fingerprint:
        return Reused()
    return InUse() if outcome is None else Replay(outcome)


class RedisIdempotencyStore:
    def __init__(self, client: redis.asyncio.Redis) -> None:
        self._client = client
        self._finish = client.register_script(_FINISH)
        self._release = client.register_script(_RELEASE)

    async def begin(self, key: str, fingerprint: str, *, lock_seconds: float) -> Begun:
        lock = Acquired(_record(fingerprint, token=os.urandom(16).hex()), fingerprint)
        try:
            if await self._client.set(_PREFIX + key, lock.record, nx=True, px=int(lock_seconds * 1000)):
                return lock
            return _judge(await self._client.get(_PREFIX + key), fingerprint)
        except REDIS_FAILURES as error:
            raise SharedStateUnavailableError from error

    async def finish(self, key: str, lock: Acquired, outcome: Outcome, *, keep_seconds: float) -> None:
        done = _record(lock.fingerprint, outcome=outcome)  # replaces the lock
        try:
            await self._finish(keys=[_PREFIX + key], args=[lock.record, done, int(keep_seconds * 1000)])
        except REDIS_FAILURES as error:
            raise SharedStateUnavailableError from error

    async def release(self, key: str, lock: Acquired) -> None:
        try:
            await self._release(keys=[_PREFIX + key], args=[lock.record])
        except REDIS_FAILURES as error:
            raise SharedStateUnavailableError from error

    async def ping(self) -> None:
        try:
            await self._client.ping()
        except REDIS_FAILURES as error:
            raise SharedStateUnavailableError from error


@dataclass(frozen=True, slots=True)
class _Local:
    fingerprint: str
    lock: str | None  # the holder's token while in flight; None once the outcome is stored
    # Serialised as in Redis (the same JSON): a snapshot when stored, a fresh copy for every replay.
    # Not orjson: its bytes keep the capacity of its buffer, some 4 KB per record.
    outcome: str | None
    expires_at: float


class LocalIdempotencyStore:
    """The same contract in this process: no await between reading and writing a record, so
    the event loop makes every operation atomic."""

    def __init__(self) -> None:
        self._records: TLRUCache[str, _Local] = TLRUCache(
            maxsize=MAX_LOCAL_RECORDS, ttu=lambda _key, record, _now: record.expires_at, timer=time.monotonic
        )

    async def begin(self, key: str, fingerprint: str, *, lock_seconds: float) -> Begun:
        if (existing := self._records.get(key)) is not None:
            outcome = None if existing.outcome is None else json.loads(existing.outcome)
            return _verdict(existing.fingerprint, outcome, fingerprint)
        lock = Acquired(os.urandom(16).hex(), fingerprint)
        self._records[key] = _Local(fingerprint, lock.record, None, time.monotonic() + lock_seconds)
        return lock

    async def finish(self, key: str, lock: Acquired, outcome: Outcome, *, keep_seconds: float) -> None:
        if self._holds(key, lock):
            stored = json.dumps(outcome, separators=(",", ":"))
            self._records[key] = _Local(lock.fingerprint, None, stored, time.monotonic() + keep_seconds)

    async def release(self, key: str, lock: Acquired) -> None:
        if self._holds(key, lock):
            del self._records[key]

    def _holds(self, key: str, lock: Acquired) -> bool:
        existing = self._records.get(key)
        return existing is not None and existing.lock == lock.record

    async def ping(self) -> None:
        return
