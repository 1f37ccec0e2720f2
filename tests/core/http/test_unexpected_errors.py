"""A fault of ours that escapes the app: one 500 in our error shape, one log line without secrets."""

import io
import json
import sys
from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.core.http.request_id import RequestIdMiddleware
from app.core.http.unexpected_errors import UnexpectedErrorMiddleware
from app.core.observability.logging import configure_logging
from devstack.serving import running_server

SECRET = "s3cr3t-token-in-a-local"  # noqa: S105 - what must never reach the log


async def _broken(request: Request) -> Response:
    authorization = request.headers["authorization"]  # a local holding a credential
    raise RuntimeError(f"broken while handling a token of {len(authorization)} characters")


async def _fine(_: Request) -> Response:
    return Response("fine")


@pytest.fixture
def log() -> Iterator[io.StringIO]:
    output = io.StringIO()
    configure_logging(json=True, stream=output)
    yield output
    configure_logging(json=True, stream=sys.__stdout__)


async def test_an_escaping_error_is_a_coded_500_logged_once_with_its_request_id_and_no_locals(
    log: io.StringIO,
) -> None:
    app = Starlette(
        routes=[Route("/broken", _broken), Route("/fine", _fine)],
        middleware=[Middleware(RequestIdMiddleware), Middleware(UnexpectedErrorMiddleware)],
    )
    async with running_server(app) as url, httpx.AsyncClient(base_url=url) as client:
        broken = await client.get("/broken", headers={"Authorization": f"Bearer {SECRET}", "Cookie": SECRET})
        fine = await client.get("/fine")  # the same pooled connection keeps serving

    request_id = broken.headers["x-request-id"]
    assert broken.status_code == 500
    [error] = broken.json()["errors"]
    assert error == {
        "message": "Internal server error.",
        "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id},
    }
    assert fine.text == "fine"
    lines = [json.loads(line) for line in log.getvalue().splitlines()]
    [logged] = [line for line in lines if line["event"] == "unhandled_error"]
    assert logged["request_id"] == request_id
    assert logged["exception"][0]["exc_type"] == "RuntimeError"
    assert all("locals" not in frame for frame in logged["exception"][0]["frames"])
    assert SECRET not in log.getvalue()
