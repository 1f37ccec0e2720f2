"""Route templates (`/connections/requests/{id}`) filled in with percent-encoded values.

A call is named by its template everywhere (span, metrics, log line); only the path sent carries
the values, each encoded into exactly one path segment, so no value can change the route.
"""

import re
import uuid
from collections.abc import Mapping
from functools import lru_cache
from urllib.parse import quote

from app.errors import BadUserInputError

PathValue = str | int | uuid.UUID
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
# Segments a server (or a proxy before it) may resolve away whatever their encoding: `/a/../b`
# is `/b`, and WHATWG URL parsers treat `%2e%2e` as `..` too.
_NOT_A_SEGMENT = frozenset({"", ".", ".."})


def filled(route: str, values: Mapping[str, PathValue] | None = None) -> str:
    """`route` with each `{name}` replaced by `values[name]`, percent-encoded (every byte but
    ASCII letters, digits and `-._~`). Every placeholder needs a value, every value a placeholder."""
    names = _placeholders(route)
    given = values or {}
    if not names and not given:
        return route
    if missing := names - given.keys():
        raise ValueError(f"route {route!r} needs values for {sorted(missing)}")
    if extra := given.keys() - names:
        raise ValueError(f"route {route!r} has no placeholder for the extra values {sorted(extra)}")
    return _PLACEHOLDER.sub(lambda match: _segment(given[match.group(1)]), route)


# Routes are constants of the code, a handful: each is checked and parsed once.
@lru_cache(maxsize=256)
def _placeholders(route: str) -> frozenset[str]:
    if not route.startswith("/") or route.startswith("//"):
        # Only a path is joined to the base URL: anything else would make a URL we never meant to call.
        raise ValueError(f"route must be a path under the Flow Connect base URL, got {route!r}")
    return frozenset(_PLACEHOLDER.findall(route))


def _segment(value: PathValue) -> str:
    text = str(value)
    if text in _NOT_A_SEGMENT:
        raise BadUserInputError("An identifier cannot be empty, '.' or '..'.")
    return quote(text, safe="")
