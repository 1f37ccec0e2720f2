"""FlowSchema: Strawberry's schema, whose `execute` leaves Strawberry's execution when nothing needs it.

With no extension and no directive configured, an operation runs in one straight pass of ours
(`straight_pass.py`); with any, it runs through Strawberry's own `execute`, so they run as
Strawberry runs them, with our document cache and limits as an extension (`cached_documents.py`).
Either way: one span (tracing on), one log line and the metrics per operation.
"""

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import strawberry
from graphql import (
    ASTValidationRule,
    DocumentNode,
    GraphQLError,
    NoSchemaIntrospectionCustomRule,
    OperationDefinitionNode,
)
from opentelemetry import trace
from strawberry.directive import StrawberryDirective
from strawberry.exceptions import MissingQueryError
from strawberry.extensions import DisableValidation, MaxTokensLimiter, ParserCache, SchemaExtension, ValidationCache
from strawberry.types import ExecutionResult
from strawberry.types.execution import ExecutionContext
from strawberry.types.graphql import OperationType

from app.core.config import ConfigError, GraphQLSettings
from app.graphql.context import GraphQLContext
from app.graphql.schemas.cached_documents import CachedDocuments
from app.graphql.schemas.documents import DocumentCache
from app.graphql.schemas.limits import Limits
from app.graphql.schemas.observability import record_operation
from app.graphql.schemas.operation_errors import drop_answered_tracebacks, log_unexpected
from app.graphql.schemas.strawberry_boundary.executor import AcyclicExecutor
from app.graphql.schemas.strawberry_boundary.straight_pass import Ran, run_straight

_tracer = trace.get_tracer(__name__)
_ALL_OPERATION_TYPES = frozenset(OperationType)
# Strawberry's extensions that would parse or validate past our limits and cache, or turn them off.
_REPLACED_BY_OURS = (ParserCache, ValidationCache, MaxTokensLimiter, DisableValidation)

Extension = type[SchemaExtension] | Callable[[], SchemaExtension]


class FlowSchema(strawberry.Schema):
    def __init__(
        self,
        query: type,
        mutation: type,
        settings: GraphQLSettings,
        *,
        tracing: bool = False,
        parsed: Mapping[str, DocumentNode] | None = None,
        extensions: Sequence[Extension] = (),
        directives: Sequence[StrawberryDirective[Any]] = (),
    ) -> None:
        """`parsed`: documents parsed ahead (trusted documents), by text. Raises ConfigError for
        an extension that would undo our limits."""
        # Read on every operation, so the same-process A/B of docs/departures.md can switch it.
        self.stock_execution = bool(extensions or directives)
        ours = [self._cached_documents] if self.stock_execution else []
        # First: our token limit is in place before any other extension parses.
        super().__init__(
            query=query,
            mutation=mutation,
            directives=directives,
            extensions=[*ours, *extensions],
            execution_context_class=AcyclicExecutor,
        )
        self._hide_suggestions = not settings.graphql_introspection
        self._tracing = tracing
        self._documents = DocumentCache(
            self._schema,
            max_tokens=settings.graphql_max_tokens,
            # The limits run while parsing and validating, so a hostile document never executes.
            limits=Limits.of(settings),
            operation_rules=ExecutionContext(query=None, schema=self, allowed_operations=()).validation_rules,
            rules=_introspection_rules(introspection=settings.graphql_introspection),
            hide_suggestions=self._hide_suggestions,
            parsed=parsed,
        )
        # Built once here as Strawberry builds them per operation, to see what each is.
        for extension in self.get_extensions():
            if isinstance(extension, _REPLACED_BY_OURS):
                name = type(extension).__name__
                raise ConfigError(f"Strawberry's {name} cannot run here: FlowSchema parses and validates itself")

    def _cached_documents(self) -> CachedDocuments:
        return CachedDocuments(self._documents)

    async def execute(
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,  # noqa: ANN401 - Strawberry's signature
        root_value: Any | None = None,  # noqa: ANN401 - Strawberry's signature
        operation_name: str | None = None,
        allowed_operation_types: Iterable[OperationType] | None = None,
        operation_extensions: dict[str, Any] | None = None,
    ) -> ExecutionResult:
        if not query:
            raise MissingQueryError
        started = time.perf_counter()
        with self._operation_span() as span:
            if self.stock_execution:
                result = await super().execute(
                    query,
                    variable_values,
                    context_value,
                    root_value,
                    operation_name,
                    allowed_operation_types,
                    operation_extensions,
                )
                ran = self._ran(query, operation_name, result)
            else:
                ran = await run_straight(
                    self._documents,
                    self._schema,
                    self.execution_context_class,
                    query,
                    variables=variable_values,
                    context=context_value,
                    root=root_value,
                    operation_name=operation_name,
                    allowed=_ALL_OPERATION_TYPES if allowed_operation_types is None else allowed_operation_types,
                    operation_extensions=operation_extensions,
                    hide_suggestions=self._hide_suggestions,
                )
                if ran.result.errors:
                    self.process_errors(ran.result.errors)  # Strawberry's `execute` calls it itself
            if ran.operation is not None and span.is_recording():
                span.update_name(_span_name(ran.operation))
                span.set_attribute("graphql.operation.type", ran.operation.operation.value)
                if ran.operation.name is not None:
                    span.set_attribute("graphql.operation.name", ran.operation.name.value)
        errors = ran.result.errors
        if errors:
            drop_answered_tracebacks(errors)
        caller = context_value.caller if isinstance(context_value, GraphQLContext) else None
        record_operation(
            ran.operation, operation_name=ran.name, errors=errors, seconds=time.perf_counter() - started, caller=caller
        )
        return ran.result

    def _ran(self, query: str, operation_name: str | None, result: ExecutionResult) -> Ran:
        """What Strawberry's `execute` ran, told by the cache it parsed through (a cache hit)."""
        try:
            prepared = self._documents.prepare(query, operation_name=operation_name)
        except GraphQLError:
            return Ran(None, operation_name, result)
        selected = prepared.selected
        name = operation_name or (selected.name.value if selected is not None and selected.name else None)
        return Ran(prepared.operation, name, result)

    def execute_sync(self, *_args: object, **_kwargs: object) -> ExecutionResult:
        # Strawberry's would run without our limits, caches, log line and metrics.
        raise NotImplementedError("FlowSchema runs operations through `execute` only.")

    def _operation_span(self) -> AbstractContextManager[trace.Span]:
        """Current while the operation runs, so Flow Connect calls nest under it; with tracing off
        not even the no-op span is made current (attaching a context costs per request)."""
        if not self._tracing:
            return nullcontext(trace.INVALID_SPAN)  # a class, not a generator: no frame to run
        return _tracer.start_as_current_span("GraphQL operation", kind=trace.SpanKind.SERVER)

    def process_errors(
        self,
        errors: list[GraphQLError],
        execution_context: ExecutionContext | None = None,  # noqa: ARG002 - the base signature
    ) -> None:
        log_unexpected(errors)


def _span_name(operation: OperationDefinitionNode) -> str:
    """`{type} {name}`, as OpenTelemetry's GraphQL conventions name an operation's span."""
    kind = operation.operation.value
    return f"{kind} {operation.name.value}" if operation.name is not None else kind


def _introspection_rules(*, introspection: bool) -> list[type[ASTValidationRule]]:
    return [] if introspection else [NoSchemaIntrospectionCustomRule]
