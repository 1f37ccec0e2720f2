from app.errors.common_errors import (
    AppError,
    BadUserInputError,
    ConflictError,
    IdempotencyKeyInUseError,
    IdempotencyKeyReusedError,
    NotFoundError,
    RateLimitedError,
    RemoteApiError,
    ReplayedError,
    ServiceUnavailableError,
    UnauthorizedError,
    errors_description,
)

__all__ = [
    "AppError",
    "BadUserInputError",
    "ConflictError",
    "IdempotencyKeyInUseError",
    "IdempotencyKeyReusedError",
    "NotFoundError",
    "RateLimitedError",
    "RemoteApiError",
    "ReplayedError",
    "ServiceUnavailableError",
    "UnauthorizedError",
    "errors_description",
]
