"""A call is named by its route template: ids travel percent-encoded in one path segment, spans,
metrics and log lines carry the template, and the transport keeps nothing per path."""

import asyncio
import uuid
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client import REGISTRY
from starlette.types import Receive, Scope, Send

from app.core.config import FlowConnectApiSettings
from app.core.flow_connect_api import FlowConnectApiClient, create_flow_connect_breaker, create_flow_connect_transport
from app.core.observability.logging import configure_logging
from app.errors import BadUserInputError
from devstack.serving import ServerGroup
from tests.fixtures.flow_connect import caller, flow_connect_api_client
from tests.fixtures.logs import CapturedLogs
from tests.fixtures.raw_upstream import Exchange, raw_upstream
from tests.fixtures.retained import retained_bytes
from tests.fixtures.tracing import client_spans, recording_spans

REQUEST = "/connections/requests/{id}"


class RawPaths:
    """An upstream that records each request's path exactly as it came over the wire."""

    def __init__(self) -> None:
        self.paths: list[bytes] = []

    async def __call__(self, scope: Scope, _receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        self.paths.append(scope["raw_path"])
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})


@pytest.fixture(scope="module")
def spans() -> InMemorySpanExporter:
    return recording_spans()


@pytest.fixture
def json_logs(logs: CapturedLogs) -> CapturedLogs:
    """Log lines as production writes them, to the captured standard output."""
    configure_logging(json=True, level="INFO")
    return logs


# Anything a client may put in an id: path and query syntax, escapes, dots, non-ASCII.
IDS = st.text(st.characters(codec="utf-8"), min_size=1, max_size=20).filter(lambda text: text not in {".", ".."})


@given(identifier=IDS)
@example(identifier="a/b")
@example(identifier="../../admin")
@example(identifier="x?y=1#z")
@example(identifier="%2F")
@example(identifier="...")
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
async def test_an_id_is_one_path_segment_whatever_it_holds(servers: ServerGroup, identifier: str) -> None:
    upstream = RawPaths()
    url = await servers.start(upstream)
    async with flow_connect_api_client(url) as client:
        response = await client.request("DELETE", REQUEST, path_params={"id": identifier})

    assert response.status_code == 204
    [raw] = upstream.paths
    prefix = b"/connections/requests/"
    assert raw.startswith(prefix)
    segment = raw.removeprefix(prefix)
    assert not {"/", "?", "#"} & set(segment.decode("ascii"))
    assert segment.decode("ascii") == _percent_encoded(identifier)


def _percent_encoded(text: str) -> str:
    """The oracle, written apart from the app's: every byte but ASCII letters, digits, `-._~`."""
    keep = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~"
    return "".join(chr(byte) if byte in keep else f"%{byte:02X}" for byte in text.encode())


@pytest.mark.parametrize("identifier", ["", ".", ".."])
async def test_an_id_that_would_be_a_dot_segment_or_nothing_is_refused(servers: ServerGroup, identifier: str) -> None:
    upstream = RawPaths()
    url = await servers.start(upstream)
    async with flow_connect_api_client(url) as client:
        with pytest.raises(BadUserInputError):
            await client.request("DELETE", REQUEST, path_params={"id": identifier})
    assert upstream.paths == []


async def test_a_template_must_be_filled_exactly(servers: ServerGroup) -> None:
    url = await servers.start(RawPaths())
    async with flow_connect_api_client(url) as client:
        with pytest.raises(ValueError, match="id"):
            await client.request("DELETE", REQUEST)
        with pytest.raises(ValueError, match="extra"):
            await client.request("DELETE", REQUEST, path_params={"id": "1", "extra": "2"})


async def test_span_metric_and_log_line_name_the_template(
    servers: ServerGroup, spans: InMemorySpanExporter, json_logs: CapturedLogs
) -> None:
    url = await servers.start(RawPaths())
    labels = {"route": f"DELETE {REQUEST}", "status_class": "2xx"}
    before = REGISTRY.get_sample_value("flow_api_flow_connect_requests_total", labels) or 0.0
    spans.clear()
    identifiers = [str(uuid.uuid4()) for _ in range(3)]

    async with flow_connect_api_client(url) as client:
        for identifier in identifiers:
            await client.request("DELETE", REQUEST, path_params={"id": identifier})

    assert {span.name for span in client_spans(spans)} == {f"DELETE {REQUEST}"}
    assert REGISTRY.get_sample_value("flow_api_flow_connect_requests_total", labels) == before + 3
    lines = json_logs.events("flow_connect_call")
    assert [line["route"] for line in lines] == [REQUEST] * 3
    assert not any(identifier in json_logs.text for identifier in identifiers)


def _ids(count: int) -> Iterator[str]:
    return (str(uuid.uuid4()) for _ in range(count))


async def _call_each(client: FlowConnectApiClient, identifiers: Iterator[str]) -> None:
    batch = list(identifiers)
    for start in range(0, len(batch), 50):
        await asyncio.gather(
            *(client.request("GET", REQUEST, path_params={"id": one}) for one in batch[start : start + 50])
        )


async def test_thousands_of_ids_leave_the_transport_as_it_was() -> None:
    async def answer(exchange: Exchange) -> None:
        await exchange.respond(200, b"{}")

    async with raw_upstream(answer) as (_, url):
        settings = FlowConnectApiSettings(flow_connect_api_url=url, flow_connect_api_timeout=5)
        async with create_flow_connect_transport(settings) as transport:
            client = FlowConnectApiClient(
                transport=transport,
                breaker=create_flow_connect_breaker(settings),
                auth_info=caller(),
                settings=settings,
            )
            await _call_each(client, _ids(100))  # the pool and every lazily built part in place
            before = retained_bytes(transport)
            await _call_each(client, _ids(2_000))
            assert retained_bytes(transport) == before
