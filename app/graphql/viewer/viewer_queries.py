import strawberry
from aioinject import Injected

from app.auth import AuthInfo
from app.graphql.context import inject


@strawberry.type(description="The caller, as identified by their access token.")
class Viewer:
    flow_user_id: strawberry.ID
    organization_id: strawberry.ID | None


@strawberry.type
class ViewerQueries:
    @strawberry.field(description="The signed-in caller; use it to check a token. UNAUTHORIZED without one.")
    @inject
    async def viewer(self, auth_info: Injected[AuthInfo]) -> Viewer:
        return Viewer(
            flow_user_id=strawberry.ID(str(auth_info.flow_user_id)),
            organization_id=strawberry.ID(auth_info.organization_id) if auth_info.organization_id else None,
        )
