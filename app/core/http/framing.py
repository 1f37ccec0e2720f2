"""The RFC 9112 rules on a request head that httptools leaves to the server, checked in one pass
over the headers uvicorn has already collected."""

import re
from collections.abc import Callable
from dataclasses import dataclass

# What each chunk's own framing may take without counting against the head budget: a size of up
# to 16 hex digits, its CRLF and the CRLF after the data. Anything longer (chunk extensions) counts.
CHUNK_FRAMING_BYTES = 20


@dataclass(frozen=True, slots=True)
class Refusal:
    status: int
    message: str
    reason: str  # the `reason` label of flow_api_http_rejections_total
    # A refusal a flood causes at will: counted, but logged as one line per interval (RefusalTally).
    tallied: bool = False


def head_too_large(max_head_bytes: int) -> Refusal:
    return Refusal(431, f"The request head exceeds {max_head_bytes} bytes.", "head_too_large")


def framing_too_large(max_head_bytes: int) -> Refusal:
    return Refusal(
        431, f"The request head, chunk extensions and trailers exceed {max_head_bytes} bytes.", "framing_too_large"
    )


def body_too_slow(body_deadline: float) -> Refusal:
    return Refusal(
        408, f"The request body did not arrive within {body_deadline:g} seconds.", "body_deadline", tallied=True
    )


OVER_CAP = Refusal(503, "The server has too many open connections; retry shortly.", "connections", tallied=True)
MALFORMED = Refusal(400, "The request is not valid HTTP/1.1.", "malformed_http")
UPGRADE_REFUSED = Refusal(400, "This server does not switch protocols.", "malformed_http")
_HOST = Refusal(400, "An HTTP/1.1 request needs exactly one Host header.", "host")
_HOST_VALUE = Refusal(400, "The Host header is not a host name or address with an optional port.", "host")
_CHUNKED_ON_1_0 = Refusal(400, "An HTTP/1.0 request cannot use a transfer coding.", "transfer_coding")
# RFC 3986's uri-host [ ":" port ]: an IP literal in brackets (its inside checked loosely: nothing
# routes on it), or a reg-name (IPv4 addresses are reg-names too). The grammar is one line; no
# library we have checks it on bytes.
_URI_HOST_AND_PORT = re.compile(rb"(?:\[[0-9A-Fa-f:.]+\]|(?:[A-Za-z0-9\-._~!$&'()*+,;=]|%[0-9A-Fa-f]{2})*)(?::[0-9]*)?")
_CODING = Refusal(501, "The only transfer coding served is exactly `chunked`.", "transfer_coding")
_UNFRAMED = Refusal(400, "A request body must end with the `chunked` transfer coding, applied once.", "transfer_coding")


def check_head(
    url: bytes, headers: list[tuple[bytes, bytes]], *, max_head_bytes: int, http_version: Callable[[], str]
) -> tuple[int, Refusal | None]:
    """The head's size, and why it is refused if it is. httptools has already refused what it
    cannot frame (e.g. `Transfer-Encoding` whose last coding is not `chunked`, or with
    `Content-Length` beside it); header names are lowercase here."""
    size = len(url)
    hosts = 0
    host = b""
    coding: bytes | None = None
    for name, value in headers:
        size += len(name) + len(value) + 4
        if name == b"host":
            hosts += 1
            host = value
        elif name == b"transfer-encoding":
            coding = value if coding is None else coding + b"," + value
    if size > max_head_bytes:
        return size, head_too_large(max_head_bytes)
    if hosts > 1 or (hosts == 0 and http_version() != "1.0"):
        return size, _HOST
    if _URI_HOST_AND_PORT.fullmatch(host) is None:
        return size, _HOST_VALUE
    if coding is not None:
        if http_version() == "1.0":  # RFC 9112 §6.1: faulty framing, whatever the codings
            return size, _CHUNKED_ON_1_0
        if coding.strip().lower() != b"chunked":
            return size, _coding_refusal(coding)
    return size, None


def _coding_refusal(coding: bytes) -> Refusal:
    """RFC 9112 §6.1 and §6.3: without `chunked` last the body cannot be framed (400); a coding
    we do not know before it is one we do not implement (501)."""
    codings = [token.strip().lower() for token in coding.split(b",")]
    return _CODING if codings[-1] == b"chunked" and codings.count(b"chunked") == 1 else _UNFRAMED


def trailers_too_large(trailers: list[tuple[bytes, bytes]], head_bytes: int, max_head_bytes: int) -> bool:
    return head_bytes + sum(len(name) + len(value) + 4 for name, value in trailers) > max_head_bytes


def head_without_upgrade(method: bytes, url: bytes, headers: list[tuple[bytes, bytes]], *, http_version: str) -> bytes:
    """The request head again, without its `Upgrade` header: we switch to no other protocol, so the
    request is served as plain HTTP/1.1 (RFC 9110 §7.8 lets a server ignore `Upgrade`)."""
    lines = [method, b" ", url, b" HTTP/", http_version.encode(), b"\r\n"]
    for name, value in headers:
        if name != b"upgrade":
            lines += [name, b": ", value, b"\r\n"]
    lines.append(b"\r\n")
    return b"".join(lines)
