from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from functools import cache
from typing import Any

import aioinject
from pydantic_settings import BaseSettings
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Route

from app.core.body_limit import BodyLimitMiddleware
from app.core.config import AppSettings, GraphQLSettings, LoggingSettings, load_settings, pick
from app.core.config.cors_settings import CorsSettings
from app.core.config.graphql_ide_settings import GraphQLIdeSettings
from app.core.gc_tuning import tune_for_serving
from app.core.health import healthz, readyz_endpoint
from app.core.http.cors import cors_middleware
from app.core.http.unexpected_errors import UnexpectedErrorMiddleware
from app.core.logging import configure_logging
from app.core.metrics import metrics_endpoint
from app.core.providers import create_container, settings_classes
from app.core.request_id import RequestIdMiddleware
from app.core.tracing import configure_tracing
from app.graphql.http_view import FlowGraphQLView
from app.graphql.ide import GraphiQLPage, asset_routes
from app.graphql.schemas.schema import create_schema


def create_app(
    settings: Sequence[BaseSettings] | None = None,
    *,
    overrides: Sequence[aioinject.Provider[Any]] = (),
    tune_gc: bool = False,
) -> Starlette:
    """Build the ASGI app; `settings` defaults to loading every class in `settings_classes`.

    `tune_gc` sets the process-wide garbage collector for serving once started (`app.core.gc_tuning`):
    for a process that only serves this app, not for a test run that builds many.
    """
    loaded = list(settings) if settings is not None else load_settings(settings_classes)
    development = pick(loaded, AppSettings).is_development
    graphql_settings = pick(loaded, GraphQLSettings)
    logging_settings = pick(loaded, LoggingSettings)
    configure_logging(json=logging_settings.renders_json(development=development), level=logging_settings.log_level)
    tracer_provider = configure_tracing()

    container = create_container(loaded, overrides=overrides)
    ide_page = (
        GraphiQLPage.from_settings(pick(loaded, GraphQLIdeSettings))
        if graphql_settings.ide_enabled(development=development)
        else None
    )
    graphql = FlowGraphQLView(
        create_schema(container, graphql_settings, development=development, tracing=tracer_provider is not None),
        ide_page=ide_page,
    )

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        async with container:
            if tune_gc:
                tune_for_serving()
            yield
        if tracer_provider is not None:
            tracer_provider.force_flush()

    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz_endpoint(container), methods=["GET"]),
            Route("/metrics", metrics_endpoint, methods=["GET"]),
            *asset_routes(ide_page),
        ],
        middleware=[
            Middleware(RequestIdMiddleware),
            # Inside the request id, so preflights carry one; outside the error layers, so a
            # browser can read a 413 or a masked 500.
            *cors_middleware(pick(loaded, CorsSettings)),
            Middleware(UnexpectedErrorMiddleware),
            Middleware(BodyLimitMiddleware, max_bytes=graphql_settings.graphql_max_body_bytes),
        ],
        lifespan=lifespan,
    )
    # A trailing-slash redirect would build its Location from the client's Host header.
    app.router.redirect_slashes = False
    return app


@cache
def _app_from_environment() -> Starlette:
    return create_app(tune_gc=True)


def __getattr__(name: str) -> Starlette:
    # `app.main:app` for ASGI servers, built on first access rather than at import,
    # so importing this module never reads the environment.
    if name == "app":
        return _app_from_environment()
    raise AttributeError(name)
