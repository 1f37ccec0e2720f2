from typing import Any, cast

import aioinject
from cross_web import AsyncHTTPRequestAdapter, HTTPException, StarletteRequestAdapter
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.http.base import BaseRequestProtocol
from strawberry.schema import BaseSchema
from strawberry.types import ExecutionResult

from app.core.compact_json import compact_json
from app.core.http.responses import error_response
from app.errors.classification import BAD_REQUEST, for_client
from app.graphql import request_decoding
from app.graphql.context import GraphQLContext
from app.graphql.http_negotiation import GRAPHQL_RESPONSE_JSON, JSON, response_media_type
from app.graphql.ide import GraphiQLPage
from app.graphql.schemas.observability import record_rejected_request
from app.graphql.trusted_documents import RequestRefusedError, TrustedDocuments

# What `is_request_allowed` lets through; a 405 lists exactly these.
ALLOWED_METHODS = "GET, POST"


class _MediaTypeAdapter(StarletteRequestAdapter):
    """Media types are case-insensitive (RFC 9110); Strawberry compares them as written."""

    @property
    def content_type(self) -> str | None:
        content_type = super().content_type
        return content_type.lower() if content_type is not None else None


class _ScopedRequest(Request):
    """Starlette's request with what the view settled before Strawberry's `run`: the request's
    DI scope (for `get_context`) and the media type its answer goes out in."""

    def __init__(self, scope: Scope, receive: Receive, *, dependencies: aioinject.Context) -> None:
        super().__init__(scope, receive)
        self.dependencies = dependencies
        self.media_type = response_media_type(self.headers.get("accept"))


class FlowGraphQLView(GraphQL[GraphQLContext, None]):
    """Strawberry's ASGI view through its hooks, plus: unexpected errors masked, requests it
    cannot interpret answered in our error shape, and GraphQL-over-HTTP content negotiation.

    A client that prefers `application/graphql-response+json` gets that media type, and 400
    without `data` for a request error (parse or validation: nothing was executed), as the
    spec asks. Everyone else gets `application/json` and 200, as Strawberry answers.
    """

    request_adapter_class = _MediaTypeAdapter

    def __init__(
        self,
        schema: BaseSchema,
        *,
        container: aioinject.Container,
        ide_page: GraphiQLPage | None,
        trusted_documents: TrustedDocuments | None,
    ) -> None:
        """`ide_page` None: no IDE, `GET /graphql` without a query answers 404."""
        super().__init__(schema, graphql_ide="graphiql" if ide_page is not None else None)
        self._container = container
        self._ide_page = ide_page
        self._trusted_documents = trusted_documents

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # HTTP only: the route is no WebSocket route, and no subscriptions are served.
        dependencies = self._container.context()  # the request's DI scope
        try:
            async with dependencies:
                request = _ScopedRequest(scope, receive, dependencies=dependencies)
                try:
                    response = await self.run(request)
                except HTTPException as error:
                    response = _refusal(error)
        finally:
            _free(dependencies)
        if response.media_type == JSON and request.media_type != JSON:
            response.headers["content-type"] = request.media_type
        await response(scope, receive, send)

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket) -> GraphQLContext:
        assert isinstance(request, _ScopedRequest), "requests come through __call__"  # noqa: S101
        assert isinstance(response, Response), "HTTP only"  # noqa: S101
        return GraphQLContext(request=request, response=response, dependencies=request.dependencies)

    def should_render_graphql_ide(self, request: BaseRequestProtocol) -> bool:
        # A GET naming a trusted document runs it, whatever it accepts (curl and fetch() send */*).
        names_document = self._trusted_documents is not None and (
            "documentId" in request.query_params or "extensions" in request.query_params
        )
        return not names_document and super().should_render_graphql_ide(request)

    async def render_graphql_ide(self, request: Request) -> Response:  # noqa: ARG002 - Strawberry's signature
        # Our page, not Strawberry's: that one loads GraphiQL from a CDN.
        if self._ide_page is None:
            raise HTTPException(404, "Not Found")
        return self._ide_page.response()

    async def get_sub_response(self, request: Request | WebSocket) -> Response:  # noqa: ARG002 - Strawberry's signature
        # Strawberry's own builds a Response and then deletes its Content-Length, a header scan
        # per request; an empty header list from the start is the same sub-response.
        sub_response = Response()
        sub_response.status_code = None  # type: ignore[assignment] # "not set by a resolver", as Strawberry's
        sub_response.raw_headers = []
        return sub_response

    async def process_result(self, request: Request, result: ExecutionResult) -> GraphQLHTTPResponse:
        if result.errors:
            result.errors = for_client(result.errors)
        processed = await super().process_result(request, result)
        request_error = result.data is None and all(error.path is None for error in result.errors or ())
        if not (request_error and isinstance(request, _ScopedRequest) and request.media_type == GRAPHQL_RESPONSE_JSON):
            return processed
        # Nothing was executed, so per the spec there is no "data" entry at all (and the status is 400).
        return cast("GraphQLHTTPResponse", {key: value for key, value in processed.items() if key != "data"})

    def create_response(
        self, response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse], sub_response: Response
    ) -> Response:
        response = super().create_response(response_data, sub_response)
        if isinstance(response_data, dict):
            if "data" not in response_data:
                response.status_code = 400  # a request error answered as application/graphql-response+json
            if (retry_after := _retry_after(response_data)) is not None:
                response.headers["Retry-After"] = str(retry_after)  # what HTTP clients and proxies read
        return response

    async def parse_http_body(self, request: AsyncHTTPRequestAdapter) -> GraphQLRequestData | list[GraphQLRequestData]:
        if request.method == "POST":
            media_type = (request.content_type or "").partition(";")[0].strip()
            if media_type != JSON:
                raise HTTPException(415, f"Unsupported media type: send the request as {JSON}.")
            data, document_id = request_decoding.operation_from_body(self.parse_json(await request.get_body()))
        else:  # GET: Strawberry reads the parameters, decoding `variables` and `extensions` through decode_json
            parsed = await super().parse_http_body(request)
            if not isinstance(parsed, GraphQLRequestData):
                return parsed
            data, document_id = parsed, request.query_params.get("documentId")
        if self._trusted_documents is None:
            return data
        return self._trusted_documents.resolve(data, document_id=document_id)

    def decode_json(self, data: str | bytes) -> object:
        return request_decoding.decode_json(data)

    def encode_json(self, data: object) -> bytes:
        # Strawberry's documented hook for another encoder: the same compact JSON (UTF-8 as is,
        # where the standard library escapes it), mostly orjson's.
        return compact_json(data)


def _refusal(error: HTTPException) -> Response:
    """A request refused before execution, in our error shape, counted and logged."""
    code = error.code if isinstance(error, RequestRefusedError) else BAD_REQUEST
    record_rejected_request(code)
    response = error_response(error.status_code, error.reason, code=code)
    if error.status_code == 405:  # noqa: PLR2004 - Method Not Allowed
        response.headers["Allow"] = ALLOWED_METHODS
    return response


def _free(dependencies: aioinject.Context) -> None:
    """aioinject's scope refers to itself, in its cache and in its map of scopes: emptied both,
    the scope and what the request resolved are freed as the request ends, not left to the
    cyclic collector (app.graphql.schemas.strawberry_boundary.executor says why that matters)."""
    dependencies.cache.clear()
    dependencies._context.clear()  # noqa: SLF001 - no public way in aioinject 1.x (docs/departures.md)


def _retry_after(response_data: GraphQLHTTPResponse) -> int | None:
    errors: list[dict[str, Any]] = cast("list[dict[str, Any]]", response_data.get("errors") or [])
    waits = [wait for error in errors if isinstance(wait := (error.get("extensions") or {}).get("retryAfter"), int)]
    return max(waits) if waits else None
