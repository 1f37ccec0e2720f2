"""A request leaves nothing for the cyclic collector: the young-generation threshold of
app.core.observability.gc_tuning counts on it (app.graphql.schemas.strawberry_boundary.executor says why)."""

import asyncio
import gc
from collections.abc import Iterator
from contextlib import contextmanager

import aioinject
import pytest
from graphql import ExecutionResult, GraphQLError, build_schema, execute, parse
from graphql.execution import Executor
from starlette.requests import Request

from app.errors import ConflictError
from app.graphql.context import GraphQLContext
from app.graphql.schemas.operation_errors import drop_answered_tracebacks
from app.graphql.schemas.strawberry_boundary.executor import AcyclicExecutor
from tests.conftest import RunningUpstream
from tests.fixtures.graphql_client import GraphQLClient
from tests.fixtures.identity import RunningIdentityProvider
from tests.fixtures.operations import CREATE_CONNECTION_TO_GLOBEX

# What one request builds and holds for its whole run: left in a cycle, everything it refers to is too.
_PER_REQUEST = (Request, GraphQLContext, aioinject.Context, Executor)


@contextmanager
def cyclic_garbage() -> Iterator[None]:
    """What the cyclic collector would free of what the block made goes to `gc.garbage`, kept."""
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        yield
        gc.collect()
    finally:
        gc.set_debug(0)
        gc.enable()


@pytest.fixture
def garbage() -> Iterator[list[object]]:
    """`gc.garbage`, emptied after the test."""
    yield gc.garbage
    gc.garbage.clear()


def _per_request(objects: list[object]) -> list[str]:
    return [type(obj).__qualname__ for obj in objects if isinstance(obj, _PER_REQUEST)]


async def test_a_mutation_and_its_typed_errors_leave_no_reference_cycle(
    api: GraphQLClient, idp: RunningIdentityProvider, upstream: RunningUpstream, garbage: list[object]
) -> None:
    token = idp.token()
    await api.execute(CREATE_CONNECTION_TO_GLOBEX, token=token)  # caches filled: those live on

    with cyclic_garbage():
        created = await api.execute(CREATE_CONNECTION_TO_GLOBEX, token=token)
        anonymous = await api.execute(CREATE_CONNECTION_TO_GLOBEX)
        not_a_uuid = await api.execute('mutation { createConnection(targetOrgId: "nope") }', token=token)
        upstream.fake.respond(409, b'{"message": "exists"}')
        conflict = await api.execute(CREATE_CONNECTION_TO_GLOBEX, token=token)

    assert created.data == {"createConnection": True}
    assert [anonymous.error_codes, not_a_uuid.error_codes, conflict.error_codes] == [
        ["UNAUTHORIZED"],
        ["BAD_USER_INPUT"],
        ["CONFLICT"],
    ]
    assert _per_request(garbage) == []


async def test_cyclic_garbage_is_seen(garbage: list[object]) -> None:
    """The check above can fail: a request object in a cycle is found."""
    with cyclic_garbage():
        cycle: list[object] = [Request({"type": "http"})]
        cycle.append(cycle)
        del cycle

    assert _per_request(garbage) == ["Request"]


async def test_a_sibling_still_settling_after_a_failed_field_resolves_its_sub_fields() -> None:
    """The executor keeps its helpers while work it started still runs in the background."""
    resolved: list[str] = []
    settled = asyncio.Event()

    async def slow_a(*_: object) -> dict[str, str]:
        await asyncio.sleep(0)
        return {"x": "x"}

    def x(source: dict[str, str], *_: object) -> str:
        resolved.append("x")
        settled.set()
        return source["x"]

    def failing_b(*_: object) -> str:
        raise ValueError("b failed")

    schema = build_schema("type A { x: String } type Query { a: A b: String! }")
    schema.query_type.fields["a"].resolve = slow_a  # type: ignore[union-attr]
    schema.query_type.fields["b"].resolve = failing_b  # type: ignore[union-attr]
    schema.get_type("A").fields["x"].resolve = x  # type: ignore[union-attr]

    # b fails at once and nulls the whole result, while a still runs: graphql-core answers now.
    result = execute(schema, parse("{ a { x } b }"), executor_class=AcyclicExecutor)
    assert isinstance(result, ExecutionResult)
    await asyncio.wait_for(settled.wait(), timeout=5)

    assert result.data is None
    assert [error.message for error in result.errors or ()] == ["b failed"]
    assert resolved == ["x"]


def test_dropping_tracebacks_ends_on_a_chain_that_loops() -> None:
    first, second = ConflictError("first"), ConflictError("second")
    first.__context__, second.__context__ = second, first
    try:
        raise first
    except ConflictError as raised:
        error = GraphQLError("conflict", original_error=raised)

    drop_answered_tracebacks([error])

    assert first.__traceback__ is None
