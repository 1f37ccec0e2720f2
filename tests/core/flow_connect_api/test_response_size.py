"""An answer longer than FLOW_CONNECT_API_MAX_RESPONSE_BYTES is a typed error naming the limit,
whether its length was declared or it came chunked: never a cut body read as if whole."""

from collections.abc import Awaitable, Callable

import pydantic
import pytest

from app.core.config import FlowConnectApiSettings
from app.errors import RemoteApiError
from tests.fixtures.flow_connect import flow_connect_api_client
from tests.fixtures.logs import CapturedLogs
from tests.fixtures.raw_upstream import Exchange, raw_upstream

LIMIT = 64 * 1024
Framing = Callable[[bytes, Exchange], Awaitable[None]]


async def _declared(body: bytes, exchange: Exchange) -> None:
    await exchange.respond(200, body, {"Content-Type": "application/json"})


async def _chunked(body: bytes, exchange: Exchange) -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    chunks = [body[start : start + 4096] for start in range(0, len(body), 4096)]
    await exchange.send(head + b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for chunk in chunks) + b"0\r\n\r\n")


def _json_of(size: int) -> bytes:
    """A JSON list exactly `size` bytes long."""
    return b'["' + b"x" * (size - 4) + b'"]'


@pytest.mark.parametrize("framing", [_declared, _chunked], ids=["content-length", "chunked"])
async def test_an_answer_over_the_limit_is_a_remote_api_error_naming_it(framing: Framing, logs: CapturedLogs) -> None:
    body = _json_of(LIMIT + 1)

    async def answer(exchange: Exchange) -> None:
        await framing(body, exchange)

    async with raw_upstream(answer) as (_, url), flow_connect_api_client(url) as client:
        with pytest.raises(RemoteApiError) as raised:
            await client.request("GET", "/connections/requests")

    assert str(raised.value) == "The Flow Connect API answered with more than 65536 bytes, the most this API reads."
    [line] = logs.events("flow_connect_call")
    assert line["status"] == 200
    assert line["error"] == "ResponseTooLargeError"


@pytest.mark.parametrize("framing", [_declared, _chunked], ids=["content-length", "chunked"])
async def test_an_answer_of_exactly_the_limit_is_read_whole(framing: Framing) -> None:
    body = _json_of(LIMIT)

    async def answer(exchange: Exchange) -> None:
        await framing(body, exchange)

    async with raw_upstream(answer) as (_, url), flow_connect_api_client(url) as client:
        response = await client.request("GET", "/connections/requests")

    assert response.content == body
    assert response.json() == [body[2:-2].decode()]


async def test_the_limit_is_a_setting_with_a_range() -> None:
    url = "http://127.0.0.1:1"
    assert FlowConnectApiSettings(flow_connect_api_url=url).flow_connect_api_max_response_bytes == LIMIT
    for wrong in (1023, 64 * 1024 * 1024 + 1):
        with pytest.raises(pydantic.ValidationError, match="flow_connect_api_max_response_bytes"):
            FlowConnectApiSettings(flow_connect_api_url=url, flow_connect_api_max_response_bytes=wrong)
