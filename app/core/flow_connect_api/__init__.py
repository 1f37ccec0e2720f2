from app.core.flow_connect_api.flow_connect_api_client import FlowConnectApiClient
from app.core.flow_connect_api.http_client import FlowConnectHttpClient, create_flow_connect_http_client
from app.core.flow_connect_api.response_handler import raise_for_status

__all__ = ["FlowConnectApiClient", "FlowConnectHttpClient", "create_flow_connect_http_client", "raise_for_status"]
