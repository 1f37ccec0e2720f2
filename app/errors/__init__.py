from app.errors.common_errors import (
    AppError,
    BadUserInputError,
    ConflictError,
    NotFoundError,
    RemoteApiError,
    ServiceUnavailableError,
    UnauthorizedError,
)

__all__ = [
    "AppError",
    "BadUserInputError",
    "ConflictError",
    "NotFoundError",
    "RemoteApiError",
    "ServiceUnavailableError",
    "UnauthorizedError",
]
