from app.errors.common_errors import (
    AppError,
    BadUserInputError,
    ConflictError,
    NotFoundError,
    ServiceUnavailableError,
    UnauthorizedError,
)

__all__ = [
    "AppError",
    "BadUserInputError",
    "ConflictError",
    "NotFoundError",
    "ServiceUnavailableError",
    "UnauthorizedError",
]
