"""What an error means to a client, answered once for the response, the log line and the metrics.

code                         for
<AppError.code>              errors we raise on purpose (`app.errors.common_errors`)
GRAPHQL_PARSE_FAILED         a document that is not GraphQL, or longer than the token limit
GRAPHQL_VALIDATION_FAILED    a document that does not fit the schema or our limits
INTERNAL_SERVER_ERROR        anything else: a fault of ours, masked, logged in full
BAD_REQUEST                  (outside GraphQL) an HTTP request whose body cannot be read
SHUTTING_DOWN                (outside GraphQL) a request cut by the graceful shutdown's deadline
"""

from graphql import GraphQLError, GraphQLSyntaxError

from app.core.http import responses
from app.core.http.request_id import current_request_id

GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
# Defined with the HTTP edge, which answers with them without loading GraphQL.
INTERNAL_SERVER_ERROR = responses.INTERNAL_SERVER_ERROR
BAD_REQUEST = responses.BAD_REQUEST
# Nothing was executed: the document itself was refused.
REQUEST_ERROR_CODES = frozenset({GRAPHQL_PARSE_FAILED, GRAPHQL_VALIDATION_FAILED})
_MASKED_MESSAGE = "Internal server error."


def is_unexpected(error: GraphQLError) -> bool:
    """True for errors a resolver did not raise on purpose: our typed errors are GraphQLErrors
    themselves, and parse and validation errors have no original error."""
    return error.original_error is not None and not isinstance(error.original_error, GraphQLError)


def error_code(error: GraphQLError) -> str:
    if is_unexpected(error):
        return INTERNAL_SERVER_ERROR
    code = (error.extensions or {}).get("code")
    if isinstance(code, str):
        return code
    return GRAPHQL_PARSE_FAILED if isinstance(error, GraphQLSyntaxError) else GRAPHQL_VALIDATION_FAILED


def for_client(errors: list[GraphQLError]) -> list[GraphQLError]:
    """Every error with its code; an unexpected one keeps only its place in the response, with the
    request id the server logged it under in place of its message."""
    return [error if _has_code(error) else _coded(error) for error in errors]


def _has_code(error: GraphQLError) -> bool:
    return not is_unexpected(error) and isinstance((error.extensions or {}).get("code"), str)


def _coded(error: GraphQLError) -> GraphQLError:
    code = error_code(error)
    if code == INTERNAL_SERVER_ERROR:
        message, extensions = _MASKED_MESSAGE, {"code": code, "requestId": current_request_id()}
    else:
        message, extensions = error.message, {**(error.extensions or {}), "code": code}
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions=extensions,
    )
