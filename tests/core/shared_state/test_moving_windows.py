"""The moving windows: in the process, and in a real Redis-protocol server (also tested through
the API in tests/graphql/shared_state/ with both stores)."""

import asyncio
from collections.abc import AsyncIterator

import pytest
import redis.asyncio
from limits import parse
from limits.aio.storage import MemoryStorage, RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter

from app.core.shared_state.moving_windows import LocalMovingWindows, MovingWindows, RedisMovingWindows
from devstack.redis import RunningRedis

TWO_PER_SECOND = parse("2/second")
ONE_PER_MINUTE = parse("1/minute")
TWO_PER_MINUTE = parse("2/minute")
ONE_PER_HOUR = parse("1/hour")


@pytest.fixture
async def redis_client(redis_server: RunningRedis) -> AsyncIterator[redis.asyncio.Redis]:
    client = redis.asyncio.Redis.from_url(redis_server.url)
    yield client
    await client.aclose()


@pytest.fixture(params=["in-process", "redis"])
async def windows(request: pytest.FixtureRequest) -> AsyncIterator[MovingWindows]:
    if request.param == "in-process":
        yield LocalMovingWindows()
        return
    running: RunningRedis = request.getfixturevalue("redis_server")
    client = redis.asyncio.Redis.from_url(running.url)
    yield RedisMovingWindows(client, running.url)
    await client.aclose()


async def test_a_refusal_stops_the_turn_and_the_hits_before_it_stay(windows: MovingWindows) -> None:
    org = (TWO_PER_MINUTE, "org/x")

    first = await windows.hit_in_turn([(ONE_PER_HOUR, "user/a"), org])
    again = await windows.hit_in_turn([(ONE_PER_HOUR, "user/a"), org])  # the user's window is full
    other = await windows.hit_in_turn([(ONE_PER_HOUR, "user/b"), org])
    last = await windows.hit_in_turn([(ONE_PER_HOUR, "user/c"), org])  # the org's is full

    # The refused turn never reached the org's window: user b still found room in it.
    assert [first, again, other, last] == [None, 0, None, 1]
    assert await windows.seconds_until_free(ONE_PER_HOUR, "user/c") > 3500  # its hit stays


async def test_redis_hits_are_limits_own_and_one_round_trip(
    redis_client: redis.asyncio.Redis, redis_server: RunningRedis
) -> None:
    windows = RedisMovingWindows(redis_client, redis_server.url)
    await windows.hit_in_turn([(ONE_PER_MINUTE, "user/a")])  # loads the script
    before = await _script_calls(redis_client)

    refused = await windows.hit_in_turn([(ONE_PER_MINUTE, "user/a"), (ONE_PER_MINUTE, "org/x")])

    assert refused == 0
    assert await _script_calls(redis_client) == before + 1
    # `limits`' own read of the window (the retry-after) sees the hit: ~60 s to wait.
    assert 55 < await windows.seconds_until_free(ONE_PER_MINUTE, "user/a") <= 60


async def test_hits_limits_made_itself_count_too(redis_client: redis.asyncio.Redis, redis_server: RunningRedis) -> None:
    """A replica still on `limits`' own calls, during a rolling deploy, shares the counters."""
    pool = redis_client.connection_pool  # limits types it narrower
    storage = RedisStorage(f"async+{redis_server.url}", implementation="redispy", connection_pool=pool)  # type: ignore[arg-type]
    assert await MovingWindowRateLimiter(storage).hit(ONE_PER_MINUTE, "user/c")

    refused = await RedisMovingWindows(redis_client, redis_server.url).hit_in_turn([(ONE_PER_MINUTE, "user/c")])

    assert refused == 0


async def _script_calls(client: redis.asyncio.Redis) -> int:
    stats = await client.info("commandstats")
    return sum(int(stats.get(f"cmdstat_{name}", {}).get("calls", 0)) for name in ("eval", "evalsha"))


async def test_a_key_is_refused_at_its_limit_until_its_oldest_hit_leaves_the_window() -> None:
    windows = LocalMovingWindows()

    first, second, third = [windows.hit(TWO_PER_SECOND, "user/a") for _ in range(3)]
    wait = await windows.seconds_until_free(TWO_PER_SECOND, "user/a")

    assert (first, second, third) == (True, True, False)
    assert 0.9 < wait <= 1.0
    await asyncio.sleep(wait + 0.01)
    assert await windows.seconds_until_free(TWO_PER_SECOND, "user/a") == 0.0
    assert [windows.hit(TWO_PER_SECOND, "user/a") for _ in range(3)] == [True, True, False]


async def test_keys_are_counted_apart() -> None:
    windows = LocalMovingWindows()

    assert [windows.hit(TWO_PER_SECOND, "user/a") for _ in range(3)] == [True, True, False]
    assert windows.hit(TWO_PER_SECOND, "user/b")


async def test_callers_that_went_quiet_are_forgotten() -> None:
    windows = LocalMovingWindows(sweep_every=10)
    for n in range(5):
        windows.hit(TWO_PER_SECOND, f"user/quiet-{n}")
    await asyncio.sleep(1.01)

    for n in range(10):
        windows.hit(TWO_PER_SECOND, f"user/busy-{n}")

    assert len(windows) == 10  # the five quiet ones dropped, the ten inside their window kept


async def test_local_windows_refuse_where_limits_own_moving_window_does() -> None:
    """The guard of our in-process windows (docs/departures.md): the same refusals as `limits`'
    in-memory moving window, which they stand in for."""
    ours = LocalMovingWindows()
    theirs = MovingWindowRateLimiter(MemoryStorage())
    for item in (TWO_PER_SECOND, ONE_PER_MINUTE, parse("5/hour")):
        key = f"guard/{item}"
        our_answers = [await ours.hit_in_turn([(item, key)]) is None for _ in range(item.amount + 2)]
        their_answers = [await theirs.hit(item, key) for _ in range(item.amount + 2)]
        assert our_answers == their_answers == [True] * item.amount + [False, False]
        assert await ours.seconds_until_free(item, key) > item.get_expiry() - 1
