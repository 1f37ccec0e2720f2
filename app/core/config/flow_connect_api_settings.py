from typing import Annotated, Self

from pydantic import AnyHttpUrl, DirectoryPath, Field, FilePath, field_validator, model_validator
from pydantic_settings import BaseSettings

from app.core.config.base import BASE_SETTINGS_CONFIG, is_loopback_host


class FlowConnectApiSettings(BaseSettings):
    model_config = BASE_SETTINGS_CONFIG

    # Base URL, e.g. https://api.flowrms.com. Bearer tokens travel to it, so plain http
    # is only allowed to a loopback host (the dev stack and tests).
    flow_connect_api_url: AnyHttpUrl
    # Seconds: the whole call, and the TCP/TLS connect within it.
    flow_connect_api_timeout: Annotated[float, Field(gt=0, le=300)] = 10.0
    flow_connect_api_connect_timeout: Annotated[float, Field(gt=0, le=60)] = 3.0
    # Open connections to Flow Connect per worker; idle ones are kept for reuse.
    flow_connect_api_max_connections: Annotated[int, Field(ge=1, le=10_000)] = 100
    # Bytes of one answer read at most: Flow Connect answers with small JSON documents, and a
    # longer answer is refused (REMOTE_API_ERROR), never buffered whole nor cut. At least 1 KiB,
    # so an error message always fits; at most 64 MiB, held in memory per call in flight.
    flow_connect_api_max_response_bytes: Annotated[int, Field(ge=1024, le=64 * 1024 * 1024)] = 64 * 1024
    # CA certificates Flow Connect's TLS is verified against instead of certifi's bundle, under
    # OpenSSL's own names: a PEM bundle, and/or a directory hashed by `c_rehash`. Read once, at
    # start-up, so a path that does not exist stops it (rather than failing every call).
    ssl_cert_file: FilePath | None = None
    ssl_cert_dir: DirectoryPath | None = None
    # The circuit breaker, per worker, with WunderGraph Cosmo's defaults: it opens once at least
    # `minimum_calls` calls ended in the last `window` seconds and at least `error_ratio` of them
    # failed; it then answers at once for `open_duration` seconds, after which `half_open_probes`
    # calls at a time are let through to see whether Flow Connect is back.
    flow_connect_breaker_enabled: bool = True
    # Above 0: at 0 the breaker would open on successes alone, once the minimum is reached.
    flow_connect_breaker_error_ratio: Annotated[float, Field(gt=0, le=1)] = 0.5
    # At least 1: the ratio of a handful of calls says little; too high, it never opens at low traffic.
    flow_connect_breaker_minimum_calls: Annotated[int, Field(ge=1, le=100_000)] = 20
    # Seconds. The window is counted in ten buckets; Retry-After tells the open time in whole seconds.
    flow_connect_breaker_window: Annotated[float, Field(ge=1, le=3600)] = 10.0
    flow_connect_breaker_open_duration: Annotated[float, Field(ge=1, le=3600)] = 5.0
    # Calls let through at once while half-open; as many successes in a row close the breaker.
    flow_connect_breaker_half_open_probes: Annotated[int, Field(ge=1, le=100)] = 1

    @field_validator("flow_connect_api_url")
    @classmethod
    def _https_unless_loopback(cls, url: AnyHttpUrl) -> AnyHttpUrl:
        if url.scheme != "https" and not is_loopback_host(url.host or ""):
            raise ValueError("must use https (plain http is only allowed to a loopback host)")
        if url.query or url.fragment:
            raise ValueError("must be a base URL without query or fragment")
        return url

    @model_validator(mode="after")
    def _room_to_send(self) -> Self:
        # A call is only sent while more than the connect timeout is left of its deadline.
        if self.flow_connect_api_timeout <= self.flow_connect_api_connect_timeout:
            raise ValueError("FLOW_CONNECT_API_TIMEOUT must be longer than FLOW_CONNECT_API_CONNECT_TIMEOUT")
        return self

    @property
    def base_url(self) -> str:
        return str(self.flow_connect_api_url).rstrip("/")
