"""Traces: a span per GraphQL operation, a client span per Flow Connect call, and W3C
`traceparent` sent upstream so Flow Connect's spans join the same trace."""

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tests.conftest import ApiFactory, RunningUpstream
from tests.fixtures.identity import RunningIdentityProvider
from tests.fixtures.tracing import recording_spans

CREATE = 'mutation Connect { createConnection(targetOrgId: "9133da7c-3b98-4673-91dc-0dc58cc8740c") }'


@pytest.fixture(scope="session")
def spans() -> InMemorySpanExporter:
    return recording_spans()


async def test_upstream_joins_the_graphql_operation_trace(
    spans: InMemorySpanExporter, start_api: ApiFactory, idp: RunningIdentityProvider, upstream: RunningUpstream
) -> None:
    api = await start_api()
    spans.clear()

    response = await api.execute(CREATE, token=idp.token())

    assert response.body == {"data": {"createConnection": True}}
    finished = spans.get_finished_spans()
    [client_span] = [s for s in finished if s.kind == trace.SpanKind.CLIENT]
    [operation_span] = [s for s in finished if s.parent is None]
    assert client_span.name == "POST /connections/requests"
    assert client_span.attributes is not None
    assert client_span.attributes["http.response.status_code"] == 201
    assert operation_span.name == "mutation Connect"  # OpenTelemetry's GraphQL conventions
    assert operation_span.attributes is not None
    assert operation_span.attributes["graphql.operation.type"] == "mutation"
    version, trace_id, parent_id, _flags = upstream.fake.requests[0].headers["traceparent"].split("-")
    assert version == "00"
    assert client_span.context is not None
    assert operation_span.context is not None
    assert int(trace_id, 16) == operation_span.context.trace_id == client_span.context.trace_id
    assert int(parent_id, 16) == client_span.context.span_id
