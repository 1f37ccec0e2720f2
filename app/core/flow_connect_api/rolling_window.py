"""Counts of calls and failures over a rolling time window, for the circuit breaker."""

# Hystrix's and Cosmo's count: the window moves on in tenths of its length, so a call is forgotten
# between nine and ten tenths of the window after it ended.
BUCKETS = 10


class RollingWindow:
    """Calls and failures that ended in the last `seconds`, kept in BUCKETS buckets: each call adds
    to the newest one and to running totals, and a bucket is emptied (its counts taken off the
    totals) when the window moves past it, so recording and reading cost O(1) whatever the traffic."""

    __slots__ = ("_bucket_calls", "_bucket_failures", "_bucket_seconds", "_newest", "calls", "failures")

    def __init__(self, seconds: float) -> None:
        self._bucket_seconds = seconds / BUCKETS
        self._bucket_calls = [0] * BUCKETS
        self._bucket_failures = [0] * BUCKETS
        self._newest = 0  # the number of the newest bucket since the clock's epoch
        self.calls = 0
        self.failures = 0

    def add(self, now: float, *, failed: bool) -> None:
        bucket = int(now // self._bucket_seconds)
        if bucket > self._newest:
            self._move_to(bucket)
        slot = self._newest % BUCKETS
        self._bucket_calls[slot] += 1
        self.calls += 1
        if failed:
            self._bucket_failures[slot] += 1
            self.failures += 1

    def clear(self) -> None:
        self._bucket_calls = [0] * BUCKETS
        self._bucket_failures = [0] * BUCKETS
        self.calls = self.failures = 0

    def _move_to(self, bucket: int) -> None:
        if bucket - self._newest >= BUCKETS:
            self.clear()
        else:
            for passed in range(self._newest + 1, bucket + 1):  # fewer than BUCKETS
                slot = passed % BUCKETS
                self.calls -= self._bucket_calls[slot]
                self.failures -= self._bucket_failures[slot]
                self._bucket_calls[slot] = self._bucket_failures[slot] = 0
        self._newest = bucket
