"""GraphQL over HTTP's content negotiation: which of the two JSON media types an answer is sent in."""

from collections.abc import Iterator
from functools import lru_cache
from typing import NamedTuple

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
JSON = "application/json"
_SERVED = (GRAPHQL_RESPONSE_JSON, JSON)


class _MediaRange(NamedTuple):
    type: str
    subtype: str
    q: float


# Clients send a few distinct Accept values, each on every request: parsed once each.
@lru_cache(maxsize=256)
def response_media_type(accept: str | None) -> str:
    """The type the client prefers of the two we serve, as RFC 9110 (12.5.1) reads `Accept`: for
    each type, the q of the most specific range matching it; q=0 means "not acceptable".

    Equal preference goes to `application/graphql-response+json` when the client named both,
    to `application/json` when only a wildcard matched (`*/*`, what curl and fetch() send:
    every client reads plain JSON). Nothing acceptable: `application/json`, as Strawberry
    answers (the GraphQL-over-HTTP spec lets a server disregard `Accept` rather than send 406).

    Written here rather than taken from a library: the runtime has none that parses `Accept`
    short of a web framework (werkzeug's `MIMEAccept`), and the tie rule above is ours.
    """
    if not accept:
        return JSON
    ranges = list(_media_ranges(accept))
    preferences = {media_type: _preference(media_type, ranges) for media_type in _SERVED}
    acceptable = {media_type: rank for media_type, rank in preferences.items() if rank is not None and rank[0] > 0}
    return max(acceptable, key=acceptable.__getitem__) if acceptable else JSON


def _preference(media_type: str, ranges: list[_MediaRange]) -> tuple[float, int, bool] | None:
    """(q, how specific the deciding range is, wins a tie) for one of our types; None: no range matches."""
    type_, subtype = media_type.split("/")
    matching = [
        (2 if r.subtype == subtype else 1 if r.type == type_ else 0, r.q)
        for r in ranges
        if (r.type, r.subtype) in {(type_, subtype), (type_, "*"), ("*", "*")}
    ]
    if not matching:
        return None
    specificity, q = max(matching)
    named = specificity == 2  # noqa: PLR2004 - type and subtype both matched
    return q, specificity, media_type == (GRAPHQL_RESPONSE_JSON if named else JSON)


def _media_ranges(accept: str) -> Iterator[_MediaRange]:
    """Each well-formed range of the header, lowercased; one with a q outside 0..1 is skipped."""
    for element in accept.split(","):
        media_range, *parameters = element.split(";")
        type_, slash, subtype = media_range.strip().lower().partition("/")
        if not (slash and type_ and subtype):
            continue
        q: float | None = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                q = _qvalue(value.strip())
                break  # what follows q is an accept-extension, not a media type parameter
        if q is not None:
            yield _MediaRange(type_, subtype, q)


def _qvalue(text: str) -> float | None:
    try:
        q = float(text)
    except ValueError:
        return None
    return q if 0 <= q <= 1 else None  # also refuses nan and inf
