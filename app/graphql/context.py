"""What the resolvers of one GraphQL request share, typed."""

import inspect
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

import aioinject
import strawberry
from aioinject.decorators import ContextParameter, base_inject
from starlette.requests import Request
from starlette.responses import Response

from app.auth import AuthInfo

P = ParamSpec("P")
T = TypeVar("T")
# The parameter added to a resolver that does not take `info` itself.
_ADDED_INFO_PARAMETER = "aioinject_info"


@dataclass(slots=True, kw_only=True)
class GraphQLContext:
    request: Request
    # Strawberry's sub-response: headers and status a resolver sets are copied onto the answer.
    response: Response
    # The request's DI scope, opened and closed by the view around the operation.
    dependencies: aioinject.Context
    # Set once the bearer token is verified (`app.graphql.di.auth_providers`): at most once a request.
    caller: AuthInfo | None = None


def inject(resolver: Callable[P, T]) -> Callable[P, T]:
    """aioinject's injection into a resolver, from the request's scope.

    aioinject's own Strawberry `inject` opens a scope per resolver call; the view opens one per
    request instead (`FlowGraphQLView`), so the resolvers of an operation share the services
    resolved for it, and the view frees them as soon as the request is answered. The scope
    holds the `strawberry.Info` of the latest resolver call; providers read only its `context`,
    which is the request's.
    """
    info = _info_parameter(resolver)
    return base_inject(
        resolver,
        context_parameters=(
            ContextParameter(name=info or _ADDED_INFO_PARAMETER, type_=strawberry.Info, remove=info is None),
        ),
        context_getter=lambda _args, kwargs: _dependencies(kwargs[info or _ADDED_INFO_PARAMETER]),
        enter_context=False,
    )


def _info_parameter(resolver: Callable[..., Any]) -> str | None:
    for name, parameter in inspect.signature(resolver).parameters.items():
        if (typing.get_origin(parameter.annotation) or parameter.annotation) is strawberry.Info:
            return name
    return None


def _dependencies(info: strawberry.Info) -> aioinject.Context:
    context: GraphQLContext = info.context
    return context.dependencies
