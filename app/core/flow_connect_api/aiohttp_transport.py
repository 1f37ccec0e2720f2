"""httpx's API over aiohttp's connection pool.

Measured on this service (README, Performance): httpx's own pool serialises badly under
concurrency, aiohttp's does not. httpx-aiohttp offers the same idea, but it maps
`aiohttp.ClientConnectionError` - which includes a server disconnecting *after* the request
was sent - to `httpx.ConnectTimeout`; our client retries connect failures, so that mapping
would resend requests. Here only a failure to connect is a ConnectError/ConnectTimeout.
"""

import contextlib
import ssl
from collections.abc import AsyncIterator, Iterator

import aiohttp
import httpx

_CHUNK_SIZE = 64 * 1024


@contextlib.contextmanager
def _as_httpx_errors() -> Iterator[None]:
    try:
        yield
    except aiohttp.ConnectionTimeoutError as error:  # before ServerTimeoutError, its base
        raise httpx.ConnectTimeout(str(error)) from error
    except aiohttp.ClientConnectorError as error:  # refused, unreachable, DNS, TLS handshake
        raise httpx.ConnectError(str(error)) from error
    except aiohttp.ServerTimeoutError as error:
        raise httpx.ReadTimeout(str(error)) from error
    except aiohttp.ServerDisconnectedError as error:
        raise httpx.RemoteProtocolError(str(error)) from error
    except aiohttp.ClientError as error:  # resets, payload errors: the request may have been read
        raise httpx.ReadError(str(error)) from error


class _ResponseStream(httpx.AsyncByteStream):
    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self._response = response

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _as_httpx_errors():
            async for chunk in self._response.content.iter_chunked(_CHUNK_SIZE):
                yield chunk

    async def aclose(self) -> None:
        # An unread body closes the connection instead of returning it to the pool.
        self._response.release()


class AiohttpTransport(httpx.AsyncBaseTransport):
    def __init__(self, *, limits: httpx.Limits, ssl_context: ssl.SSLContext | None = None) -> None:
        self._limits = limits
        self._ssl_context = ssl_context or httpx.create_ssl_context()
        self._session: aiohttp.ClientSession | None = None

    def _get_session(self) -> aiohttp.ClientSession:
        # Created on first use: aiohttp binds the session to the running event loop.
        if self._session is None:
            connector = aiohttp.TCPConnector(
                limit=self._limits.max_connections or 0,
                limit_per_host=0,
                keepalive_timeout=self._limits.keepalive_expiry or 0,
                ssl=self._ssl_context,
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                # One session serves every caller: a cookie set for one must never reach another.
                cookie_jar=aiohttp.DummyCookieJar(),
                trust_env=False,
                auto_decompress=False,  # httpx decodes, as with its own transport
                skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding", "Content-Type"),
            )
        return self._session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        timeout = request.extensions.get("timeout", {})
        body = await request.aread()
        with _as_httpx_errors():
            response = await self._get_session().request(
                request.method,
                str(request.url),
                # Raw bytes decoded directly: httpx's `multi_items()` costs more than the whole send.
                headers=[(name.decode("latin-1"), value.decode("latin-1")) for name, value in request.headers.raw],
                data=body or None,
                allow_redirects=False,
                compress=False,
                timeout=aiohttp.ClientTimeout(
                    total=None, sock_connect=timeout.get("connect"), sock_read=timeout.get("read")
                ),
            )
        return httpx.Response(
            status_code=response.status,
            headers=response.raw_headers,
            stream=_ResponseStream(response),
            request=request,
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": (response.reason or "").encode()},
        )

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
