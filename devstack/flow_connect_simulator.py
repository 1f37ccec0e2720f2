"""How the Flow Connect simulator learns a route: a module in `devstack/flow_connect_routes/`
holds `routes = SimulatorRoutes()` and registers its handlers on it; the simulator serves every
module's routes, behind the same bearer-token check. Nothing else is edited to add one.

    routes = SimulatorRoutes()

    @routes.route("DELETE", "/connections/requests/{id}")
    async def cancel(call: SimulatorCall) -> Response:
        ...  # call.caller (verified token), call.store (SQLite), call.request (Starlette)
"""

import importlib
import pkgutil
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

if TYPE_CHECKING:
    from devstack.flow_connect import ConnectionStore

ROUTES_PACKAGE = "devstack.flow_connect_routes"


@dataclass(frozen=True, slots=True)
class Caller:
    """Who sent the call, from a dev token the simulator verified."""

    subject: str
    org_id: str


@dataclass(frozen=True, slots=True)
class SimulatorCall:
    request: Request
    caller: Caller
    store: "ConnectionStore"


Handler = Callable[[SimulatorCall], Awaitable[Response]]


@dataclass(frozen=True, slots=True)
class SimulatorRoute:
    method: str
    template: str  # Starlette's syntax: `{id}` is one path segment, read as `call.request.path_params["id"]`
    handler: Handler


@dataclass
class SimulatorRoutes:
    """Routes one module registers: `@routes.route(method, template)` on each handler."""

    registered: list[SimulatorRoute] = field(default_factory=list)

    def route(self, method: str, template: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.registered.append(SimulatorRoute(method.upper(), template, handler))
            return handler

        return register


def error(status: int, message: str) -> JSONResponse:
    """Flow Connect's error shape, which the API passes on for 400, 404 and 409."""
    return JSONResponse({"message": message}, status_code=status)


def discovered_routes(package: str = ROUTES_PACKAGE) -> Iterator[SimulatorRoute]:
    """Every route registered by a module of `package`, modules in name order."""
    modules = importlib.import_module(package).__path__
    for module in sorted(pkgutil.iter_modules(modules), key=lambda found: found.name):
        routes = getattr(importlib.import_module(f"{package}.{module.name}"), "routes", None)
        if isinstance(routes, SimulatorRoutes):
            yield from routes.registered
