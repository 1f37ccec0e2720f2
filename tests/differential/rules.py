"""The differences from stock Strawberry we mean, each a named rule (docs/departures.md, "Differences
from stock Strawberry we mean", lists them by these names).

A rule looks at the request and both answers; when it applies it returns stock Strawberry's answer
as we mean ours to differ from it, else None. The test applies every rule in order and then asks
for equality: whatever no rule explains is a difference nobody meant.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass

from app.graphql.http_negotiation import GRAPHQL_RESPONSE_JSON, response_media_type
from tests.differential.answers import ABSENT, Answer
from tests.differential.corpus import Call

MAX_BODY_BYTES = 65_536  # GRAPHQL_MAX_BODY_BYTES' default
_SUGGESTION = re.compile(r" Did you mean .*\?$")
_LIMIT = re.compile(r"exceeds maximum (operation depth of \d+|of \d+ [a-z ]+)$|contains more than \d+ tokens")
_INTROSPECTION_OFF = re.compile(r"^GraphQL introspection has been disabled")
# What our decoding answers where Strawberry's answers 400 "Unable to parse request body as JSON",
# "Batching is not enabled" or a 500.
_OUR_DECODING = {
    "The request body is not valid JSON.",
    "The request body must be a JSON object.",
    "Batching is not supported: send one operation per request.",
    "The request body is nested deeper than 64 levels.",
    "The request body contains an unpaired UTF-16 surrogate.",
}
_STOCK_DECODING = {"Unable to parse request body as JSON", "Batching is not enabled", "Internal Server Error"}
# Refused even where Strawberry would run the operation (the value unused) or fail later.
_OUR_HARDENING = {
    "The request body is nested deeper than 64 levels.",
    "The request body contains an unpaired UTF-16 surrogate.",
}
_SEVERAL_OPERATIONS = "Must provide operationName when the document contains several operations."
_OPERATION_NAME_TYPE = "The GraphQL operation's `operationName` must be a string or null, if provided."


@dataclass(frozen=True)
class Rule:
    name: str
    meant: Callable[[Call, Answer, Answer], Answer | None]


def _request_errors_as_json(_call: Call, _ours: Answer, stock: Answer) -> Answer | None:
    # Strawberry answers an HTTP error as plain text; ours is the GraphQL error shape, same status and message.
    if stock.text is None or stock.status == 500:
        return None
    return Answer(stock.status, errors=((stock.text, None, None),))


def _hidden_suggestions(_call: Call, _ours: Answer, stock: Answer) -> Answer | None:
    # Introspection off (production): validation names no field of the schema ("Did you mean ...?").
    if not any(_SUGGESTION.search(message) for message in stock.messages):
        return None
    errors = tuple((_SUGGESTION.sub("", message), path, locations) for message, path, locations in stock.errors)
    return stock.with_(errors=errors)


def _graphql_response_json(call: Call, _ours: Answer, stock: Answer) -> Answer | None:
    # A client preferring application/graphql-response+json gets 400 and no `data` for a request error.
    request_error = stock.status == 200 and stock.data is None and all(path is None for _, path, _ in stock.errors)
    if not (request_error and response_media_type(call.headers.get("Accept")) == GRAPHQL_RESPONSE_JSON):
        return None
    return stock.with_(status=400, data=ABSENT)


def _bodies_we_cannot_read(_call: Call, ours: Answer, stock: Answer) -> Answer | None:
    # A body (or GET parameter) Strawberry cannot decode, or decodes into a 500: a 400 saying what is wrong.
    stock_message = stock.text if stock.text is not None else next(iter(stock.messages), None)
    ours_message = ours.messages[0] if ours.status == 400 and len(ours.messages) == 1 else None
    if ours_message in _OUR_HARDENING or (ours_message in _OUR_DECODING and stock_message in _STOCK_DECODING):
        return ours
    return None


def _operation_name_is_a_string(call: Call, ours: Answer, _stock: Answer) -> Answer | None:
    # A POSTed `operationName` that is no string is refused as Strawberry refuses `query` or
    # `variables` of the wrong type (Strawberry looks it up as given).
    return ours if call.method == "POST" and ours.status == 400 and ours.messages == [_OPERATION_NAME_TYPE] else None


def _several_operations_need_a_name(_call: Call, ours: Answer, _stock: Answer) -> Answer | None:
    # The GraphQL spec: a document with several operations and no operationName is a request
    # error (stock Strawberry runs the first).
    return ours if ours.data is None and ours.messages == [_SEVERAL_OPERATIONS] else None


def _exact_media_types(call: Call, ours: Answer, _stock: Answer) -> Answer | None:
    # Only application/json bodies, its media type compared whole and case-insensitively (Strawberry:
    # a substring test, case-sensitive): anything else 415.
    media_type = call.headers.get("Content-Type", "").partition(";")[0].strip()
    if call.method != "POST" or media_type == "application/json":
        return None
    if media_type.lower() == "application/json" or ours.status == 415:
        return ours
    return None


def _body_limit(call: Call, ours: Answer, _stock: Answer) -> Answer | None:
    # GRAPHQL_MAX_BODY_BYTES: a bigger body is 413, never read.
    return ours if ours.status == 413 and len(call.body or b"") > MAX_BODY_BYTES else None


def _our_limits(_call: Call, ours: Answer, stock: Answer) -> Answer | None:
    # Depth, aliases, root fields, directives, selections, tokens: refused before execution.
    if ours.data in (None, ABSENT) and ours.messages and all(_LIMIT.search(m) for m in ours.messages):
        return ours if stock != ours else None
    return None


def _no_introspection(_call: Call, ours: Answer, _stock: Answer) -> Answer | None:
    # GRAPHQL_INTROSPECTION off (production): __schema and __type are validation errors.
    if ours.messages and all(_INTROSPECTION_OFF.search(m) or _LIMIT.search(m) for m in ours.messages):
        return ours
    return None


RULES = [
    Rule("request_errors_as_json", _request_errors_as_json),
    Rule("hidden_suggestions", _hidden_suggestions),
    Rule("graphql_response_json", _graphql_response_json),
    Rule("bodies_we_cannot_read", _bodies_we_cannot_read),
    Rule("operation_name_is_a_string", _operation_name_is_a_string),
    Rule("several_operations_need_a_name", _several_operations_need_a_name),
    Rule("exact_media_types", _exact_media_types),
    Rule("body_limit", _body_limit),
    Rule("our_limits", _our_limits),
    Rule("no_introspection", _no_introspection),
]


def as_meant(call: Call, ours: Answer, stock: Answer) -> tuple[Answer, list[str]]:
    """Stock's answer with every rule that applies applied, and the names of those that changed it."""
    applied = []
    for rule in RULES:
        meant = rule.meant(call, ours, stock)
        if meant is not None and meant != stock:
            stock = meant
            applied.append(rule.name)
    return stock, applied
