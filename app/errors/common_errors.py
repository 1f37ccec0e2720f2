"""The one error hierarchy that reaches GraphQL clients.

    StrawberryGraphQLError
     └── AppError                      every error we raise on purpose
          ├── UnauthorizedError        UNAUTHORIZED
          ├── NotFoundError            NOT_FOUND
          ├── ConflictError            CONFLICT
          ├── BadUserInputError        BAD_USER_INPUT
          ├── ServiceUnavailableError  SERVICE_UNAVAILABLE
          └── RemoteApiError           REMOTE_API_ERROR (+ statusCode when one was received)

Each class carries a stable ``extensions.code``. Anything else that escapes a
resolver is masked to ``INTERNAL_SERVER_ERROR`` (see ``app.errors.classification``).
"""

from collections.abc import Iterable
from typing import Any, ClassVar

from strawberry.exceptions import StrawberryGraphQLError


class AppError(StrawberryGraphQLError):
    code: ClassVar[str]
    default_message: ClassVar[str]

    def __init__(self, message: str | None = None, *, extensions: dict[str, Any] | None = None) -> None:
        super().__init__(message or self.default_message, extensions={"code": self.code, **(extensions or {})})


class UnauthorizedError(AppError):
    code = "UNAUTHORIZED"
    default_message = "Authentication required: send a valid bearer token."


class NotFoundError(AppError):
    code = "NOT_FOUND"
    default_message = "Not found."


class ConflictError(AppError):
    code = "CONFLICT"
    default_message = "Conflict with the current state."


class BadUserInputError(AppError):
    code = "BAD_USER_INPUT"
    default_message = "Invalid input."


class ServiceUnavailableError(AppError):
    """A dependency we need is down; the client's request itself may be fine."""

    code = "SERVICE_UNAVAILABLE"
    default_message = "Service temporarily unavailable; retry later."


class RemoteApiError(AppError):
    """Flow Connect failed us: unreachable, timed out, or answered with an unexpected status."""

    code = "REMOTE_API_ERROR"
    default_message = "The Flow Connect API could not handle the request."

    def __init__(self, message: str | None = None, *, status_code: int | None = None) -> None:
        super().__init__(message, extensions={"statusCode": status_code} if status_code is not None else None)


def errors_description(errors: Iterable[type[AppError]]) -> str:
    """The codes a field may answer with, for its description in the schema."""
    return "Errors: " + ", ".join(error.code for error in errors) + "."
