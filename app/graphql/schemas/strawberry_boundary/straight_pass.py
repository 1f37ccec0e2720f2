"""An operation run in one straight pass: graphql-core's `execute` with Strawberry's resolvers.

This replaces the inside of Strawberry's `Schema.execute`, which runs every phase (operation,
parse, validate, execute) through its extension runner, building and entering a context manager
per phase per extension. FlowSchema takes this pass only when no extension or directive is
configured (`flow_schema.py`); docs/departures.md has its measured gain and its guard tests.
"""

from collections.abc import Iterable
from typing import Any, NamedTuple

from graphql import GraphQLError, GraphQLSchema, OperationDefinitionNode, execute
from graphql.execution import Executor
from strawberry.execution import optimized_is_awaitable
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from app.graphql.schemas.documents import DocumentCache
from app.graphql.schemas.operation_errors import fault


class Ran(NamedTuple):
    # None: the request named no operation that could run (it did not parse, or named one the
    # document lacks).
    operation: OperationDefinitionNode | None
    # As logged; unnamed by the client: the first operation's, as Strawberry names it.
    name: str | None
    result: ExecutionResult


async def run_straight(  # noqa: PLR0913 - Strawberry's `execute` arguments, and what runs them
    documents: DocumentCache,
    schema: GraphQLSchema,
    executor: type[Executor[Any]],
    query: str,
    *,
    variables: dict[str, Any] | None,
    context: object,
    root: object,
    operation_name: str | None,
    allowed: Iterable[OperationType],
    operation_extensions: dict[str, Any] | None,
    hide_suggestions: bool,
) -> Ran:
    """Strawberry's request errors (no operation, an unknown name, a type the method does not
    allow) are raised for the view to answer 400, in Strawberry's order: before validation."""
    try:
        prepared = documents.prepare(query, operation_name=operation_name)
    except GraphQLError as error:  # it does not parse (GraphQLSyntaxError), or too many tokens
        return Ran(None, operation_name, ExecutionResult(data=None, errors=[error]))
    except Exception as error:  # noqa: BLE001 - see `fault`
        return Ran(None, operation_name, fault(error))
    selected, operation = prepared.selected, prepared.operation
    if selected is None:
        raise CannotGetOperationTypeError(operation_name)
    if OperationType(selected.operation.value) not in allowed:
        raise InvalidOperationTypeError(OperationType(selected.operation.value))
    name = operation_name or (selected.name.value if selected.name is not None else None)
    if prepared.errors:
        return Ran(operation, name, ExecutionResult(data=None, errors=prepared.errors))
    try:
        executed = execute(
            schema,
            prepared.document,
            root_value=root,
            context_value=context,
            variable_values=variables,
            operation_name=operation_name,
            executor_class=executor,
            is_awaitable=optimized_is_awaitable,  # type: ignore[arg-type] # a bool, not a TypeGuard; Strawberry passes it too
            hide_suggestions=hide_suggestions,
            # Strawberry's executor takes them, for `info.input_extensions`.
            operation_extensions=operation_extensions,
        )
        if optimized_is_awaitable(executed):
            executed = await executed  # type: ignore[misc] # graphql-core's union with an awaitable
    except Exception as error:  # noqa: BLE001 - see `fault`; a resolver's own errors never get here
        return Ran(operation, name, fault(error))
    return Ran(operation, name, ExecutionResult(data=executed.data, errors=executed.errors))  # type: ignore[union-attr]
