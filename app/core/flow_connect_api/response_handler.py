"""Flow Connect HTTP status → our typed errors, per the plan's error-mapping table."""

import json
import unicodedata
from http import HTTPStatus

import httpx

from app.errors import ConflictError, NotFoundError, RemoteApiError, UnauthorizedError

MAX_REMOTE_MESSAGE_LENGTH = 500
_MESSAGE_FIELDS = ("message", "detail", "error")
# Control (CR/LF, ESC, NUL), format (bidi overrides, zero-width) and line/paragraph separators:
# the message is shown and logged by clients, where these forge lines or reorder what is read.
_UNPRINTABLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def raise_for_status(response: httpx.Response) -> None:
    """Return quietly on 2xx; otherwise raise the error the client should see."""
    status = response.status_code
    if HTTPStatus.OK <= status < HTTPStatus.MULTIPLE_CHOICES:
        return
    if status == HTTPStatus.BAD_REQUEST:
        raise RemoteApiError(remote_message(response), status_code=status)
    if status in {HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN}:
        raise UnauthorizedError("The Flow Connect API refused your credentials.")
    if status == HTTPStatus.NOT_FOUND:
        raise NotFoundError(_remote_message_or_none(response) or "The Flow Connect API found no such resource.")
    if status == HTTPStatus.CONFLICT:
        raise ConflictError(_remote_message_or_none(response) or "The request conflicts with an existing one.")
    raise RemoteApiError(f"The Flow Connect API failed (HTTP {status}).", status_code=status)


def remote_message(response: httpx.Response) -> str:
    """The remote's own human message, or a generic one naming the status."""
    return (
        _remote_message_or_none(response) or f"The Flow Connect API rejected the request (HTTP {response.status_code})."
    )


def _remote_message_or_none(response: httpx.Response) -> str | None:
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
