import uuid

import strawberry
from aioinject import Injected

from app.errors import BadUserInputError
from app.graphql.connections.services.connection_request_service import ConnectionRequestService
from app.graphql.context import inject


@strawberry.type
class ConnectionMutations:
    @strawberry.mutation(
        description=(
            "Send a connection request from the caller's organization to another one. "
            "Errors: UNAUTHORIZED, BAD_USER_INPUT, NOT_FOUND, CONFLICT, REMOTE_API_ERROR."
        )
    )
    @inject
    async def create_connection(
        self,
        target_org_id: strawberry.ID,
        service: Injected[ConnectionRequestService],
    ) -> bool:
        return await service.create_connection_request(parse_uuid(target_org_id, argument="targetOrgId"))


def parse_uuid(value: str, *, argument: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise BadUserInputError(
            f"{argument} must be a UUID, e.g. 9133da7c-3b98-4673-91dc-0dc58cc8740c.",
            extensions={"argument": argument},
        ) from None
