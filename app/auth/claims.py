"""The shape every claim we read must have; anything else is UNAUTHORIZED, never a server error.

PyJWT checks a time claim with `int(value)`, so it takes `"1700000000"`, `True` or `1e300`;
RFC 7519 says a NumericDate is a JSON number, and ours are also finite and in range.
"""

import math
from collections.abc import Mapping
from typing import Any

from app.errors import UnauthorizedError

# Seconds since the epoch: up to 2**40 (beyond the year 36000), so any genuine date fits and
# every accepted value converts to a float exactly enough to compare and cache by.
MAX_NUMERIC_DATE = 2**40
# Identifiers are echoed to clients and written to logs: bounded, and printable
# (`str.isprintable` refuses control, format and separator characters, bidi overrides included).
MAX_IDENTIFIER_LENGTH = 255


def expiry(claims: Mapping[str, Any]) -> float:
    """`exp` as a float, after checking `exp`, `nbf` and `iat` (exp required, the others optional)."""
    for name in ("nbf", "iat"):
        if name in claims:
            _numeric_date(claims[name], name)
    if "exp" not in claims:
        raise UnauthorizedError("Token has no expiry (exp).")
    return _numeric_date(claims["exp"], "exp")


def check_audience(claims: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
    """`aud`, when present, is a string or an array of strings naming one of `allowed` (RFC 7519).

    PyJWT's own check does not fit: once given an audience it refuses tokens without `aud`
    (AuthKit session tokens have none), and it lets an empty `aud` through when given none.
    """
    if "aud" not in claims:
        return
    audience = claims["aud"]
    members = [audience] if isinstance(audience, str) else audience
    if not isinstance(members, list) or not all(isinstance(member, str) for member in members):
        raise UnauthorizedError("Token audience (aud) is not a string or an array of strings.")
    if not any(member in allowed for member in members):
        raise UnauthorizedError("Token audience (aud) is not this API.")


def identifier(value: object, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise UnauthorizedError(f"Token {name} is missing or blank.")
    if len(value) > MAX_IDENTIFIER_LENGTH or not value.isprintable():
        raise UnauthorizedError(f"Token {name} is too long or has unprintable characters.")
    return value


def _numeric_date(value: object, name: str) -> float:
    # bool is an int subclass; JSON `true` is not a date.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise UnauthorizedError(f"Token {name} is not a number.")
    if isinstance(value, float) and not math.isfinite(value):
        raise UnauthorizedError(f"Token {name} is not a finite number.")
    if not 0 <= value < MAX_NUMERIC_DATE:
        raise UnauthorizedError(f"Token {name} is out of range.")
    return float(value)
