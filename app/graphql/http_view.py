import json
import re
from typing import Any, cast

import aioinject
from cross_web import AsyncHTTPRequestAdapter, HTTPException, StarletteRequestAdapter
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.schema import BaseSchema
from strawberry.types import ExecutionResult

from app.core.http.responses import error_response
from app.errors.classification import BAD_REQUEST, for_client
from app.graphql.context import GraphQLContext
from app.graphql.ide import GraphiQLPage
from app.graphql.schemas.observability import record_rejected_request
from app.graphql.trusted_documents import RequestRefusedError, TrustedDocuments

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
_JSON = "application/json"
# A JSON escape of a UTF-16 surrogate: only then can decoding leave a lone one in a string.
# Deeper request bodies are refused; GraphQL variables of our schema nest a few levels at most.
MAX_JSON_DEPTH = 64
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


class _MediaTypeAdapter(StarletteRequestAdapter):
    """Media types are case-insensitive (RFC 9110); Strawberry compares them as written."""

    @property
    def content_type(self) -> str | None:
        content_type = super().content_type
        return content_type.lower() if content_type is not None else None


class FlowGraphQLView(GraphQL[GraphQLContext, None]):
    """Strawberry's ASGI view, plus: unexpected errors masked, requests it cannot interpret
    answered in our error shape, and GraphQL-over-HTTP content negotiation.

    A client that accepts `application/graphql-response+json` gets that media type,
    and 400 for a request error (parse or validation: nothing was executed), as the
    spec asks. Everyone else keeps `application/json` and 200, as Strawberry answers.
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

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # HTTP only: the route is no WebSocket route, and no subscriptions are served.
        request = Request(scope, receive)
        try:
            response = await self._run_http(request)
        except HTTPException as error:
            code = error.code if isinstance(error, RequestRefusedError) else BAD_REQUEST
            response = error_response(error.status_code, error.reason, code=code)
            record_rejected_request(code)
        else:
            is_json = response.headers.get("content-type", "").startswith(_JSON)
            if is_json and _accepts_graphql_response_json(request.headers):
                response.headers["content-type"] = GRAPHQL_RESPONSE_JSON
        await response(scope, receive, send)

    async def _run_http(self, request: Request) -> Response:
        """Strawberry's `run` for what this endpoint serves: one operation over HTTP. Strawberry's
        also dispatches WebSockets, batches, subscriptions and incremental delivery, and checks
        the result against their types per request; none of them is offered here."""
        adapter = self.request_adapter_class(request)
        if not self.is_request_allowed(adapter):
            raise HTTPException(405, "GraphQL only supports GET and POST requests.")
        if self.should_render_graphql_ide(adapter):
            return await self.render_graphql_ide(request)
        request_data = await self.parse_http_body(adapter)
        assert isinstance(request_data, GraphQLRequestData)  # noqa: S101 - batches are refused while decoding
        sub_response = await self.get_sub_response(request)
        dependencies = self._container.context()  # the request's DI scope
        try:
            async with dependencies:
                context = GraphQLContext(request=request, response=sub_response, dependencies=dependencies)
                result = await self.execute_single(request, adapter, sub_response, context, None, request_data)
        finally:
            # aioinject's scope refers to itself, in its cache and in its map of scopes: emptied
            # both, the scope and what the request resolved are freed as the request ends, not
            # left to the cyclic collector (app.graphql.schemas.executor says why that matters).
            dependencies.cache.clear()
            dependencies._context.clear()  # noqa: SLF001 - no public way in aioinject 1.x (pinned <2)
        return self.create_response(await self.process_result(request, result), sub_response)

    async def process_result(self, request: Request, result: ExecutionResult) -> GraphQLHTTPResponse:
        if result.errors:
            result.errors = for_client(result.errors)
        processed = await super().process_result(request, result)
        request_error = result.data is None and all(error.path is None for error in result.errors or ())
        if not (request_error and _accepts_graphql_response_json(request.headers)):
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
            if media_type != _JSON:
                raise HTTPException(415, f"Unsupported media type: send the request as {_JSON}.")
            body = cast("dict[str, object]", self.parse_json(await request.get_body()))  # an object: decode_json
            data, document_id = _operation(body), body.get("documentId")
        else:
            parsed = await super().parse_http_body(request)
            if not isinstance(parsed, GraphQLRequestData):
                return parsed
            data, document_id = parsed, request.query_params.get("documentId")
        if self._trusted_documents is None:
            return data
        return self._trusted_documents.resolve(data, document_id=document_id)

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
        # Walked only when it may matter: a surrogate escape, or enough brackets to nest deeply.
        strings = _SURROGATE_ESCAPE.search(raw) is not None
        if strings or raw.count(b"[") + raw.count(b"{") > MAX_JSON_DEPTH:
            problem = _problem(decoded, strings=strings)
            if problem is not None:
                raise HTTPException(400, problem)
        return decoded


def _operation(body: dict[str, object]) -> GraphQLRequestData:
    """One operation from a POSTed JSON object, with Strawberry's own checks and messages.

    Written here rather than through Strawberry's `parse_http_body`: that one also works out
    streaming transports (we serve no subscriptions) and parses the media type with
    `email.message`, which cost more than the rest of the request's parsing.
    """
    query, variables, extensions = body.get("query"), body.get("variables"), body.get("extensions")
    name = body.get("operationName")
    if not isinstance(query, str | None):
        raise HTTPException(400, "The GraphQL operation's `query` must be a string or null, if provided.")
    if not isinstance(variables, dict | None):
        raise HTTPException(400, "The GraphQL operation's `variables` must be an object or null, if provided.")
    if not isinstance(extensions, dict | None):
        raise HTTPException(400, "The GraphQL operation's `extensions` must be an object or null, if provided.")
    if not isinstance(name, str | None):
        raise HTTPException(400, "The GraphQL operation's `operationName` must be a string or null, if provided.")
    return GraphQLRequestData(query=query, variables=variables, operation_name=name, extensions=extensions)


def _retry_after(response_data: GraphQLHTTPResponse) -> int | None:
    errors: list[dict[str, Any]] = cast("list[dict[str, Any]]", response_data.get("errors") or [])
    waits = [wait for error in errors if isinstance(wait := (error.get("extensions") or {}).get("retryAfter"), int)]
    return max(waits) if waits else None


def _accepts_graphql_response_json(headers: Headers) -> bool:
    return GRAPHQL_RESPONSE_JSON in headers.get("accept", "")


def _problem(decoded: dict[str, object], *, strings: bool) -> str | None:
    """Why a decoded body is refused: nesting deeper than MAX_JSON_DEPTH (the JSON parser's own
    limit differs between Python versions) or, when `strings`, an unpaired UTF-16 surrogate.
    Iterative, so no depth can exhaust the stack."""
    stack: list[tuple[object, int]] = [(decoded, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            return f"The request body is nested deeper than {MAX_JSON_DEPTH} levels."
        if isinstance(value, dict):
            stack.extend((item, depth + 1) for pair in value.items() for item in pair)
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)
        elif strings and isinstance(value, str) and not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return "The request body contains an unpaired UTF-16 surrogate."
    return None
