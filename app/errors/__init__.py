from app.errors.common_errors import (
    AppError,
    BadUserInputError,
    ConflictError,
    NotFoundError,
    RemoteApiError,
    ServiceUnavailableError,
    UnauthorizedError,
    errors_description,
)

__all__ = [
    "AppError",
    "BadUserInputError",
    "ConflictError",
    "NotFoundError",
    "RemoteApiError",
    "ServiceUnavailableError",
    "UnauthorizedError",
    "errors_description",
]
