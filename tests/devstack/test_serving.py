"""In-process servers: a group stops all its servers, each on request rather than at its next tick."""

import asyncio
import contextlib
import hashlib
import inspect
from collections.abc import AsyncIterator

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from devstack.serving import ServerGroup

# The versions of uvicorn's code read against `devstack/serving.py`'s copies: 0.54.0's, and 0.55.0's
# `shutdown` (`asyncio.timeout` where 0.54.0 had `asyncio.wait_for`: the same steps).
COPIED_FROM = {"shutdown": {"9b33c50562992b1e", "5d01b8b1f116a786"}, "main_loop": {"afccb353a119333f"}}


def _hello() -> Starlette:
    async def hello(_request: object) -> PlainTextResponse:
        return PlainTextResponse("hello")

    return Starlette(routes=[Route("/", hello)])


async def test_a_group_serves_until_closed_then_refuses_connections() -> None:
    group = ServerGroup()
    urls = [await group.start(_hello()) for _ in range(3)]
    async with httpx.AsyncClient() as client:
        answers = [(await client.get(url)).text for url in urls]

        await group.aclose()

        for url in urls:
            with pytest.raises(httpx.ConnectError):
                await client.get(url)
    assert answers == ["hello"] * 3


async def test_a_stop_lets_a_request_in_flight_finish_and_runs_the_lifespans_shutdown() -> None:
    """What `_PromptServer.shutdown` keeps of uvicorn's own: tasks in flight end (within the
    graceful timeout) before the lifespan's shutdown runs."""
    started, events = asyncio.Event(), list[str]()

    async def slow(_request: object) -> PlainTextResponse:
        started.set()
        await asyncio.sleep(0.3)
        events.append("request answered")
        return PlainTextResponse("done")

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        events.append("lifespan shut down")

    group = ServerGroup()
    url = await group.start(Starlette(routes=[Route("/", slow)], lifespan=lifespan))
    async with httpx.AsyncClient() as client:
        in_flight = asyncio.create_task(client.get(url))
        await started.wait()
        await group.aclose()
        response = await in_flight

    assert (response.status_code, response.text) == (200, "done")
    assert events == ["request answered", "lifespan shut down"]


@pytest.mark.parametrize("method", ["shutdown", "main_loop"])
def test_uvicorns_methods_we_copy_are_the_ones_we_copied(method: str) -> None:
    """`devstack/serving.py` replaces these two with copies that end their pauses early
    (docs/departures.md, "uvicorn"). When uvicorn changes one, read its new code, bring the copy
    in line, then update the digest here."""
    source = inspect.getsource(getattr(uvicorn.Server, method))

    assert hashlib.sha256(source.encode()).hexdigest()[:16] in COPIED_FROM[method]
