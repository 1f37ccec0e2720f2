"""POST /connections/requests  {"target_org_id": "<uuid>"}
201 created · 400 malformed body · 404 unknown organization
409 already requested, or the caller's own organization
"""

import json
import uuid

from starlette.responses import JSONResponse, Response

from devstack.flow_connect_simulator import SimulatorCall, SimulatorRoutes, error

routes = SimulatorRoutes()


@routes.route("POST", "/connections/requests")
async def create_connection_request(call: SimulatorCall) -> Response:
    try:
        body = json.loads(await call.request.body())
        target = str(uuid.UUID(body["target_org_id"]))
    except (ValueError, TypeError, KeyError):
        return error(400, 'Body must be JSON like {"target_org_id": "<uuid>"}.')
    if not call.store.organization_exists(target):
        return error(404, f"Organization {target} does not exist.")
    caller_org = call.caller.org_id
    if target == caller_org:
        return error(409, "An organization cannot connect to itself.")
    request_id = call.store.create_request(from_org_id=caller_org, to_org_id=target, requested_by=call.caller.subject)
    if request_id is None:
        return error(409, f"A connection request to organization {target} already exists.")
    return JSONResponse(
        {"id": request_id, "from_org_id": caller_org, "target_org_id": target, "status": "pending"}, status_code=201
    )
