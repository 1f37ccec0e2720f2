from typing import Any, cast

from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.types import Message, Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult

from app.graphql.schemas.error_masking import mask_unexpected

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
_REQUEST_ERROR_STATE = "graphql_request_error"


class FlowGraphQLView(GraphQL[Any, None]):
    """Strawberry's ASGI view, plus unexpected errors masked and GraphQL-over-HTTP content negotiation.

    A client that accepts `application/graphql-response+json` gets that media type,
    and 400 for a request error (parse or validation: nothing was executed), as the
    spec asks. Everyone else keeps `application/json` and 200, as Strawberry answers.
    """

    async def process_result(self, request: Request, result: ExecutionResult) -> GraphQLHTTPResponse:
        if result.errors:
            result.errors = mask_unexpected(result.errors)
        processed = await super().process_result(request, result)
        request_error = result.data is None and all(error.path is None for error in result.errors or ())
        if not (request_error and _accepts_graphql_response_json(request.headers)):
            return processed
        # request.state lives in the ASGI scope, where __call__ reads it back for the status.
        setattr(request.state, _REQUEST_ERROR_STATE, True)
        # Nothing was executed, so per the spec there is no "data" entry at all.
        return cast("GraphQLHTTPResponse", {key: value for key, value in processed.items() if key != "data"})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _accepts_graphql_response_json(Headers(scope=scope)):
            await super().__call__(scope, receive, send)
            return

        async def send_negotiated(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if headers.get("content-type", "").startswith("application/json"):
                    headers["content-type"] = GRAPHQL_RESPONSE_JSON
                    if scope.get("state", {}).get(_REQUEST_ERROR_STATE):
                        message["status"] = 400
            await send(message)

        await super().__call__(scope, receive, send_negotiated)


def _accepts_graphql_response_json(headers: Headers) -> bool:
    return GRAPHQL_RESPONSE_JSON in headers.get("accept", "")
