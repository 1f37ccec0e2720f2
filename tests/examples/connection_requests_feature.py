"""A second Flow Connect call, added as docs/adding-a-flow-connect-call.md says, with public names
only: cancelling a connection request (DELETE with an id in its path) and listing them (GET)."""

import uuid
from dataclasses import dataclass

from starlette.responses import JSONResponse, Response

from app.auth import AuthInfo
from app.core.config import SharedStateSettings
from app.core.config.shared_state_settings import Rate
from app.core.flow_connect_api import FlowConnectApiClient, raise_for_status
from app.core.shared_state.rate_limits import FieldRateLimit, RateLimits
from app.errors import RemoteApiError
from devstack.flow_connect_simulator import SimulatorCall, SimulatorRoutes, error

# Step 1: the routes, as templates. Their names are the span, metric and log names.
CONNECTION_REQUESTS = "/connections/requests"
CONNECTION_REQUEST = "/connections/requests/{id}"


# Step 2: the rate-limit declaration and its settings (in the app: fields of SharedStateSettings,
# each with a README Configuration row).
class ExampleSharedStateSettings(SharedStateSettings):
    rate_limit_cancel_connection_request_per_user: Rate = "3/minute"
    rate_limit_cancel_connection_request_per_org: Rate = "30/minute"


CANCEL_CONNECTION_REQUEST_LIMIT = FieldRateLimit(
    field="cancelConnectionRequest",
    key="cancel_connection_request",
    per_user_setting="rate_limit_cancel_connection_request_per_user",
    per_org_setting="rate_limit_cancel_connection_request_per_org",
    settings=ExampleSharedStateSettings,
)


# Step 3: the service.
@dataclass(frozen=True, slots=True)
class ConnectionRequestSummary:
    id: uuid.UUID
    target_org_id: str


class ConnectionRequestsService:
    def __init__(self, *, api_client: FlowConnectApiClient, limits: RateLimits, caller: AuthInfo) -> None:
        self._api_client = api_client
        self._limits = limits
        self._caller = caller

    async def cancel_connection_request(self, request_id: uuid.UUID) -> bool:
        await self._limits.count(CANCEL_CONNECTION_REQUEST_LIMIT, self._caller)
        response = await self._api_client.request("DELETE", CONNECTION_REQUEST, path_params={"id": request_id})
        raise_for_status(response)
        return True

    async def connection_requests(self) -> list[ConnectionRequestSummary]:
        response = await self._api_client.request("GET", CONNECTION_REQUESTS)
        raise_for_status(response)
        try:
            return [ConnectionRequestSummary(uuid.UUID(row["id"]), row["to_org_id"]) for row in response.json()]
        except (ValueError, KeyError, TypeError):
            raise RemoteApiError("The Flow Connect API answered with an unexpected list.") from None


# Step 4: the simulator's routes (in the repository: a module in devstack/flow_connect_routes/).
routes = SimulatorRoutes()


@routes.route("DELETE", CONNECTION_REQUEST)
async def cancel(call: SimulatorCall) -> Response:
    deleted = call.store.db.execute(
        "DELETE FROM connection_requests WHERE id = ? AND from_org_id = ?",
        (call.request.path_params["id"], call.caller.org_id),
    )
    if deleted.rowcount == 0:
        return error(404, "No such connection request.")
    return Response(status_code=204)


@routes.route("GET", CONNECTION_REQUESTS)
async def list_requests(call: SimulatorCall) -> Response:
    rows = call.store.db.execute(
        "SELECT id, to_org_id FROM connection_requests WHERE from_org_id = ? ORDER BY created_at, id",
        (call.caller.org_id,),
    )
    return JSONResponse([{"id": row[0], "to_org_id": row[1]} for row in rows])
