"""In-process servers: a group stops all its servers, each on request rather than at its next tick."""

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from devstack.serving import ServerGroup


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
