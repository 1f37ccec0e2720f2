"""CORS as a browser sees it, over real HTTP: preflights, actual responses, and the defaults."""

import httpx
import pytest

from app.core.config.cors_settings import CorsSettings
from app.core.config.graphql_settings import GraphQLSettings
from tests.conftest import ApiFactory

VIEWER = {"query": "{ __typename }"}
REQUESTED_HEADERS = "authorization, content-type, idempotency-key, x-request-id, traceparent"


@pytest.fixture(autouse=True)
def _no_cors_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CORS_ALLOW_ORIGINS", raising=False)


async def _preflight(http: httpx.AsyncClient, origin: str, method: str = "POST") -> httpx.Response:
    return await http.options(
        "/graphql",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": REQUESTED_HEADERS,
        },
    )


def _cors_headers(response: httpx.Response) -> dict[str, str]:
    return {name: value for name, value in response.headers.items() if name.startswith("access-control-")}


@pytest.mark.parametrize("origin", ["http://localhost:5173", "http://127.0.0.1:3000", "http://localhost"])
async def test_development_preflight_from_a_loopback_origin_is_allowed(start_api: ApiFactory, origin: str) -> None:
    api = await start_api(app_env="development")

    response = await _preflight(api.http, origin)

    assert response.status_code == 204
    assert response.content == b""
    assert response.headers["access-control-allow-origin"] == origin
    assert response.headers["access-control-allow-methods"] == "GET, POST"
    allowed = {header.strip().lower() for header in response.headers["access-control-allow-headers"].split(",")}
    assert {header.strip() for header in REQUESTED_HEADERS.split(",")} <= allowed
    assert response.headers["access-control-max-age"] == "600"
    assert "access-control-allow-credentials" not in response.headers
    assert "Origin" in response.headers["vary"]
    assert response.headers["x-request-id"]


@pytest.mark.parametrize(
    "origin",
    ["https://evil.example", "http://127.0.0.2:3000", "https://localhost:3000", "http://localhost.evil.example"],
)
async def test_development_preflight_from_another_origin_is_refused(start_api: ApiFactory, origin: str) -> None:
    api = await start_api(app_env="development")

    response = await _preflight(api.http, origin)

    assert _cors_headers(response) == {}
    assert response.status_code == 400
    assert "Origin" in response.headers["vary"]
    assert response.headers["x-request-id"]


async def test_a_method_other_than_get_or_post_is_refused_in_a_preflight(start_api: ApiFactory) -> None:
    api = await start_api(app_env="development")

    response = await _preflight(api.http, "http://localhost:5173", method="PUT")

    assert response.status_code == 400


async def test_an_actual_response_names_the_origin_and_exposes_our_headers(start_api: ApiFactory) -> None:
    api = await start_api(app_env="development")

    response = await api.http.post("/graphql", json=VIEWER, headers={"Origin": "http://localhost:5173"})

    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "http://localhost:5173"
    assert "Origin" in response.headers["vary"]
    exposed = {header.strip() for header in response.headers["access-control-expose-headers"].split(",")}
    assert exposed == {"X-Request-ID", "Retry-After", "Idempotent-Replayed"}
    assert "access-control-allow-credentials" not in response.headers


async def test_an_actual_response_to_another_origin_does_not_allow_it(start_api: ApiFactory) -> None:
    api = await start_api(app_env="development")

    response = await api.http.post("/graphql", json=VIEWER, headers={"Origin": "https://evil.example"})
    too_large = await api.http.post(
        "/graphql", json={"query": "x" * 70_000}, headers={"Origin": "https://evil.example"}
    )

    assert response.status_code == 200
    assert too_large.status_code == 413
    for refused in (response, too_large):
        assert _cors_headers(refused) == {}
        assert "Origin" in refused.headers["vary"], "a cache must not hand this answer to an allowed origin"


async def test_error_responses_carry_cors_headers_so_a_page_can_read_them(start_api: ApiFactory) -> None:
    api = await start_api(app_env="development", graphql=GraphQLSettings(graphql_max_body_bytes=1024))
    origin = {"Origin": "http://localhost:5173"}

    too_large = await api.http.post("/graphql", json={"query": "x" * 2000}, headers=origin)
    wrong_type = await api.http.post("/graphql", content=b"{}", headers={**origin, "Content-Type": "text/plain"})

    assert too_large.status_code == 413
    assert wrong_type.status_code == 415
    for response in (too_large, wrong_type):
        assert response.headers["access-control-allow-origin"] == "http://localhost:5173"
        assert response.headers["x-request-id"]


async def test_production_sends_no_cors_header_by_default(start_api: ApiFactory) -> None:
    api = await start_api(app_env="production")

    preflight = await _preflight(api.http, "http://localhost:5173")
    actual = await api.http.post("/graphql", json=VIEWER, headers={"Origin": "http://localhost:5173"})

    assert _cors_headers(preflight) == {}
    assert preflight.status_code == 405
    assert _cors_headers(actual) == {}
    assert actual.status_code == 200


async def test_production_allows_exactly_the_configured_origins(start_api: ApiFactory) -> None:
    cors = CorsSettings(app_env="production", cors_allow_origins=("https://app.flow.example",))
    api = await start_api(app_env="production", cors=cors)

    allowed = await _preflight(api.http, "https://app.flow.example")
    other = await _preflight(api.http, "https://app.flow.example.evil.example")
    loopback = await _preflight(api.http, "http://localhost:5173")

    assert allowed.status_code == 204
    assert allowed.headers["access-control-allow-origin"] == "https://app.flow.example"
    assert _cors_headers(other) == _cors_headers(loopback) == {}


async def test_development_with_explicit_origins_drops_the_loopback_default(start_api: ApiFactory) -> None:
    cors = CorsSettings(app_env="development", cors_allow_origins=("http://localhost:5173",))
    api = await start_api(app_env="development", cors=cors)

    listed = await _preflight(api.http, "http://localhost:5173")
    unlisted = await _preflight(api.http, "http://localhost:3000")

    assert listed.headers["access-control-allow-origin"] == "http://localhost:5173"
    assert _cors_headers(unlisted) == {}
