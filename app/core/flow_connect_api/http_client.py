"""The one pooled connection to Flow Connect per process: aiohttp underneath, httpx's types on top.

Measured on this service (README, Performance): httpx's own pool serialises badly under
concurrency, and building an `httpx.Request` (URL parsing, header normalisation) and passing
it through a transport cost more than the HTTP exchange itself. So the request goes out through
aiohttp's pool directly; what comes back is the `httpx.Response` the plan's client returns, and
failures are httpx's exception types. httpx-aiohttp offers a similar bridge, but it maps
`aiohttp.ClientConnectionError` - which includes a server disconnecting *after* the request was
sent - to `httpx.ConnectTimeout`; our client retries connect failures, so that mapping would
resend requests. Here only a failure to connect is a ConnectError/ConnectTimeout.
"""

import contextlib
import math
import ssl
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence

import aiohttp
import httpx
from yarl import URL

from app.core.config import FlowConnectApiSettings

# Flow Connect's answers are small JSON documents; anything longer is cut, never buffered whole.
MAX_RESPONSE_BYTES = 64 * 1024
_DEFAULT_HEADERS = {"Accept": "application/json", "User-Agent": "flow-api"}
# Below the idle timeouts of common servers and load balancers, so a pooled connection is
# dropped by us before the other side closes it under a request (httpx's default, too).
KEEPALIVE_SECONDS = 5.0
# Dropped from the response we hand on: its body is already decoded and may be cut.
_BODY_FRAMING_HEADERS = frozenset({b"content-encoding", b"content-length", b"transfer-encoding"})


@contextlib.contextmanager
def _as_httpx_errors() -> Iterator[None]:
    try:
        yield
    except aiohttp.ConnectionTimeoutError as error:
        raise httpx.ConnectTimeout(str(error)) from error
    except aiohttp.ClientConnectorError as error:  # refused, unreachable, DNS, TLS handshake
        raise httpx.ConnectError(str(error)) from error
    except aiohttp.ServerDisconnectedError as error:
        raise httpx.RemoteProtocolError(str(error)) from error
    except aiohttp.ClientError as error:  # resets, payload errors: the request may have been read
        raise httpx.ReadError(str(error)) from error


class FlowConnectHttpClient:
    """A type of its own so DI can never hand it (and the bearer tokens it carries) to another caller."""

    def __init__(
        self,
        *,
        base_url: str,
        connect_timeout: float,
        max_connections: int = 100,
        ssl_context: ssl.SSLContext | None = None,
        trace_configs: Sequence[aiohttp.TraceConfig] = (),
    ) -> None:
        self.base_url = base_url.rstrip("/")
        # Only connecting has a timeout here: the caller's deadline bounds the whole call, so a
        # read timer re-armed on every chunk would only repeat it.
        self._connect_timeout = connect_timeout
        self._timeout = aiohttp.ClientTimeout(total=None, sock_connect=connect_timeout)
        self._ssl_context = ssl_context or httpx.create_ssl_context()
        self._trace_configs = list(trace_configs)
        self._max_connections = max_connections
        self._urls: dict[str, URL] = {}
        self._session: aiohttp.ClientSession | None = None

    def url(self, path: str) -> URL:
        """`path` under the base URL, parsed once per path."""
        if (url := self._urls.get(path)) is None:
            url = self._urls[path] = URL(self.base_url + path)
        return url

    async def post(
        self, path: str, *, content: bytes, headers: Mapping[str, str], send_within: float | None = None
    ) -> httpx.Response:
        """One attempt: POST `content` to `path`, read at most MAX_RESPONSE_BYTES of the answer.

        `send_within` bounds the wait for a pooled connection plus connecting: past it the
        attempt ends with `httpx.ConnectTimeout` and nothing was sent.
        """
        timeout = self._timeout
        if send_within is not None:
            # No ceiling: aiohttp rounds longer timeouts up to whole seconds, past the budget.
            timeout = aiohttp.ClientTimeout(
                total=None, connect=send_within, sock_connect=self._connect_timeout, ceil_threshold=math.inf
            )
        with _as_httpx_errors():
            async with self._get_session().post(
                self.url(path),
                data=content,
                headers={**_DEFAULT_HEADERS, **headers},
                timeout=timeout,
                # A redirect would carry the caller's bearer token to wherever it points.
                allow_redirects=False,
                compress=False,
            ) as response:
                body = await _read_capped(response.content)
        # Leaving the block returns a fully read connection to the pool and closes a cut one.
        kept = [(name, value) for name, value in response.raw_headers if name.lower() not in _BODY_FRAMING_HEADERS]
        return httpx.Response(response.status, headers=kept, content=body)

    def _get_session(self) -> aiohttp.ClientSession:
        # Created on first use: aiohttp binds the session to the running event loop.
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(
                    limit=self._max_connections,
                    limit_per_host=0,
                    keepalive_timeout=KEEPALIVE_SECONDS,
                    ssl=self._ssl_context,
                ),
                timeout=self._timeout,
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


async def _read_capped(stream: aiohttp.StreamReader) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while size < MAX_RESPONSE_BYTES and (chunk := await stream.read(MAX_RESPONSE_BYTES - size)):
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


@contextlib.asynccontextmanager
async def create_flow_connect_http_client(settings: FlowConnectApiSettings) -> AsyncIterator[FlowConnectHttpClient]:
    """Lives as long as the DI container: opened at start-up, closed at shutdown."""
    client = FlowConnectHttpClient(
        base_url=settings.base_url,
        connect_timeout=settings.flow_connect_api_connect_timeout,
        max_connections=settings.flow_connect_api_max_connections,
    )
    try:
        yield client
    finally:
        await client.aclose()
