"""Child processes stopped with their whole process group.

A server we start may start workers of its own (uvicorn with several workers, nginx). Started as
the leader of a new process group (`process_group=0`), it and everything it spawned are stopped
together: SIGTERM to the group, then SIGKILL to whatever of it outlives the grace period.
"""

import asyncio
import contextlib
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

STOP_GRACE_SECONDS = 10.0
_KILL_GRACE_SECONDS = 5.0
_POLL_SECONDS = 0.02


class GroupSurvivedError(RuntimeError):
    """A process group still had members after SIGKILL."""


@dataclass(frozen=True)
class ProcessInfo:
    pid: int
    pgid: int
    sid: int
    start_time: int  # with the pid, names one process even once the pid is reused
    zombie: bool  # exited, waiting for its parent (or init) to reap it


def all_processes() -> list[ProcessInfo]:
    """Every process on the machine, from /proc (empty where there is none)."""
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # it exited while we looked
        # The command name may contain spaces or parentheses: fields start after the last ')'.
        fields = stat.rsplit(")", 1)[1].split()
        found.append(
            ProcessInfo(
                pid=int(entry.name),
                pgid=int(fields[2]),
                sid=int(fields[3]),
                start_time=int(fields[19]),
                zombie=fields[0] == "Z",
            )
        )
    return found


def group_alive(pgid: int) -> bool:
    """Whether a process of the group still runs; one that exited but is not yet reaped does not."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    if not Path("/proc").is_dir():
        return True
    # Orphans are reaped by init, which may take its time.
    return any(process.pgid == pgid and not process.zombie for process in all_processes())


def signal_group(pgid: int, signum: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signum)


def stop_group(process: subprocess.Popen[Any], *, grace: float = STOP_GRACE_SECONDS) -> int:
    """Stops the group `process` leads; its exit status, once no process of the group is left."""
    deadline = time.monotonic() + grace
    signal_group(process.pid, signal.SIGTERM)
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        signal_group(process.pid, signal.SIGKILL)
        process.wait()
    _wait_until_gone(process.pid, deadline)
    return process.returncode


async def stop_group_async(process: asyncio.subprocess.Process, *, grace: float = STOP_GRACE_SECONDS) -> int:
    """`stop_group` for a child started by asyncio."""
    deadline = time.monotonic() + grace
    signal_group(process.pid, signal.SIGTERM)
    try:
        returncode = await asyncio.wait_for(process.wait(), grace)
    except TimeoutError:
        signal_group(process.pid, signal.SIGKILL)
        returncode = await process.wait()
    await asyncio.to_thread(_wait_until_gone, process.pid, deadline)
    return returncode


def _wait_until_gone(pgid: int, deadline: float) -> None:
    # The leader has been reaped; the group id stays taken while any member lives, so it
    # cannot name someone else's processes.
    while group_alive(pgid) and time.monotonic() < deadline:
        time.sleep(_POLL_SECONDS)
    if not group_alive(pgid):
        return
    signal_group(pgid, signal.SIGKILL)
    kill_deadline = time.monotonic() + _KILL_GRACE_SECONDS
    while group_alive(pgid):
        if time.monotonic() > kill_deadline:
            raise GroupSurvivedError(f"process group {pgid} survived SIGKILL")
        time.sleep(_POLL_SECONDS)
