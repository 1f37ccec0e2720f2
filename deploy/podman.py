"""podman as the image check calls it: each call in a thread, so that several may run at once."""

import asyncio
import subprocess


class CheckFailedError(Exception):
    """The image did not behave; the message says how."""


async def podman(*args: str, check: bool = True) -> str:
    completed = await asyncio.to_thread(
        subprocess.run,
        ["podman", *args],
        capture_output=True,
        text=True,
        check=False,
    )
    if check and completed.returncode != 0:
        raise CheckFailedError(
            f"podman {' '.join(args[:2])} failed ({completed.returncode}): {completed.stderr.strip()}"
        )
    return completed.stdout


async def podman_succeeds(*args: str) -> bool:
    completed = await asyncio.to_thread(subprocess.run, ["podman", *args], capture_output=True, check=False)
    return completed.returncode == 0
