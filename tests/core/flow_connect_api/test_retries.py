"""The connect-retry hand-over: a bare first attempt, then stamina as if it had made that attempt."""

from collections.abc import Awaitable, Callable, Iterator

import pytest
import stamina.instrumentation
from stamina.instrumentation import RetryDetails

from app.core.flow_connect_api.retries import RetryPolicy, retried_on

POLICY = RetryPolicy(attempts=3, wait_initial=0.001, wait_max=0.002, wait_jitter=0.0)


class RefusedError(Exception):
    pass


@pytest.fixture
def retries_seen() -> Iterator[list[RetryDetails]]:
    seen: list[RetryDetails] = []

    def record(details: RetryDetails) -> None:
        seen.append(details)

    previous = stamina.instrumentation.get_on_retry_hooks()
    stamina.instrumentation.set_on_retry_hooks([record])
    yield seen
    stamina.instrumentation.set_on_retry_hooks(previous)


def _failing(times: int, made: list[int], error: Exception | None = None) -> Callable[[int], Awaitable[str]]:
    async def attempt(number: int) -> str:
        made.append(number)
        if len(made) <= times:
            raise error or RefusedError
        return f"answer of attempt {number}"

    return attempt


async def test_a_first_attempt_that_succeeds_never_enters_stamina(retries_seen: list[RetryDetails]) -> None:
    made: list[int] = []

    result = await retried_on(RefusedError, _failing(0, made), policy=POLICY)

    assert (result, made, retries_seen) == ("answer of attempt 1", [1], [])


async def test_after_a_failed_first_attempt_stamina_counts_it_as_its_own(retries_seen: list[RetryDetails]) -> None:
    made: list[int] = []

    result = await retried_on(RefusedError, _failing(1, made), policy=POLICY)

    assert (result, made) == ("answer of attempt 2", [1, 2])
    assert [details.retry_num for details in retries_seen] == [1]


async def test_attempts_stop_at_the_policy_and_the_last_failure_is_raised(retries_seen: list[RetryDetails]) -> None:
    made: list[int] = []

    with pytest.raises(RefusedError):
        await retried_on(RefusedError, _failing(10, made), policy=POLICY)

    assert made == [1, 2, 3]
    assert [details.retry_num for details in retries_seen] == [1, 2]


async def test_other_errors_are_never_retried(retries_seen: list[RetryDetails]) -> None:
    made: list[int] = []

    with pytest.raises(ValueError, match="sent"):
        await retried_on(RefusedError, _failing(10, made, ValueError("sent")), policy=POLICY)

    assert (made, retries_seen) == ([1], [])
