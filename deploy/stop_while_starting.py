"""`make image-check`'s SIGTERM while the container is still starting: PID 1 must act on it,
whatever Python is doing (deploy/image_check.py runs it)."""

import asyncio
import time

from deploy.image_facts import Result
from deploy.podman import CheckFailedError, podman, podman_succeeds

# Far below any grace period: PID 1 must act on SIGTERM at once, whatever Python is doing.
STOP_WHILE_STARTING_SECONDS = 5.0
# uvicorn's line once the app serves: a SIGTERM after it proves nothing about PID 1.
STARTED_LINE = "Application startup complete"
STARTING_ATTEMPTS = 3


async def stops_while_starting(arguments: list[str], name: str) -> Result:
    """SIGTERM while Python is still importing: PID 1 without a handler ignores it, and the kubelet
    would wait out the grace period. One that lands after start-up completed proves nothing (the
    app handles it, init or not), so that try is repeated, signalling while `podman start` is
    still under way; if every try lands late, the step fails."""
    label = (
        f"SIGTERM while starting: exit 0 or 143 within {STOP_WHILE_STARTING_SECONDS:.0f}s, before start-up completed"
    )
    tries: list[str] = []
    for attempt in range(STARTING_ATTEMPTS):
        await podman("create", *arguments)
        try:
            ok, started, detail = await _terminated_while_starting(name, during_start=attempt > 0)
        finally:
            await podman("rm", "--force", name)  # gone, whatever it did: the port is the next one's
        tries.append(detail)
        if not started:
            return label, ok, "; ".join(tries)
    return label, False, "; ".join(tries)


async def _terminated_while_starting(name: str, *, during_start: bool) -> tuple[bool, bool, str]:
    """Whether it stopped as it should, whether its log had said start-up completed, and how."""
    starting = asyncio.create_task(podman("start", name))
    if not during_start:
        await starting
    # `podman kill` fails until the container runs: the first that succeeds is the earliest signal.
    deadline = time.monotonic() + STOP_WHILE_STARTING_SECONDS
    while not await podman_succeeds("kill", "--signal=TERM", name):
        if time.monotonic() > deadline:
            await starting
            raise CheckFailedError(f"podman kill never reached {name}:\n{await podman('logs', name)}")
    sent = time.monotonic()
    await starting
    while (await podman("inspect", "--format={{.State.Running}}", name)).strip() == "true":
        if time.monotonic() - sent > STOP_WHILE_STARTING_SECONDS:
            return False, False, f"still running {STOP_WHILE_STARTING_SECONDS:.0f}s after SIGTERM"
        await asyncio.sleep(0.05)
    stopped_in = time.monotonic() - sent
    exit_code = (await podman("inspect", "--format={{.State.ExitCode}}", name)).strip()
    started = STARTED_LINE in await podman("logs", name)
    when = "after" if started else "before"
    detail = f"exit {exit_code} {stopped_in:.2f}s after SIGTERM, {when} start-up completed"
    return exit_code in {"0", "143"}, started, detail
