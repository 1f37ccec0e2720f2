"""One canonical log line and the metrics for every GraphQL operation."""

from graphql import FieldNode, GraphQLError, OperationDefinitionNode

from app.auth import AuthInfo
from app.core.observability.logging import CanonicalLine
from app.core.observability.metrics import graphql_duration, graphql_requests
from app.errors.classification import REQUEST_ERROR_CODES, error_code

_request_line = CanonicalLine(__name__, "graphql_request")

MAX_LOGGED_NAME_LENGTH = 100


def record_operation(
    operation: OperationDefinitionNode | None,
    *,
    operation_name: str | None,
    errors: list[GraphQLError] | None,
    seconds: float,
    caller: AuthInfo | None,
) -> None:
    """Counts and logs one operation once it has an answer; `operation` is None when the request
    named none that could run (it did not parse, or named one the document lacks)."""
    codes = [error_code(error) for error in errors or ()]
    # Only a valid document's field names are bounded by the schema; anything else would let
    # clients mint metric series at will.
    valid = not REQUEST_ERROR_CODES.intersection(codes)
    _record(
        operation.operation.value if operation is not None else "unknown",
        _root_field(operation) if valid else "invalid",
        codes,
        operation_name=operation_name,
        seconds=seconds,
        caller=caller,
    )


def record_rejected_request(code: str) -> None:
    """Counts and logs a request refused before GraphQL saw it (its body could not be read)."""
    _record("unknown", "invalid", [code], operation_name=None, seconds=None, caller=None)


def _record(
    operation_type: str,
    root_field: str,
    codes: list[str],
    *,
    operation_name: str | None,
    seconds: float | None,
    caller: AuthInfo | None,
) -> None:
    """The metrics and the `graphql_request` line; no duration for a request never executed."""
    graphql_requests(operation_type, root_field, codes[0] if codes else "OK").inc()
    if seconds is not None:
        graphql_duration(operation_type, root_field).observe(seconds)
    if not _request_line.enabled():
        return
    _request_line(
        operation_type=operation_type,
        operation_name=(operation_name or "")[:MAX_LOGGED_NAME_LENGTH] or None,
        root_field=root_field,
        duration_ms=round(seconds * 1000, 2) if seconds is not None else None,
        error_codes=codes,
        flow_user_id=str(caller.flow_user_id) if caller is not None else None,
    )


def _root_field(operation: OperationDefinitionNode | None) -> str:
    """The operation's first root field (its name, not its alias)."""
    if operation is None:
        return "unknown"
    first = next((s for s in operation.selection_set.selections if isinstance(s, FieldNode)), None)
    return first.name.value if first is not None else "unknown"
