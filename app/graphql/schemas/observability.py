"""One canonical log line and the metrics for every GraphQL operation."""

import logging
import time
from collections.abc import Iterator

import structlog
from graphql import FieldNode, OperationDefinitionNode
from strawberry.extensions import SchemaExtension

from app.core.observability.logging import is_enabled_for
from app.core.observability.metrics import graphql_duration, graphql_requests
from app.errors.classification import REQUEST_ERROR_CODES, error_code
from app.graphql.context import GraphQLContext

logger = structlog.get_logger(__name__)

MAX_LOGGED_NAME_LENGTH = 100


class RequestObservability(SchemaExtension):
    """Listed first, so its duration spans every other extension's work."""

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        yield
        duration = time.perf_counter() - started
        context = self.execution_context
        operation = _operation(context.graphql_document, context.operation_name)
        operation_type = operation.operation.value if operation else "unknown"
        codes = [error_code(error) for error in getattr(context.result, "errors", None) or ()]
        # Only a valid document's field names are bounded by the schema; anything else would let
        # clients mint metric series at will.
        valid = not REQUEST_ERROR_CODES.intersection(codes)
        root_field = _root_field(operation) if valid else "invalid"
        graphql_requests(operation_type, root_field, codes[0] if codes else "OK").inc()
        graphql_duration(operation_type, root_field).observe(duration)
        if not is_enabled_for(__name__, logging.INFO):  # skips building the event below LOG_LEVEL
            return
        caller = context.context.caller if isinstance(context.context, GraphQLContext) else None
        logger.info(
            "graphql_request",
            operation_type=operation_type,
            operation_name=(context.operation_name or "")[:MAX_LOGGED_NAME_LENGTH] or None,
            root_field=root_field,
            duration_ms=round(duration * 1000, 2),
            error_codes=codes,
            flow_user_id=str(caller.flow_user_id) if caller is not None else None,
        )


def record_rejected_request(code: str) -> None:
    """Counts and logs a request refused before GraphQL saw it (its body could not be read)."""
    graphql_requests("unknown", "invalid", code).inc()
    if is_enabled_for(__name__, logging.INFO):
        logger.info(
            "graphql_request",
            operation_type="unknown",
            operation_name=None,
            root_field="invalid",
            duration_ms=None,
            error_codes=[code],
            flow_user_id=None,
        )


def _operation(document: object, name: str | None) -> OperationDefinitionNode | None:
    definitions = getattr(document, "definitions", ())
    operations = [d for d in definitions if isinstance(d, OperationDefinitionNode)]
    if name is not None:
        return next((o for o in operations if o.name and o.name.value == name), None)
    return operations[0] if len(operations) == 1 else None


def _root_field(operation: OperationDefinitionNode | None) -> str:
    """The operation's first root field (its name, not its alias)."""
    if operation is None:
        return "unknown"
    first = next((s for s in operation.selection_set.selections if isinstance(s, FieldNode)), None)
    return first.name.value if first is not None else "unknown"
