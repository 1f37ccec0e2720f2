import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import strawberry
import structlog
from graphql import ASTValidationRule, GraphQLError, NoSchemaIntrospectionCustomRule, OperationDefinitionNode, execute
from opentelemetry import trace
from strawberry.exceptions import MissingQueryError
from strawberry.execution import optimized_is_awaitable
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from app.core.config import GraphQLSettings
from app.errors.classification import is_unexpected
from app.graphql.connections.mutations.connection_mutations import ConnectionMutations
from app.graphql.context import GraphQLContext
from app.graphql.schemas.documents import DocumentCache
from app.graphql.schemas.executor import AcyclicExecutor
from app.graphql.schemas.limits import Limits
from app.graphql.schemas.observability import record_operation
from app.graphql.trusted_documents import TrustedDocuments
from app.graphql.viewer.viewer_queries import ViewerQueries

logger = structlog.get_logger(__name__)
_tracer = trace.get_tracer(__name__)
_ALL_OPERATION_TYPES = frozenset(OperationType)


@strawberry.type
class Query(ViewerQueries):
    pass


@strawberry.type
class Mutation(ConnectionMutations):
    pass


class FlowSchema(strawberry.Schema):
    """Strawberry's schema, executing each operation in one pass of our own.

    Strawberry's `execute` runs every phase (operation, parse, validate, execute) through its
    extension runner, which builds and enters a context manager per phase per extension: more
    CPU than graphql-core's execution of our mutation. Ours does the same steps in a straight
    line: a parsed and validated document from the cache (with our limits), Strawberry's
    request errors for the view (no query, an unknown operation name, a mutation over GET),
    graphql-core's `execute` with Strawberry's resolvers, the unexpected errors logged, then
    one log line, the metrics, and (tracing on) a span for the operation.
    """

    def __init__(
        self, settings: GraphQLSettings, *, tracing: bool = False, trusted: TrustedDocuments | None = None
    ) -> None:
        super().__init__(query=Query, mutation=Mutation, execution_context_class=AcyclicExecutor)
        introspection = settings.graphql_introspection
        self._hide_suggestions = not introspection
        self._tracing = tracing
        self._documents = DocumentCache(
            self._schema,
            max_tokens=settings.graphql_max_tokens,
            # The limits run while parsing and validating, so a hostile document never executes.
            limits=Limits.of(settings),
            rules=_introspection_rules(introspection=introspection),
            hide_suggestions=self._hide_suggestions,
            parsed=trusted.parsed if trusted is not None else None,
        )

    async def execute(
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,  # noqa: ANN401 - Strawberry's signature
        root_value: Any | None = None,  # noqa: ANN401 - Strawberry's signature
        operation_name: str | None = None,
        allowed_operation_types: Iterable[OperationType] | None = None,
        operation_extensions: dict[str, Any] | None = None,  # noqa: ARG002 - none are read
    ) -> ExecutionResult:
        if not query:
            raise MissingQueryError
        started = time.perf_counter()
        with self._operation_span() as span:
            operation, name, result = await self._run(
                query,
                variables=variable_values,
                context=context_value,
                root=root_value,
                operation_name=operation_name,
                allowed=_ALL_OPERATION_TYPES if allowed_operation_types is None else allowed_operation_types,
            )
            if operation is not None and span.is_recording():
                span.update_name(_span_name(operation))
                span.set_attribute("graphql.operation.type", operation.operation.value)
                if operation.name is not None:
                    span.set_attribute("graphql.operation.name", operation.name.value)
        if result.errors:
            self.process_errors(result.errors)
            _drop_answered_tracebacks(result.errors)
        caller = context_value.caller if isinstance(context_value, GraphQLContext) else None
        record_operation(
            operation, operation_name=name, errors=result.errors, seconds=time.perf_counter() - started, caller=caller
        )
        return result

    async def _run(
        self,
        query: str,
        *,
        variables: dict[str, Any] | None,
        context: object,
        root: object,
        operation_name: str | None,
        allowed: Iterable[OperationType],
    ) -> tuple[OperationDefinitionNode | None, str | None, ExecutionResult]:
        """The operation to record (None: the request named none that could run), its name as
        logged (unnamed by the client: the first operation's, as Strawberry named it) and its result.
        Strawberry's request errors (no operation, an unknown name, a type the method does not
        allow) are raised for the view to answer 400, in Strawberry's order: before validation."""
        try:
            prepared = self._documents.prepare(query, operation_name=operation_name)
        except GraphQLError as error:  # it does not parse (GraphQLSyntaxError), or too many tokens
            return None, operation_name, ExecutionResult(data=None, errors=[error])
        except Exception as error:  # noqa: BLE001 - see _fault
            return None, operation_name, _fault(error)
        selected, operation = prepared.selected, prepared.operation
        if selected is None:
            raise CannotGetOperationTypeError(operation_name)
        if OperationType(selected.operation.value) not in allowed:
            raise InvalidOperationTypeError(OperationType(selected.operation.value))
        name = operation_name or (selected.name.value if selected.name is not None else None)
        if prepared.errors:
            return operation, name, ExecutionResult(data=None, errors=prepared.errors)
        try:
            executed = execute(
                self._schema,
                prepared.document,
                root_value=root,
                context_value=context,
                variable_values=variables,
                operation_name=operation_name,
                executor_class=self.execution_context_class,
                is_awaitable=optimized_is_awaitable,  # type: ignore[arg-type] # a bool, not a TypeGuard; Strawberry passes it too
                hide_suggestions=self._hide_suggestions,
            )
            if optimized_is_awaitable(executed):
                executed = await executed  # type: ignore[misc] # graphql-core's union with an awaitable
        except Exception as error:  # noqa: BLE001 - see _fault; a resolver's own errors never get here
            return operation, name, _fault(error)
        return operation, name, ExecutionResult(data=executed.data, errors=executed.errors)  # type: ignore[union-attr]

    def execute_sync(self, *_args: object, **_kwargs: object) -> ExecutionResult:
        # Strawberry's would run without our limits, caches, log line and metrics.
        raise NotImplementedError("FlowSchema runs operations through `execute` only.")

    @contextmanager
    def _operation_span(self) -> Iterator[trace.Span]:
        """Current while the operation runs, so Flow Connect calls nest under it; with tracing off
        not even the no-op span is made current (attaching a context costs per request)."""
        if not self._tracing:
            yield trace.INVALID_SPAN
            return
        with _tracer.start_as_current_span("GraphQL operation", kind=trace.SpanKind.SERVER) as span:
            yield span

    def process_errors(
        self,
        errors: list[GraphQLError],
        execution_context: object = None,  # noqa: ARG002 - the base signature
    ) -> None:
        # Typed errors are answers, not faults; only the unexpected ones are logged, in full.
        for error in errors:
            if is_unexpected(error):
                logger.error("graphql_unexpected_error", path=error.path, exc_info=error.original_error)


def _drop_answered_tracebacks(errors: list[GraphQLError]) -> None:
    """A typed error is an answer (UNAUTHORIZED, CONFLICT, ...), never logged with its traceback.
    That traceback holds the frames that hold the error: a reference cycle per failed request,
    left to the cyclic collector (app.core.observability.gc_tuning) unless dropped here."""
    seen: set[int] = set()  # a chain set by hand can loop
    chained: list[BaseException | None] = [
        raised for error in errors if not is_unexpected(error) for raised in (error, error.original_error)
    ]
    while chained:
        raised = chained.pop()
        if raised is None or id(raised) in seen:
            continue
        seen.add(id(raised))
        raised.__traceback__ = None
        chained += (raised.__cause__, raised.__context__)  # what it was raised from, and while handling


def _fault(error: Exception) -> ExecutionResult:
    """A fault of ours or a library's while preparing or executing an operation (e.g. a library
    that trips over a document it did not expect): answered as Strawberry's `execute`
    answered it, a GraphQL error the view masks as INTERNAL_SERVER_ERROR, logged in full by
    `process_errors` and counted; never an HTTP 500 a client can provoke at will."""
    return ExecutionResult(data=None, errors=[GraphQLError(str(error), original_error=error)])


def _span_name(operation: OperationDefinitionNode) -> str:
    """`{type} {name}`, as OpenTelemetry's GraphQL conventions name an operation's span."""
    kind = operation.operation.value
    return f"{kind} {operation.name.value}" if operation.name is not None else kind


def create_schema(
    settings: GraphQLSettings, *, tracing: bool = False, trusted: TrustedDocuments | None = None
) -> FlowSchema:
    """`trusted`: documents parsed ahead, never parsed again, and checked against the schema here
    (one that does not fit raises ConfigError). `tracing`: a span per operation."""
    schema = FlowSchema(settings, tracing=tracing, trusted=trusted)
    if trusted is not None:
        trusted.check(schema._schema)  # noqa: SLF001 - graphql-core's schema, which documents are validated against
    return schema


def _introspection_rules(*, introspection: bool) -> list[type[ASTValidationRule]]:
    return [] if introspection else [NoSchemaIntrospectionCustomRule]
