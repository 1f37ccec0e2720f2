"""Guard for the `_content` departure (docs/departures.md, "httpx"): the response we build is the
one httpx's public constructor builds, for any body. Fails once httpx keeps a read body elsewhere."""

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.flow_connect_api.transport import buffered_response

HEADERS = [(b"content-type", b"application/json"), (b"x-request-id", b"r1")]


def _public(status: int, body: bytes) -> httpx.Response:
    return httpx.Response(status, headers=HEADERS, content=body)


@settings(max_examples=60, derandomize=True)
@given(status=st.sampled_from([200, 201, 400, 404, 409, 503]), body=st.binary(max_size=300))
def test_the_buffered_response_is_the_one_httpx_builds(status: int, body: bytes) -> None:
    ours, public = buffered_response(status, HEADERS, body), _public(status, body)

    assert (ours.status_code, ours.content, ours.text, ours.encoding) == (
        public.status_code,
        public.content,
        public.text,
        public.encoding,
    )
    assert ours.headers.multi_items() == public.headers.multi_items()
    assert (ours.is_stream_consumed, ours.is_closed) == (public.is_stream_consumed, public.is_closed) == (True, True)
    assert ours.read() == public.read() == body
    assert b"".join(ours.iter_bytes()) == b"".join(public.iter_bytes()) == body


@pytest.mark.parametrize("body", [b'{"message":"taken"}', b"[1, 2]"])
def test_json_reads_the_same(body: bytes) -> None:
    assert buffered_response(409, HEADERS, body).json() == _public(409, body).json()


async def test_an_async_reader_gets_the_body_too() -> None:
    assert await buffered_response(201, HEADERS, b'{"id":"r1"}').aread() == b'{"id":"r1"}'
