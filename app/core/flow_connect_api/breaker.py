"""The circuit breaker around Flow Connect: one per process, consulted once per call.

    closed     every call is sent; it opens once at least `minimum_calls` calls ended within the
               rolling window and at least `error_ratio` of them, and of the calls still in
               flight, failed
    open       nothing is sent: every call is refused at once, for `open_seconds` (then half-open,
               with or without a call to notice)
    half-open  `half_open_probes` calls at a time are sent (the others refused); as many successes
               close it, one failure opens it again

Hand-written, after hystrix and WunderGraph Cosmo's router: pybreaker, aiobreaker, circuitbreaker
and purgatory count *consecutive* failures (one success in between starts the count again, so a
Flow Connect failing six calls in ten never trips them) and pybreaker and purgatory read the wall
clock; aiomisc's CircuitBreaker has a ratio but no minimum number of calls, and recovers by letting
a growing random share through instead of one probe at a time. The clock is injectable for tests.
"""

import asyncio
import enum
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import structlog

from app.core.config import FlowConnectApiSettings
from app.core.flow_connect_api.rolling_window import RollingWindow
from app.core.observability.metrics import (
    FLOW_CONNECT_BREAKER_SHORT_CIRCUITED,
    FLOW_CONNECT_BREAKER_STATE,
    FLOW_CONNECT_BREAKER_TRANSITIONS,
)

logger = structlog.get_logger(__name__)


class BreakerState(enum.IntEnum):
    """Ordered by how bad it is: the gauge's value, and why the worst worker's is the one shown."""

    CLOSED = 0
    HALF_OPEN = 1
    OPEN = 2


_CLOSED = BreakerState.CLOSED  # read on every call: a module global is found faster than an enum member
_NAMES = {BreakerState.CLOSED: "closed", BreakerState.HALF_OPEN: "half_open", BreakerState.OPEN: "open"}
for _name in _NAMES.values():  # every series exists from the start, so a rate() over it is defined
    FLOW_CONNECT_BREAKER_TRANSITIONS.labels(_name)


class ShortCircuitedError(Exception):
    """The breaker refused the call: nothing was sent. `retry_after`: whole seconds, at least 1."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"circuit open; retry after {retry_after} s")
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True, kw_only=True)
class BreakerPolicy:
    error_ratio: float
    minimum_calls: int
    window_seconds: float
    open_seconds: float
    half_open_probes: int


class FlowConnectBreaker:
    """`admit()` before a call (it raises ShortCircuitedError instead of letting it through), then
    `settle(ticket, failed=...)` once it ended, whatever happened. Single-threaded, like the event
    loop it serves: nothing in it awaits, so no lock is needed."""

    __slots__ = (
        "_clock",
        "_enabled",
        "_generation",
        "_in_flight",
        "_open_until",
        "_policy",
        "_probe_successes",
        "_probes_in_flight",
        "_state",
        "_window",
    )

    def __init__(
        self, policy: BreakerPolicy, *, enabled: bool = True, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._policy = policy
        self._enabled = enabled
        self._clock = clock
        self._window = RollingWindow(policy.window_seconds)
        self._state = BreakerState.CLOSED
        # A ticket is the generation it was admitted in: a call admitted before the last change of
        # state says nothing about the current one (a probe's outcome is the only one that counts).
        self._generation = 0
        self._open_until = 0.0
        self._probes_in_flight = 0
        self._probe_successes = 0
        self._in_flight = 0  # closed: calls admitted in this generation, not yet settled
        FLOW_CONNECT_BREAKER_STATE.set(BreakerState.CLOSED)

    @property
    def state(self) -> BreakerState:
        return self._state

    def admit(self) -> int:
        """A ticket for one call, or ShortCircuitedError."""
        if self._state is not _CLOSED:
            self._admit_probe()
        else:
            self._in_flight += 1
        return self._generation

    def check(self) -> None:
        """Raises ShortCircuitedError if `admit()` would refuse now, taking no ticket: for a caller
        that must not lock a key or spend a rate budget on a call that will not be sent."""
        if self._state is _CLOSED:
            return
        if self._state is BreakerState.OPEN and (wait := self._open_until - self._clock()) > 0:
            self._refuse(math.ceil(wait))
        if self._state is BreakerState.HALF_OPEN and self._probes_in_flight >= self._policy.half_open_probes:
            self._refuse(1)

    def settle(self, ticket: int, *, failed: bool | None) -> None:
        """The outcome of an admitted call; `failed=None` when it ended without one (cancelled)."""
        if ticket != self._generation:
            return
        if self._state is not _CLOSED:
            self._settle_probe(failed=failed)
            return
        self._in_flight -= 1
        if failed is not None and self._enabled:
            self._count(failed=failed)

    def _settle_probe(self, *, failed: bool | None) -> None:
        self._probes_in_flight -= 1  # half-open: an open breaker admits nothing
        if failed:
            self._open()
        elif failed is False:
            self._probe_successes += 1
            if self._probe_successes >= self._policy.half_open_probes:
                self._enter(BreakerState.CLOSED)

    def _count(self, *, failed: bool) -> None:
        window = self._window
        window.add(self._clock(), failed=failed)
        # Calls still in flight count as not failed: those that fail fast (refused, reset) end first,
        # so at a cold start with many calls in flight the first to end would pass any ratio alone.
        calls = window.calls + self._in_flight
        if window.calls >= self._policy.minimum_calls and window.failures >= self._policy.error_ratio * calls:
            self._open(failures=window.failures, calls=window.calls)

    def _admit_probe(self) -> None:
        if self._state is BreakerState.OPEN:
            wait = self._open_until - self._clock()
            if wait > 0:
                self._refuse(math.ceil(wait))
            self._enter(BreakerState.HALF_OPEN)
        if self._probes_in_flight >= self._policy.half_open_probes:
            self._refuse(1)  # the probe in flight decides within the call deadline
        self._probes_in_flight += 1

    def _refuse(self, retry_after: int) -> None:
        FLOW_CONNECT_BREAKER_SHORT_CIRCUITED.inc()
        raise ShortCircuitedError(max(retry_after, 1))

    def _open(self, **fields: float) -> None:
        self._open_until = self._clock() + self._policy.open_seconds
        self._enter(BreakerState.OPEN, open_seconds=self._policy.open_seconds, **fields)
        self._half_open_when_due()

    def _half_open_when_due(self) -> None:
        """Half-open at the end of the open duration even with no call to notice: else the state,
        and the gauge an alert reads, would stay open long after Flow Connect recovered."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # driven by a test's clock, outside any loop: the next admit() decides
        loop.call_later(self._policy.open_seconds, self._end_open, self._generation)

    def _end_open(self, generation: int) -> None:
        if generation == self._generation and self._state is BreakerState.OPEN:
            self._enter(BreakerState.HALF_OPEN)

    def _enter(self, state: BreakerState, **fields: float) -> None:
        previous, self._state = self._state, state
        self._generation += 1
        self._window.clear()
        self._probes_in_flight = self._probe_successes = self._in_flight = 0
        FLOW_CONNECT_BREAKER_STATE.set(state)
        FLOW_CONNECT_BREAKER_TRANSITIONS.labels(_NAMES[state]).inc()
        log = logger.warning if state is BreakerState.OPEN else logger.info
        log("flow_connect_breaker_transition", state=_NAMES[state], previous_state=_NAMES[previous], **fields)


def create_flow_connect_breaker(settings: FlowConnectApiSettings) -> FlowConnectBreaker:
    """The process's breaker (a DI Singleton), from FLOW_CONNECT_BREAKER_*."""
    policy = BreakerPolicy(
        error_ratio=settings.flow_connect_breaker_error_ratio,
        minimum_calls=settings.flow_connect_breaker_minimum_calls,
        window_seconds=settings.flow_connect_breaker_window,
        open_seconds=settings.flow_connect_breaker_open_duration,
        half_open_probes=settings.flow_connect_breaker_half_open_probes,
    )
    return FlowConnectBreaker(policy, enabled=settings.flow_connect_breaker_enabled)
