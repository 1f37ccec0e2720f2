import uuid

from app.auth import AuthInfo
from app.core.flow_connect_api import FlowConnectApiClient, raise_for_status
from app.core.shared_state.rate_limits import FieldRateLimit, RateLimits

CONNECTION_REQUESTS_ENDPOINT = "/connections/requests"
# The key and settings predate per-field declarations: replicas of every version share the counters.
CREATE_CONNECTION_LIMIT = FieldRateLimit(
    field="createConnection",
    key="create_connection",
    per_user_setting="rate_limit_create_connection_per_user",
    per_org_setting="rate_limit_create_connection_per_org",
)


class ConnectionRequestService:
    def __init__(self, *, api_client: FlowConnectApiClient, limits: RateLimits, caller: AuthInfo) -> None:
        self._api_client = api_client
        self._limits = limits
        self._caller = caller

    def check_available(self) -> None:
        """Refuses at once (ServiceUnavailableError) while Flow Connect is known to be failing,
        before the caller's Idempotency-Key is locked or its rate budget spent."""
        self._api_client.check_available()

    async def create_connection_request(self, target_org_id: uuid.UUID, *, idempotency_key: str | None = None) -> bool:
        """Ask Flow Connect to connect the caller's organization to `target_org_id`.

        `idempotency_key` goes upstream as the request's `Idempotency-Key` (a fresh one if None).
        """
        # Before anything is sent: a refused request costs Flow Connect nothing.
        await self._limits.count(CREATE_CONNECTION_LIMIT, self._caller)
        response = await self._api_client.post(
            CONNECTION_REQUESTS_ENDPOINT, {"target_org_id": str(target_org_id)}, idempotency_key=idempotency_key
        )
        raise_for_status(response)
        return True
