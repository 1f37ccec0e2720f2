from typing import Any

from aioinject import Provider, Scoped, Singleton

from app.core.flow_connect_api import FlowConnectApiClient, create_flow_connect_breaker, create_flow_connect_transport
from app.graphql.connections.services.connection_request_service import ConnectionRequestService

providers: list[Provider[Any]] = [
    # One pool per process: a client per request would pay a TCP and TLS handshake every call.
    Singleton(create_flow_connect_transport),
    # One breaker per process, shared by every request's client: what one caller learned about
    # Flow Connect's health holds for the next.
    Singleton(create_flow_connect_breaker),
    Scoped(FlowConnectApiClient),
    Scoped(ConnectionRequestService),
]
