"""The stock side of the differential test: our resolvers in a plain `strawberry.Schema`, behind
Strawberry's own ASGI view, in a Starlette app whose lifespan enters our DI container."""

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

import strawberry
from pydantic_settings import BaseSettings
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from app.core.providers import create_container
from app.graphql.context import GraphQLContext
from app.graphql.schemas.schema import Mutation, Query  # the same root types, in a stock schema


class _StockView(GraphQL[GraphQLContext, None]):
    """Strawberry's view as documented: only `get_context` is ours, giving resolvers the
    request's DI scope, which the route opens around the request."""

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket) -> GraphQLContext:
        assert isinstance(request, Request)
        assert isinstance(response, Response)
        return GraphQLContext(request=request, response=response, dependencies=request.state.dependencies)


def create_stock_app(settings: Sequence[BaseSettings]) -> Starlette:
    container = create_container(list(settings))
    # As our production settings: no IDE page.
    view = _StockView(strawberry.Schema(query=Query, mutation=Mutation), graphql_ide=None)

    class Scoped:  # an ASGI app, not a function, so every method reaches Strawberry's view
        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            async with container.context() as dependencies:
                scope.setdefault("state", {})["dependencies"] = dependencies
                await view(scope, receive, send)

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        async with container:
            yield

    return Starlette(routes=[Route("/graphql", Scoped())], lifespan=lifespan)
