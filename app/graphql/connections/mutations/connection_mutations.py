import re
import uuid

import strawberry
from aioinject import Injected

from app.errors import (
    AppError,
    BadUserInputError,
    ConflictError,
    IdempotencyKeyInUseError,
    IdempotencyKeyReusedError,
    NotFoundError,
    RateLimitedError,
    RemoteApiError,
    ServiceUnavailableError,
    UnauthorizedError,
    errors_description,
)
from app.graphql.connections.services.connection_request_service import ConnectionRequestService
from app.graphql.context import inject
from app.graphql.idempotency import Idempotency

# RFC 9562's string form only, in ASCII. `uuid.UUID` (and Strawberry's UUID scalar, which calls it)
# also takes braces, `urn:uuid:`, missing or misplaced hyphens and whatever `int(..., 16)` takes
# (a sign, spaces, underscores, non-ASCII digits): it only converts what this grammar accepted.
_UUID_TEXT = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")

# Named in the schema, so a client sees them in GraphiQL; anything else is INTERNAL_SERVER_ERROR.
CREATE_CONNECTION_ERRORS: tuple[type[AppError], ...] = (
    UnauthorizedError,
    ServiceUnavailableError,
    BadUserInputError,
    NotFoundError,
    ConflictError,
    RemoteApiError,
    RateLimitedError,
    IdempotencyKeyInUseError,
    IdempotencyKeyReusedError,
)


@strawberry.type
class ConnectionMutations:
    @strawberry.mutation(
        description="Send a connection request from the caller's organization to another one. "
        + errors_description(CREATE_CONNECTION_ERRORS)
    )
    @inject
    async def create_connection(
        self,
        info: strawberry.Info,
        target_org_id: strawberry.ID,
        service: Injected[ConnectionRequestService],
        idempotency: Injected[Idempotency],
    ) -> bool:
        target = parse_uuid(target_org_id, argument="targetOrgId")
        service.check_available()
        return await idempotency.run(
            info, lambda upstream_key: service.create_connection_request(target, idempotency_key=upstream_key)
        )


def parse_uuid(value: str, *, argument: str) -> uuid.UUID:
    if not _UUID_TEXT.fullmatch(value):
        raise BadUserInputError(
            f"{argument} must be a UUID written as 8-4-4-4-12 hexadecimal digits, "
            "e.g. 9133da7c-3b98-4673-91dc-0dc58cc8740c.",
            extensions={"argument": argument},
        )
    return uuid.UUID(value)
