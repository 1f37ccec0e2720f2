from app.core.flow_connect_api.breaker import FlowConnectBreaker, create_flow_connect_breaker
from app.core.flow_connect_api.flow_connect_api_client import FlowConnectApiClient
from app.core.flow_connect_api.response_handler import is_definitive, raise_for_status
from app.core.flow_connect_api.transport import FlowConnectTransport, create_flow_connect_transport

__all__ = [
    "FlowConnectApiClient",
    "FlowConnectBreaker",
    "FlowConnectTransport",
    "create_flow_connect_breaker",
    "create_flow_connect_transport",
    "is_definitive",
    "raise_for_status",
]
