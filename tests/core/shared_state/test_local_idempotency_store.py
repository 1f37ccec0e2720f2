"""The in-process idempotency store's memory per record: it holds up to MAX_LOCAL_RECORDS of them
(one per keyed mutation for a day), so a record's size is the store's size. Counted in bytes
with tracemalloc, not timed."""

import gc
import os
import tracemalloc

from app.core.shared_state.idempotency_store import Acquired, LocalIdempotencyStore

RECORDS = 2000
# A key, a fingerprint and a small outcome, plus the cache's own bookkeeping: about 520 B today.
MAX_BYTES_PER_RECORD = 1024


async def test_a_stored_record_costs_under_a_kilobyte() -> None:
    store = LocalIdempotencyStore()
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(RECORDS):  # each key and fingerprint made here, as each request makes its own
            key, fingerprint = os.urandom(32).hex(), os.urandom(32).hex()
            lock = await store.begin(key, fingerprint, lock_seconds=15)
            assert isinstance(lock, Acquired)
            await store.finish(key, lock, {"data": True}, keep_seconds=3600)
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()

    assert grown / RECORDS < MAX_BYTES_PER_RECORD, f"{grown / RECORDS:.0f} B per record"
