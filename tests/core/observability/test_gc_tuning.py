import gc
from collections.abc import Iterator

import pytest

from app.core.observability.gc_tuning import GEN0_THRESHOLD, GEN1_THRESHOLD, GEN2_THRESHOLD, tune_for_serving


@pytest.fixture
def restored_gc() -> Iterator[None]:
    thresholds = gc.get_threshold()
    gc.set_threshold(50_000, 20, 20)  # anything else, to see tune_for_serving set its own
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


@pytest.mark.usefixtures("restored_gc")
def test_serving_freezes_start_up_objects_and_sets_the_thresholds() -> None:
    built_at_start_up: list[object] = []
    assert _scanned_by_collector(built_at_start_up)

    tune_for_serving()

    assert gc.get_threshold() == (GEN0_THRESHOLD, GEN1_THRESHOLD, GEN2_THRESHOLD)
    assert not _scanned_by_collector(built_at_start_up)  # frozen: never scanned again


def _scanned_by_collector(obj: object) -> bool:
    return any(tracked is obj for generation in range(3) for tracked in gc.get_objects(generation))
