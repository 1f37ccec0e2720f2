# ruff: noqa: INP001 - a folder put on PYTHONPATH, not a package
"""Records every garbage-collector pause of a Python server under `make bench`.

The bench puts this folder first on PYTHONPATH and sets BENCH_GC_PAUSES to a directory, so the
servers' own code is unchanged. Each collection appends (monotonic end, seconds, generation);
at exit or on SIGTERM, `<dir>/<pid>.json` holds them all and the bench assigns them to its
measured windows (CLOCK_MONOTONIC is shared by every process of the machine).
"""

import atexit
import gc
import json
import os
import signal
import time
from pathlib import Path
from types import FrameType
from typing import Any

_directory = os.environ.get("BENCH_GC_PAUSES")


def _install(directory: Path) -> None:
    pauses: list[tuple[float, float, int]] = []
    started = [0.0]

    def observe(phase: str, info: dict[str, Any]) -> None:
        now = time.monotonic()
        if phase == "start":
            started[0] = now
        else:
            pauses.append((now, now - started[0], int(info["generation"])))

    def dump() -> None:
        (directory / f"{os.getpid()}.json").write_text(json.dumps(pauses))

    def dump_then_die(signum: int, _frame: FrameType | None) -> None:
        # uvicorn re-raises SIGTERM once shut down, which would skip atexit.
        dump()
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)

    gc.callbacks.append(observe)
    atexit.register(dump)
    signal.signal(signal.SIGTERM, dump_then_die)


if _directory:
    _install(Path(_directory))
