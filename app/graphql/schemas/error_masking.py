from graphql import GraphQLError

from app.core.request_id import current_request_id

INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"
_MASKED_MESSAGE = "Internal server error."


def is_unexpected(error: GraphQLError) -> bool:
    """True for errors a resolver did not raise on purpose.

    Parse and validation errors have no original error, and our typed errors
    (`app.errors`) are GraphQLErrors themselves: both are meant for the client.
    """
    return error.original_error is not None and not isinstance(error.original_error, GraphQLError)


def mask_unexpected(errors: list[GraphQLError]) -> list[GraphQLError]:
    """Unexpected errors keep their place in the response, not their message: a code and the
    request id the server logged them with (`FlowSchema.process_errors`) take its place.

    Done where results leave the server (the HTTP view) rather than by Strawberry's MaskErrors
    extension: one extension fewer per operation (README, Performance).
    """
    return [_masked(error) if is_unexpected(error) else error for error in errors]


def _masked(error: GraphQLError) -> GraphQLError:
    return GraphQLError(
        _MASKED_MESSAGE,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions={"code": INTERNAL_SERVER_ERROR, "requestId": current_request_id()},
    )
