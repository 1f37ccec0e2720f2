"""Before and while the dev stack starts: its ports are free, and what answers on them is ours."""

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

from devstack import seed
from devstack.serving import port_in_use

READY_TIMEOUT_SECONDS = 30.0

# Whether an HTTP answer came from the process we started; raises httpx.TransportError while
# nothing listens.
Probe = Callable[[httpx.AsyncClient], Awaitable[bool]]


class StartupError(Exception):
    """The stack cannot start; the message is the one line the developer sees."""


@dataclass(frozen=True)
class Listener:
    name: str
    port: int
    make_variable: str


def check_ports_free(listeners: list[Listener]) -> None:
    for listener in listeners:
        if port_in_use(seed.HOST, listener.port):
            raise StartupError(
                f"port {listener.port} ({listener.name}) is already in use by another program; "
                f"stop it, or choose another port: make run {listener.make_variable}=<port>"
            )


async def wait_until_ready(process: asyncio.subprocess.Process, name: str, answered: Probe) -> None:
    """Until `answered` holds while `process` still runs: an answer alone may come from another program."""
    try:
        async with asyncio.timeout(READY_TIMEOUT_SECONDS), httpx.AsyncClient(timeout=1.0, trust_env=False) as client:
            while process.returncode is None:
                with contextlib.suppress(httpx.TransportError, ValueError):  # not listening yet, or not JSON
                    if await answered(client) and process.returncode is None:
                        return
                await asyncio.sleep(0.2)
    except TimeoutError:
        raise StartupError(f"{name} did not answer as ours within {READY_TIMEOUT_SECONDS:.0f}s") from None
    raise StartupError(f"{name} exited with status {process.returncode} before it was ready")


def api_accepts(url: str, token: str) -> Probe:
    """Only an API that trusts this run's identity provider answers `viewer` for its token."""

    async def probe(client: httpx.AsyncClient) -> bool:
        response = await client.post(
            f"{url}/graphql",
            json={"query": "{ viewer { organizationId } }"},
            headers={"Authorization": f"Bearer {token}"},
        )
        return bool(response.json() == {"data": {"viewer": {"organizationId": seed.DEV_ORG_ID}}})

    return probe


def answers_with_pid(url: str, pid: int) -> Probe:
    """The simulator's health check names its process."""

    async def probe(client: httpx.AsyncClient) -> bool:
        return bool((await client.get(f"{url}/healthz")).json() == {"status": "ok", "pid": pid})

    return probe
