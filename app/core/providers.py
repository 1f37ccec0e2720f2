"""The one place where settings and providers are wired into the DI container."""

from collections.abc import Iterable, Sequence
from typing import Any

import aioinject
from pydantic_settings import BaseSettings

from app.core.config import (
    AppSettings,
    FlowConnectApiSettings,
    GraphQLSettings,
    LoggingSettings,
    SharedStateSettings,
    WorkOSSettings,
)
from app.core.config.cors_settings import CorsSettings
from app.core.config.graphql_ide_settings import GraphQLIdeSettings
from app.core.observability import health
from app.graphql.di import api_client_providers, auth_providers, shared_state_providers

settings_classes: list[type[BaseSettings]] = [
    AppSettings,
    WorkOSSettings,
    FlowConnectApiSettings,
    GraphQLSettings,
    LoggingSettings,
    SharedStateSettings,
    CorsSettings,
    GraphQLIdeSettings,
]

modules: list[Iterable[aioinject.Provider[Any]]] = [
    auth_providers.providers,
    api_client_providers.providers,
    shared_state_providers.providers,
    health.providers,
]


def create_container(
    settings: Sequence[BaseSettings],
    *,
    overrides: Sequence[aioinject.Provider[Any]] = (),
) -> aioinject.Container:
    """`overrides` are registered last, so they win: how tests and benchmarks swap a provider."""
    container = aioinject.Container()
    for instance in settings:
        container.register(aioinject.Object(instance))
    for module in modules:
        container.register(*module)
    container.register(*overrides)
    return container
