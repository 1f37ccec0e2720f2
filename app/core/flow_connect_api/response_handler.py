"""Flow Connect HTTP status → our typed errors: the plan's error-mapping table, as data."""

import json
import unicodedata
from dataclasses import dataclass
from http import HTTPStatus

import httpx

from app.errors import AppError, ConflictError, NotFoundError, RemoteApiError, UnauthorizedError

MAX_REMOTE_MESSAGE_LENGTH = 500
_MESSAGE_FIELDS = ("message", "detail", "error")
# Control (CR/LF, ESC, NUL), format (bidi overrides, zero-width) and line/paragraph separators:
# the message is shown and logged by clients, where these forge lines or reorder what is read.
_UNPRINTABLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


@dataclass(frozen=True, slots=True, kw_only=True)
class _Rule:
    error: type[AppError]
    # Used when Flow Connect sent no message of its own, or when its message is not passed on.
    fallback: str
    passes_remote_message: bool


_REFUSED = "The Flow Connect API refused your credentials."
_RULES: dict[int, _Rule] = {
    HTTPStatus.BAD_REQUEST: _Rule(
        error=RemoteApiError,
        fallback="The Flow Connect API rejected the request (HTTP 400).",
        passes_remote_message=True,
    ),
    HTTPStatus.UNAUTHORIZED: _Rule(error=UnauthorizedError, fallback=_REFUSED, passes_remote_message=False),
    HTTPStatus.FORBIDDEN: _Rule(error=UnauthorizedError, fallback=_REFUSED, passes_remote_message=False),
    HTTPStatus.NOT_FOUND: _Rule(
        error=NotFoundError, fallback="The Flow Connect API found no such resource.", passes_remote_message=True
    ),
    HTTPStatus.CONFLICT: _Rule(
        error=ConflictError, fallback="The request conflicts with an existing one.", passes_remote_message=True
    ),
}


def raise_for_status(response: httpx.Response) -> None:
    """Return quietly on 2xx; otherwise raise the error the client should see."""
    status = response.status_code
    if HTTPStatus.OK <= status < HTTPStatus.MULTIPLE_CHOICES:
        return
    rule = _RULES.get(status)
    if rule is None:  # 3xx (never followed), other 4xx, 5xx
        raise RemoteApiError(f"The Flow Connect API failed (HTTP {status}).", status_code=status)
    message = (_remote_message(response) if rule.passes_remote_message else None) or rule.fallback
    if rule.error is RemoteApiError:
        raise RemoteApiError(message, status_code=status)
    raise rule.error(message)


def _remote_message(response: httpx.Response) -> str | None:
    try:
        payload = json.loads(response.content)
    except ValueError:
        return None
    if not isinstance(payload, dict):
        return None
    for field in _MESSAGE_FIELDS:
        value = payload.get(field)
        if isinstance(value, str) and (text := plain_text(value)):
            return text[:MAX_REMOTE_MESSAGE_LENGTH]
    return None


def plain_text(text: str) -> str:
    """`text` as one line: every unprintable character becomes a space, runs of spaces one."""
    spaced = "".join(" " if unicodedata.category(char) in _UNPRINTABLE_CATEGORIES else char for char in text)
    return " ".join(spaced.split())


def is_definitive(error: AppError) -> bool:
    """Whether `error` is Flow Connect's own answer from the table above (it read the request
    and decided), which a retry would only repeat; anything else may go differently next time."""
    if isinstance(error, RemoteApiError):
        return (error.extensions or {}).get("statusCode") in _RULES
    return any(type(error) is rule.error for rule in _RULES.values())
