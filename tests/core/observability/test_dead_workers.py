"""With several workers, a worker that died (uvicorn respawns it) must not leave its live gauges
behind: the breaker's state it last set would be the `max` of every scrape, and keep an alert on."""

import os
import subprocess
import sys
from pathlib import Path

_DIE_WITH_OPEN_BREAKER = """
from app.core.observability.metrics import FLOW_CONNECT_BREAKER_STATE
FLOW_CONNECT_BREAKER_STATE.set(2)
"""

_START_AND_SCRAPE = """
from prometheus_client import CollectorRegistry, multiprocess
from app.core.observability.metrics import forget_dead_workers
forget_dead_workers()
registry = CollectorRegistry()
multiprocess.MultiProcessCollector(registry)
print(registry.get_sample_value("flow_api_flow_connect_breaker_state"))
"""


def _python(code: str, directory: Path) -> str:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(directory)}
    command = [sys.executable, "-c", code]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True, timeout=60)  # noqa: S603 - our own code
    return done.stdout.strip()


def test_a_new_worker_forgets_the_live_gauges_of_dead_ones(tmp_path: Path) -> None:
    _python(_DIE_WITH_OPEN_BREAKER, tmp_path)
    assert list(tmp_path.glob("gauge_livemax_*.db"))  # the dead worker's sample is on disk

    # The new worker's own gauge is 0 (closed); before, the dead worker's 2 won the max.
    assert _python(_START_AND_SCRAPE, tmp_path) == "0.0"
