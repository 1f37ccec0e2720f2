"""What the resolvers of one GraphQL request share, typed."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import ParamSpec, TypeVar

import aioinject
from aioinject.ext.strawberry import inject as _aioinject_inject
from starlette.requests import Request
from starlette.responses import Response

from app.auth import AuthInfo

P = ParamSpec("P")
T = TypeVar("T")


@dataclass(slots=True, kw_only=True)
class GraphQLContext:
    request: Request
    # Strawberry's sub-response: headers and status a resolver sets are copied onto the answer.
    response: Response
    # The container's root context; `inject` opens a scope from it for each resolver call.
    dependencies: aioinject.Context
    # Set once the bearer token is verified (`app.graphql.di.auth_providers`): at most once a request.
    caller: AuthInfo | None = None


def inject(resolver: Callable[P, T]) -> Callable[P, T]:
    """aioinject's Strawberry `inject`, reading its context from a GraphQLContext."""
    return _aioinject_inject(resolver, context_getter=_dependencies)


def _dependencies(context: GraphQLContext) -> aioinject.Context:
    return context.dependencies
