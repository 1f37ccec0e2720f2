"""Reading a GraphQL request's JSON (a POSTed body, GET's `variables` and `extensions`): what
Strawberry's own decoding answers with a 500 (a scalar body, invalid UTF-8, deep nesting, huge
integers, lone surrogates) is a 400 here."""

import json
import re

from cross_web import HTTPException
from strawberry.http import GraphQLRequestData

# Deeper JSON is refused; GraphQL variables of our schema nest a few levels at most.
MAX_JSON_DEPTH = 64
# A JSON escape of a UTF-16 surrogate: only then can decoding leave a lone one in a string.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def decode_json(data: str | bytes) -> object:
    """One JSON value, or a 400."""
    try:
        decoded = json.loads(data)
    except (ValueError, RecursionError):  # JSONDecodeError, UnicodeDecodeError, int digit limit
        raise HTTPException(400, "The request body is not valid JSON.") from None
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    # Walked only when it may matter: a surrogate escape, or enough brackets to nest deeply.
    strings = _SURROGATE_ESCAPE.search(raw) is not None
    if strings or raw.count(b"[") + raw.count(b"{") > MAX_JSON_DEPTH:
        problem = _problem(decoded, strings=strings)
        if problem is not None:
            raise HTTPException(400, problem)
    return decoded


def operation_from_body(body: object) -> tuple[GraphQLRequestData, object]:
    """One operation from a POSTed body, and the `documentId` it names, with Strawberry's own
    checks and messages for each field.

    Written here rather than through Strawberry's `parse_http_body`: that one also works out
    streaming transports (we serve no subscriptions) and parses the media type with
    `email.message`, which cost more than the rest of the request's parsing.
    """
    if isinstance(body, list):
        raise HTTPException(400, "Batching is not supported: send one operation per request.")
    if not isinstance(body, dict):
        raise HTTPException(400, "The request body must be a JSON object.")
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
    request = GraphQLRequestData(query=query, variables=variables, operation_name=name, extensions=extensions)
    return request, body.get("documentId")


def _problem(decoded: object, *, strings: bool) -> str | None:
    """Why a decoded value is refused: nesting deeper than MAX_JSON_DEPTH (the JSON parser's own
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
