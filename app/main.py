from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import aioinject
from pydantic_settings import BaseSettings
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Route

from app.core.config import GraphQLSettings, LoggingSettings, load_settings, pick
from app.core.config.cors_settings import CorsSettings
from app.core.config.graphql_ide_settings import GraphQLIdeSettings
from app.core.http.body_limit import BodyLimitMiddleware
from app.core.http.cors import cors_middleware
from app.core.http.request_id import RequestIdMiddleware
from app.core.http.unexpected_errors import UnexpectedErrorMiddleware
from app.core.observability.gc_tuning import tune_for_serving
from app.core.observability.health import healthz, readyz_endpoint
from app.core.observability.logging import configure_logging
from app.core.observability.metrics import live_gauges_of_this_worker, metrics_endpoint
from app.core.observability.tracing import configure_tracing
from app.core.providers import create_container, settings_classes
from app.graphql.http_view import FlowGraphQLView
from app.graphql.ide import GraphiQLPage, asset_routes
from app.graphql.schemas.schema import create_schema
from app.graphql.trusted_documents import load_trusted_documents


def create_app(
    settings: Sequence[BaseSettings] | None = None,
    *,
    overrides: Sequence[aioinject.Provider[Any]] = (),
    tune_gc: bool = False,
) -> Starlette:
    """Build the ASGI app; `settings` defaults to loading every class in `settings_classes`.

    `tune_gc` sets the process-wide garbage collector for serving once started (`app.core.observability.gc_tuning`):
    for a process that only serves this app, not for a test run that builds many.
    """
    loaded = list(settings) if settings is not None else load_settings(settings_classes)
    graphql_settings = pick(loaded, GraphQLSettings)
    logging_settings = pick(loaded, LoggingSettings)
    configure_logging(json=logging_settings.log_format == "json", level=logging_settings.log_level)
    tracer_provider = configure_tracing()

    container = create_container(loaded, overrides=overrides)
    ide_page = GraphiQLPage.from_settings(pick(loaded, GraphQLIdeSettings)) if graphql_settings.graphql_ide else None
    trusted = load_trusted_documents(graphql_settings)
    schema = create_schema(graphql_settings, tracing=tracer_provider is not None, trusted=trusted)
    graphql = FlowGraphQLView(schema, container=container, ide_page=ide_page, trusted_documents=trusted)

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        with live_gauges_of_this_worker():
            async with container:
                if tune_gc:
                    tune_for_serving()
                yield
        if tracer_provider is not None:
            tracer_provider.force_flush()

    app = Starlette(
        routes=[
            # Every method reaches the view, which answers 405 itself: Starlette would add HEAD to a
            # GET route and answer others in plain text.
            Route("/graphql", graphql),
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


def create_served_app() -> Starlette:
    """The app as `python -m app` serves it, through uvicorn's factory mode (so importing this
    module reads no environment): settings from the environment, the collector tuned for serving."""
    return create_app(tune_gc=True)
