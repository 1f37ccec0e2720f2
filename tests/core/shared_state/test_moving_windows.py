"""The in-process moving windows (Redis's are `limits`' own, tested through the API in
tests/graphql/shared_state/ with both stores)."""

import asyncio

from limits import parse

from app.core.shared_state.moving_windows import LocalMovingWindows

TWO_PER_SECOND = parse("2/second")


async def test_a_key_is_refused_at_its_limit_until_its_oldest_hit_leaves_the_window() -> None:
    windows = LocalMovingWindows()

    first, second, third = [await windows.hit(TWO_PER_SECOND, "user/a") for _ in range(3)]
    wait = await windows.seconds_until_free(TWO_PER_SECOND, "user/a")

    assert (first, second, third) == (True, True, False)
    assert 0.9 < wait <= 1.0
    await asyncio.sleep(wait + 0.01)
    assert await windows.seconds_until_free(TWO_PER_SECOND, "user/a") == 0.0
    assert [await windows.hit(TWO_PER_SECOND, "user/a") for _ in range(3)] == [True, True, False]


async def test_keys_are_counted_apart() -> None:
    windows = LocalMovingWindows()

    assert [await windows.hit(TWO_PER_SECOND, "user/a") for _ in range(3)] == [True, True, False]
    assert await windows.hit(TWO_PER_SECOND, "user/b")


async def test_callers_that_went_quiet_are_forgotten() -> None:
    windows = LocalMovingWindows(sweep_every=10)
    for n in range(5):
        await windows.hit(TWO_PER_SECOND, f"user/quiet-{n}")
    await asyncio.sleep(1.01)

    for n in range(10):
        await windows.hit(TWO_PER_SECOND, f"user/busy-{n}")

    assert len(windows) == 10  # the five quiet ones dropped, the ten inside their window kept
