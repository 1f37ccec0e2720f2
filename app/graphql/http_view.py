import json
import re
from typing import Any, cast

from cross_web import AsyncHTTPRequestAdapter, HTTPException, StarletteRequestAdapter
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.schema import BaseSchema
from strawberry.types import ExecutionResult

from app.core.http.responses import error_response
from app.errors.classification import BAD_REQUEST, for_client
from app.graphql.ide import GraphiQLPage
from app.graphql.schemas.observability import record_rejected_request

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
_JSON = "application/json"
_REQUEST_ERROR_STATE = "graphql_request_error"
# A JSON escape of a UTF-16 surrogate: only then can decoding leave a lone one in a string.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


class _MediaTypeAdapter(StarletteRequestAdapter):
    """Media types are case-insensitive (RFC 9110); Strawberry compares them as written."""

    @property
    def content_type(self) -> str | None:
        content_type = super().content_type
        return content_type.lower() if content_type is not None else None


class FlowGraphQLView(GraphQL[Any, None]):
    """Strawberry's ASGI view, plus: unexpected errors masked, requests it cannot interpret
    answered in our error shape, and GraphQL-over-HTTP content negotiation.

    A client that accepts `application/graphql-response+json` gets that media type,
    and 400 for a request error (parse or validation: nothing was executed), as the
    spec asks. Everyone else keeps `application/json` and 200, as Strawberry answers.
    """

    request_adapter_class = _MediaTypeAdapter

    def __init__(self, schema: BaseSchema, *, ide_page: GraphiQLPage | None) -> None:
        """`ide_page` None: no IDE, `GET /graphql` without a query answers 404."""
        super().__init__(schema, graphql_ide="graphiql" if ide_page is not None else None)
        self._ide_page = ide_page

    async def render_graphql_ide(self, request: Request) -> Response:  # noqa: ARG002 - Strawberry's signature
        # Our page, not Strawberry's: that one loads GraphiQL from a CDN.
        if self._ide_page is None:
            raise HTTPException(404, "Not Found")
        return self._ide_page.response()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope, receive)
        try:
            response = await self.run(request)
        except HTTPException as error:
            response = error_response(error.status_code, error.reason, code=BAD_REQUEST)
            record_rejected_request(BAD_REQUEST)
        else:
            _negotiate(request, response)
        await response(scope, receive, send)

    async def process_result(self, request: Request, result: ExecutionResult) -> GraphQLHTTPResponse:
        if result.errors:
            result.errors = for_client(result.errors)
        processed = await super().process_result(request, result)
        request_error = result.data is None and all(error.path is None for error in result.errors or ())
        if not (request_error and _accepts_graphql_response_json(request.headers)):
            return processed
        setattr(request.state, _REQUEST_ERROR_STATE, True)
        # Nothing was executed, so per the spec there is no "data" entry at all.
        return cast("GraphQLHTTPResponse", {key: value for key, value in processed.items() if key != "data"})

    async def parse_http_body(self, request: AsyncHTTPRequestAdapter) -> GraphQLRequestData | list[GraphQLRequestData]:
        if request.method == "POST":
            media_type = (request.content_type or "").partition(";")[0].strip()
            if media_type != _JSON:
                raise HTTPException(415, f"Unsupported media type: send the request as {_JSON}.")
        return await super().parse_http_body(request)

    def decode_json(self, data: str | bytes) -> object:
        """A JSON object, or a 400: Strawberry's own decoding turns several kinds of bad bodies
        into 500s (a scalar, invalid UTF-8, deep nesting, huge integers, lone surrogates)."""
        try:
            decoded = json.loads(data)
        except (ValueError, RecursionError):  # JSONDecodeError, UnicodeDecodeError, int digit limit
            raise HTTPException(400, "The request body is not valid JSON.") from None
        if isinstance(decoded, list):
            raise HTTPException(400, "Batching is not supported: send one operation per request.")
        if not isinstance(decoded, dict):
            raise HTTPException(400, "The request body must be a JSON object.")
        raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
        if _SURROGATE_ESCAPE.search(raw) and _has_lone_surrogate_or_too_deep(decoded):
            raise HTTPException(400, "The request body contains an unpaired UTF-16 surrogate.")
        return decoded


def _negotiate(request: Request, response: Response) -> None:
    if not _accepts_graphql_response_json(request.headers):
        return
    if response.headers.get("content-type", "").startswith(_JSON):
        response.headers["content-type"] = GRAPHQL_RESPONSE_JSON
        if getattr(request.state, _REQUEST_ERROR_STATE, False):
            response.status_code = 400


def _accepts_graphql_response_json(headers: Headers) -> bool:
    return GRAPHQL_RESPONSE_JSON in headers.get("accept", "")


def _has_lone_surrogate_or_too_deep(value: object) -> bool:
    try:
        return _has_lone_surrogate(value)
    except RecursionError:
        return True


def _has_lone_surrogate(value: object) -> bool:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, dict):
        return any(_has_lone_surrogate(key) or _has_lone_surrogate(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_has_lone_surrogate(item) for item in value)
    return False
