from app.core.config.app_settings import AppSettings
from app.core.config.flow_connect_api_settings import FlowConnectApiSettings
from app.core.config.graphql_settings import GraphQLSettings
from app.core.config.loading import ConfigError, load_settings, pick
from app.core.config.logging_settings import LoggingSettings
from app.core.config.server_settings import ServerSettings
from app.core.config.shared_state_settings import SharedStateSettings
from app.core.config.workos_settings import WorkOSSettings

__all__ = [
    "AppSettings",
    "ConfigError",
    "FlowConnectApiSettings",
    "GraphQLSettings",
    "LoggingSettings",
    "ServerSettings",
    "SharedStateSettings",
    "WorkOSSettings",
    "load_settings",
    "pick",
]
