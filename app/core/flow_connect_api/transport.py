"""The one pooled connection to Flow Connect per process, and the one place its failures are named.

aiohttp's pool carries every call: httpx's own pool serialises under concurrency, and building an
`httpx.Request` and passing it through a transport costs more than the exchange itself. What comes
back is the `httpx.Response` the plan's client returns. A failure is one of two internal errors,
because only one of them may be retried:

    NotSentError             nothing reached Flow Connect (connecting failed, or no connection in time)
    SentError                the request may have reached Flow Connect (a reset or disconnect after sending)
     └ ResponseTooLargeError  it answered with more than FLOW_CONNECT_API_MAX_RESPONSE_BYTES

httpx-aiohttp was not used: it maps a disconnect *after* sending to `httpx.ConnectTimeout`, which a
retry of connect failures would resend.
"""

import contextlib
import math
import ssl
from collections.abc import AsyncIterator, Mapping, Sequence

import aiohttp
import httpx
from yarl import URL

from app.core.config import FlowConnectApiSettings
from app.core.flow_connect_api.instrumentation import ObservedAttempt

_DEFAULT_HEADERS = {"Accept": "application/json", "User-Agent": "flow-api"}
# Below the idle timeouts of common servers and load balancers, so a pooled connection is
# dropped by us before the other side closes it under a request (httpx's default, too).
KEEPALIVE_SECONDS = 5.0
# Dropped from the response we hand on: its body is already read and decoded.
_BODY_FRAMING_HEADERS = frozenset({b"content-encoding", b"content-length", b"transfer-encoding"})


class NotSentError(Exception):
    """Nothing reached Flow Connect: safe to retry. The message is meant for the client."""


class SentError(Exception):
    """The request may have reached Flow Connect: never retried. The message is meant for the client."""


class ResponseTooLargeError(SentError):
    """Flow Connect answered with more bytes than we read: the answer is refused, never cut."""

    def __init__(self, limit: int, *, status: int) -> None:
        super().__init__(f"The Flow Connect API answered with more than {limit} bytes, the most this API reads.")
        self.status = status


def _translated(error: aiohttp.ClientError) -> NotSentError | SentError:
    """aiohttp's failures in our two kinds; the order matters, the first two are ClientErrors too."""
    if isinstance(error, aiohttp.ConnectionTimeoutError):  # connecting, or waiting for a pooled connection
        return NotSentError("The Flow Connect API did not accept a connection in time; the request was not sent.")
    if isinstance(error, aiohttp.ClientConnectorError):  # refused, unreachable, DNS, TLS handshake
        return NotSentError("The Flow Connect API is unreachable.")
    return SentError("The Flow Connect API dropped the connection before answering.")


class FlowConnectTransport:
    """A type of its own so DI can never hand it (and the bearer tokens it carries) to another caller."""

    def __init__(
        self,
        *,
        base_url: str,
        connect_timeout: float,
        max_connections: int,
        max_response_bytes: int,
        tls: ssl.SSLContext | None = None,
        trace_configs: Sequence[aiohttp.TraceConfig] = (),
    ) -> None:
        """`tls`: how Flow Connect's certificate is verified; certifi's bundle when None."""
        self._base_url = base_url.rstrip("/")
        self._tls = tls if tls is not None else httpx.create_ssl_context(trust_env=False)
        self._connect_timeout = connect_timeout
        self._max_connections = max_connections
        self._max_response_bytes = max_response_bytes
        self._trace_configs = list(trace_configs)
        self._session: aiohttp.ClientSession | None = None

    async def send(
        self,
        method: str,
        route: str,
        path: str,
        *,
        headers: Mapping[str, str],
        content: bytes | None,
        send_within: float,
        attempt: int,
    ) -> httpx.Response:
        """One attempt to `path` (already percent-encoded), observed under its `route` template
        (log line, metrics, span). Waiting for a pooled connection and connecting must end within
        `send_within` seconds, else NotSentError; an answer longer than the response limit is
        ResponseTooLargeError. Reading has no timer of its own: the caller's deadline bounds it."""
        # Parsed per call, never cached: a cache keyed by path would grow with every id in one.
        url = URL(self._base_url + path, encoded=True)
        all_headers = {**_DEFAULT_HEADERS, **headers}  # the observer adds the trace header to these
        timeout = aiohttp.ClientTimeout(
            # ceil_threshold: aiohttp would round timeouts above 5 s up to whole seconds, past the budget.
            total=None,
            connect=send_within,
            sock_connect=self._connect_timeout,
            ceil_threshold=math.inf,
        )
        with ObservedAttempt(method, route, url, all_headers, attempt) as observed:
            try:
                async with self._get_session().request(
                    method,
                    url,
                    data=content,
                    headers=all_headers,
                    timeout=timeout,
                    # A redirect would carry the caller's bearer token to wherever it points.
                    allow_redirects=False,
                    compress=False,
                ) as response:
                    observed.status = response.status
                    body = await _read_within(response, self._max_response_bytes)
            except aiohttp.ClientError as error:
                raise _translated(error) from error
        # Leaving the block returned a fully read connection to the pool and closed a refused one.
        kept = [(name, value) for name, value in response.raw_headers if name.lower() not in _BODY_FRAMING_HEADERS]
        return buffered_response(response.status, kept, body)

    def _get_session(self) -> aiohttp.ClientSession:
        # Created on first use: aiohttp binds the session to the running event loop.
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(
                    limit=self._max_connections,
                    limit_per_host=0,
                    keepalive_timeout=KEEPALIVE_SECONDS,
                    ssl=self._tls,
                ),
                # One session serves every caller: a cookie set for one must never reach another.
                cookie_jar=aiohttp.DummyCookieJar(),
                # Never pick up proxies or netrc credentials from the environment.
                trust_env=False,
                skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding", "Content-Type"),
                trace_configs=self._trace_configs or None,
            )
        return self._session

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()


def buffered_response(status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> httpx.Response:
    """An already read `httpx.Response`, as httpx's own `read()` leaves one: the body in
    `_content`, which `.content`, `.text` and `.json()` return. `httpx.Response(content=...)`
    would read its own byte stream back through the decoder chain: a departure that pays at the
    served load (docs/departures.md, "httpx and limits")."""
    framed = [*headers, (b"content-length", str(len(body)).encode())] if body else headers  # as `content=` frames it
    response = httpx.Response(status, headers=framed, stream=httpx.ByteStream(body))
    response._content = body  # noqa: SLF001 - where httpx's read() keeps the body
    response.is_stream_consumed = response.is_closed = True  # as read() leaves them
    return response


async def _read_within(response: aiohttp.ClientResponse, limit: int) -> bytes:
    """The whole body, or ResponseTooLargeError as soon as it is known to pass `limit` bytes:
    from its declared length, else once one byte more than the limit has arrived."""
    if response.content_length is not None and response.content_length > limit:
        raise ResponseTooLargeError(limit, status=response.status)
    chunks: list[bytes] = []
    size = 0
    while chunk := await response.content.read(limit + 1 - size):
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            raise ResponseTooLargeError(limit, status=response.status)
    return b"".join(chunks)


@contextlib.asynccontextmanager
async def create_flow_connect_transport(settings: FlowConnectApiSettings) -> AsyncIterator[FlowConnectTransport]:
    """Lives as long as the DI container: opened at start-up, closed at shutdown."""
    transport = FlowConnectTransport(
        base_url=settings.base_url,
        connect_timeout=settings.flow_connect_api_connect_timeout,
        max_connections=settings.flow_connect_api_max_connections,
        max_response_bytes=settings.flow_connect_api_max_response_bytes,
        tls=tls_context(settings),
    )
    try:
        yield transport
    finally:
        await transport.aclose()


def tls_context(settings: FlowConnectApiSettings) -> ssl.SSLContext | None:
    """The operator's CAs (SSL_CERT_FILE, SSL_CERT_DIR) for Flow Connect's TLS; None: certifi's."""
    if settings.ssl_cert_file is None and settings.ssl_cert_dir is None:
        return None
    # Only the operator's CAs: as OpenSSL itself reads these two variables, they replace the default.
    return ssl.create_default_context(cafile=settings.ssl_cert_file, capath=settings.ssl_cert_dir)
