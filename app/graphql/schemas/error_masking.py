from graphql import GraphQLError
from strawberry.extensions import MaskErrors

from app.core.request_id import current_request_id

INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"


def is_unexpected(error: GraphQLError) -> bool:
    """True for errors a resolver did not raise on purpose.

    Parse and validation errors have no original error, and our typed errors
    (`app.errors`) are GraphQLErrors themselves: both are meant for the client.
    """
    return error.original_error is not None and not isinstance(error.original_error, GraphQLError)


class MaskUnexpectedErrors(MaskErrors):
    """Hides unexpected errors behind a code and the request id the server logged them with."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=is_unexpected, error_message="Internal server error.")

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        masked = super().anonymise_error(error)
        masked.extensions = {"code": INTERNAL_SERVER_ERROR, "requestId": current_request_id()}
        return masked
