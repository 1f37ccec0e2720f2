"""The breaker's rules on a clock the test moves: ratio, minimum, window, open time, probes."""

from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.core.flow_connect_api.breaker import BreakerPolicy, BreakerState, FlowConnectBreaker, ShortCircuitedError
from app.core.flow_connect_api.rolling_window import BUCKETS, RollingWindow

POLICY = BreakerPolicy(error_ratio=0.5, minimum_calls=4, window_seconds=10, open_seconds=5, half_open_probes=1)


@dataclass
class FakeClock:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


def _breaker(clock: FakeClock, policy: BreakerPolicy = POLICY) -> FlowConnectBreaker:
    return FlowConnectBreaker(policy, clock=clock)


def _state(breaker: FlowConnectBreaker) -> BreakerState:
    """Read anew each time: mypy would keep the state an earlier assert narrowed it to."""
    return breaker.state


def _calls(breaker: FlowConnectBreaker, outcomes: str) -> None:
    """One call per character: `x` failed, `.` succeeded."""
    for outcome in outcomes:
        breaker.settle(breaker.admit(), failed=outcome == "x")


def _opened(clock: FakeClock, policy: BreakerPolicy = POLICY) -> FlowConnectBreaker:
    breaker = _breaker(clock, policy)
    _calls(breaker, "x" * policy.minimum_calls)
    assert _state(breaker) is BreakerState.OPEN
    return breaker


def test_failures_under_the_minimum_number_of_calls_do_not_open_it() -> None:
    breaker = _breaker(FakeClock())

    _calls(breaker, "xxx")

    assert _state(breaker) is BreakerState.CLOSED


def test_it_opens_once_the_error_ratio_is_reached_with_enough_calls() -> None:
    breaker = _breaker(FakeClock())

    _calls(breaker, "....xxx")  # 3 of 7
    assert _state(breaker) is BreakerState.CLOSED
    _calls(breaker, "x")  # 4 of 8: the ratio, reached

    assert _state(breaker) is BreakerState.OPEN


def test_calls_older_than_the_window_are_forgotten() -> None:
    clock = FakeClock()
    breaker = _breaker(clock)
    _calls(breaker, "xxx")

    clock.now += POLICY.window_seconds
    _calls(breaker, "x")

    assert _state(breaker) is BreakerState.CLOSED


def test_open_refuses_with_the_whole_seconds_left_until_half_open() -> None:
    clock = FakeClock()
    breaker = _opened(clock)

    with pytest.raises(ShortCircuitedError) as at_once:
        breaker.admit()
    clock.now += 4.2
    with pytest.raises(ShortCircuitedError) as nearly:
        breaker.admit()

    assert (at_once.value.retry_after, nearly.value.retry_after) == (5, 1)


def test_half_open_lets_one_probe_through_at_a_time_and_a_success_closes_it() -> None:
    clock = FakeClock()
    breaker = _opened(clock)
    clock.now += POLICY.open_seconds

    probe = breaker.admit()
    assert _state(breaker) is BreakerState.HALF_OPEN
    with pytest.raises(ShortCircuitedError) as second:
        breaker.admit()
    breaker.settle(probe, failed=False)

    assert second.value.retry_after == 1
    assert _state(breaker) is BreakerState.CLOSED
    _calls(breaker, "xxx")  # a fresh window: the failures before opening are gone
    assert _state(breaker) is BreakerState.CLOSED


def test_a_failed_probe_opens_it_again_for_the_whole_open_duration() -> None:
    clock = FakeClock()
    breaker = _opened(clock)
    clock.now += POLICY.open_seconds

    breaker.settle(breaker.admit(), failed=True)

    assert _state(breaker) is BreakerState.OPEN
    with pytest.raises(ShortCircuitedError) as refused:
        breaker.admit()
    assert refused.value.retry_after == POLICY.open_seconds


def test_a_cancelled_probe_lets_the_next_call_probe() -> None:
    clock = FakeClock()
    breaker = _opened(clock)
    clock.now += POLICY.open_seconds

    breaker.settle(breaker.admit(), failed=None)
    breaker.settle(breaker.admit(), failed=False)

    assert _state(breaker) is BreakerState.CLOSED


def test_calls_admitted_before_a_change_of_state_do_not_decide_the_next_one() -> None:
    clock = FakeClock()
    breaker = _breaker(clock)
    late = [breaker.admit() for _ in range(3)]
    _calls(breaker, "x" * POLICY.minimum_calls)
    clock.now += POLICY.open_seconds
    probe = breaker.admit()

    for ticket in late:  # successes of calls sent while closed: not the probe's answer
        breaker.settle(ticket, failed=False)

    assert _state(breaker) is BreakerState.HALF_OPEN
    breaker.settle(probe, failed=True)
    assert _state(breaker) is BreakerState.OPEN


def test_several_probes_must_all_succeed_to_close_it() -> None:
    clock = FakeClock()
    policy = BreakerPolicy(error_ratio=0.5, minimum_calls=4, window_seconds=10, open_seconds=5, half_open_probes=2)
    breaker = _opened(clock, policy)
    clock.now += policy.open_seconds

    first, second = breaker.admit(), breaker.admit()
    with pytest.raises(ShortCircuitedError):
        breaker.admit()
    breaker.settle(first, failed=False)
    assert _state(breaker) is BreakerState.HALF_OPEN
    breaker.settle(second, failed=False)

    assert _state(breaker) is BreakerState.CLOSED


def test_disabled_it_never_opens() -> None:
    breaker = FlowConnectBreaker(POLICY, enabled=False, clock=FakeClock())

    _calls(breaker, "x" * 100)

    assert _state(breaker) is BreakerState.CLOSED


@given(
    st.lists(
        st.tuples(st.floats(min_value=0, max_value=3, allow_nan=False), st.booleans()),
        max_size=200,
    )
)
def test_the_window_counts_what_a_recount_of_its_buckets_finds(steps: list[tuple[float, bool]]) -> None:
    """The running totals against a recount, from scratch, of the calls in the last BUCKETS buckets."""
    seconds = 2.0
    window = RollingWindow(seconds)
    now = 0.0
    seen: list[tuple[int, bool]] = []
    for elapsed, failed in steps:
        now += elapsed
        window.add(now, failed=failed)
        newest = int(now // (seconds / BUCKETS))
        seen.append((newest, failed))
        kept = [was_failure for bucket, was_failure in seen if bucket > newest - BUCKETS]
        assert (window.calls, window.failures) == (len(kept), sum(kept))


def test_calls_still_in_flight_count_as_not_failed_so_a_cold_start_does_not_open_it() -> None:
    """Calls that fail fast (refused, reset) end before those that succeed: at a cold start with
    many calls in flight, the first to end are the failures, which alone would pass the ratio."""
    breaker = _breaker(FakeClock())
    tickets = [breaker.admit() for _ in range(20)]

    for ticket in tickets[:3]:
        breaker.settle(ticket, failed=True)
    breaker.settle(tickets[3], failed=False)  # 3 of the 4 ended failed: 75 %, but 16 still in flight
    assert _state(breaker) is BreakerState.CLOSED

    for ticket in tickets[4:]:
        breaker.settle(ticket, failed=True)  # then they fail too: a real outage still opens it
        if _state(breaker) is BreakerState.OPEN:
            break
    assert _state(breaker) is BreakerState.OPEN
