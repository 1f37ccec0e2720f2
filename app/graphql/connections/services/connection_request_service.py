import uuid

from app.auth import AuthInfo
from app.core.flow_connect_api import FlowConnectApiClient, raise_for_status
from app.core.shared_state.rate_limits import CreateConnectionLimits

CONNECTION_REQUESTS_ENDPOINT = "/connections/requests"


class ConnectionRequestService:
    def __init__(self, *, api_client: FlowConnectApiClient, limits: CreateConnectionLimits, caller: AuthInfo) -> None:
        self._api_client = api_client
        self._limits = limits
        self._caller = caller

    async def create_connection_request(self, target_org_id: uuid.UUID, *, idempotency_key: str | None = None) -> bool:
        """Ask Flow Connect to connect the caller's organization to `target_org_id`.

        `idempotency_key` goes upstream as the request's `Idempotency-Key` (a fresh one if None).
        """
        await self._limits.count(self._caller)  # before anything is sent: a refused request costs Flow Connect nothing
        response = await self._api_client.post(
            CONNECTION_REQUESTS_ENDPOINT, {"target_org_id": str(target_org_id)}, idempotency_key=idempotency_key
        )
        raise_for_status(response)
        return True
