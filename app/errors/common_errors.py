"""The one error hierarchy that reaches GraphQL clients.

    StrawberryGraphQLError
     └── AppError                      every error we raise on purpose
          ├── UnauthorizedError        UNAUTHORIZED
          ├── NotFoundError            NOT_FOUND
          ├── ConflictError            CONFLICT
          ├── BadUserInputError        BAD_USER_INPUT
          ├── ServiceUnavailableError  SERVICE_UNAVAILABLE
          ├── RateLimitedError         RATE_LIMITED (+ retryAfter, whole seconds)
          ├── IdempotencyKeyInUseError IDEMPOTENCY_KEY_IN_USE
          ├── IdempotencyKeyReusedError IDEMPOTENCY_KEY_REUSED
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


class RateLimitedError(AppError):
    code = "RATE_LIMITED"
    default_message = "Too many requests; retry after the number of seconds in extensions.retryAfter."

    def __init__(self, *, retry_after: int) -> None:
        super().__init__(extensions={"retryAfter": retry_after})
        self.retry_after = retry_after


class IdempotencyKeyInUseError(AppError):
    """The IETF draft's 409: the first request with this key has not finished."""

    code = "IDEMPOTENCY_KEY_IN_USE"
    default_message = "A request with this Idempotency-Key is still in flight; retry once it has finished."


class IdempotencyKeyReusedError(AppError):
    """The IETF draft's 422: the key was first used for a different request."""

    code = "IDEMPOTENCY_KEY_REUSED"
    default_message = "This Idempotency-Key was used for a different request; use a new key for a new request."


class ReplayedError(StrawberryGraphQLError):
    """An error answered before under an idempotency key, returned again exactly as it was."""


class RemoteApiError(AppError):
    """Flow Connect failed us: unreachable, timed out, or answered with an unexpected status."""

    code = "REMOTE_API_ERROR"
    default_message = "The Flow Connect API could not handle the request."

    def __init__(self, message: str | None = None, *, status_code: int | None = None) -> None:
        super().__init__(message, extensions={"statusCode": status_code} if status_code is not None else None)


def errors_description(errors: Iterable[type[AppError]]) -> str:
    """The codes a field may answer with, for its description in the schema."""
    return "Errors: " + ", ".join(error.code for error in errors) + "."
