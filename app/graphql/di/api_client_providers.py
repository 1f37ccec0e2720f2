from typing import Any

from aioinject import Provider, Scoped, Singleton

from app.core.flow_connect_api import FlowConnectApiClient, create_flow_connect_http_client
from app.graphql.connections.services.connection_request_service import ConnectionRequestService

providers: list[Provider[Any]] = [
    # One pooled client per process, not one per request as the seed plan had it.
    Singleton(create_flow_connect_http_client),
    Scoped(FlowConnectApiClient),
    Scoped(ConnectionRequestService),
]
