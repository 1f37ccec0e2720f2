"""Retries of calls that failed to connect, with stamina's backoff, attempt count and hooks."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import stamina

T = TypeVar("T")


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryPolicy:
    attempts: int
    wait_initial: float
    wait_max: float
    wait_jitter: float


async def retried_on(retryable: type[Exception], attempt: Callable[[int], Awaitable[T]], *, policy: RetryPolicy) -> T:
    """`attempt(1)`, then, only if it raised `retryable`, further numbered attempts under stamina.

    The first attempt runs outside stamina because most calls succeed and stamina's retry state
    costs as much as a whole exchange with Flow Connect. When it fails, stamina takes over as if
    its own first attempt had failed, so backoff, attempt count and retry metrics are stamina's.
    No timeout here: the caller's deadline bounds the retries.
    """
    try:
        return await attempt(1)
    except retryable as error:
        first_failure = error
    async for retry in stamina.retry_context(
        on=retryable,
        attempts=policy.attempts,
        timeout=None,
        wait_initial=policy.wait_initial,
        wait_max=policy.wait_max,
        wait_jitter=policy.wait_jitter,
    ):
        with retry:
            if retry.num == 1:
                raise first_failure  # stamina's first attempt is the one already made
            return await attempt(retry.num)
    raise AssertionError("unreachable: stamina either returns or raises")  # pragma: no cover
