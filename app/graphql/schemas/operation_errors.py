"""What becomes of an operation's errors: faults logged in full, answers left without traceback."""

import structlog
from graphql import GraphQLError
from strawberry.types import ExecutionResult

from app.errors.classification import is_unexpected

logger = structlog.get_logger(__name__)


def log_unexpected(errors: list[GraphQLError]) -> None:
    """Typed errors are answers, not faults; only the unexpected ones are logged, in full."""
    for error in errors:
        if is_unexpected(error):
            logger.error("graphql_unexpected_error", path=error.path, exc_info=error.original_error)


def drop_answered_tracebacks(errors: list[GraphQLError]) -> None:
    """A typed error is an answer (UNAUTHORIZED, CONFLICT, ...), never logged with its traceback.
    That traceback holds the frames that hold the error: a reference cycle per failed request,
    left to the cyclic collector (app.core.observability.gc_tuning) unless dropped here."""
    seen: set[int] = set()  # a chain set by hand can loop
    chained: list[BaseException | None] = [
        raised for error in errors if not is_unexpected(error) for raised in (error, error.original_error)
    ]
    while chained:
        raised = chained.pop()
        if raised is None or id(raised) in seen:
            continue
        seen.add(id(raised))
        raised.__traceback__ = None
        chained += (raised.__cause__, raised.__context__)  # what it was raised from, and while handling


def fault(error: Exception) -> ExecutionResult:
    """A fault of ours or a library's while preparing or executing an operation (e.g. a library
    that trips over a document it did not expect): answered as Strawberry's `execute`
    answers it, a GraphQL error the view masks as INTERNAL_SERVER_ERROR, logged in full by
    `log_unexpected` and counted; never an HTTP 500 a client can provoke at will."""
    return ExecutionResult(data=None, errors=[GraphQLError(str(error), original_error=error)])
