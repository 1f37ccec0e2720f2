import uuid

from app.core.flow_connect_api import FlowConnectApiClient, raise_for_status

CONNECTION_REQUESTS_ENDPOINT = "/connections/requests"


class ConnectionRequestService:
    def __init__(self, *, api_client: FlowConnectApiClient) -> None:
        self._api_client = api_client

    async def create_connection_request(self, target_org_id: uuid.UUID) -> bool:
        """Ask Flow Connect to connect the caller's organization to `target_org_id`."""
        response = await self._api_client.post(CONNECTION_REQUESTS_ENDPOINT, {"target_org_id": str(target_org_id)})
        raise_for_status(response)
        return True
