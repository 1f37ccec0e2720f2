"""What clients see when things go wrong, and what the server keeps for itself."""

import pytest
from aioinject import Scoped

from app.auth import AuthInfo
from tests.conftest import ApiFactory
from tests.fixtures.logs import CapturedLogs


async def _explode() -> AuthInfo:
    raise RuntimeError("database password is hunter2")


async def test_unexpected_error_is_masked_with_request_id_and_logged_in_full(
    start_api: ApiFactory, logs: CapturedLogs
) -> None:
    api = await start_api(overrides=(Scoped(_explode, interface=AuthInfo),))

    response = await api.execute("{ viewer { flowUserId } }")

    request_id = response.http.headers["x-request-id"]
    assert response.body["errors"] == [
        {
            "message": "Internal server error.",
            "locations": [{"line": 1, "column": 3}],
            "path": ["viewer"],
            "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id},
        }
    ]
    assert "hunter2" not in response.http.text
    [logged] = logs.events("graphql_unexpected_error")
    assert logged["request_id"] == request_id
    [exception] = logged["exception"]
    assert exception["exc_type"] == "RuntimeError"
    assert exception["frames"], "with its traceback"


async def test_graphql_validation_errors_reach_the_client_unmasked(start_api: ApiFactory) -> None:
    api = await start_api()

    response = await api.execute("{ viewer { noSuchField } }")

    assert response.error_messages == ["Cannot query field 'noSuchField' on type 'Viewer'."]
    assert response.http.status_code == 200


async def test_client_request_id_is_echoed_when_well_formed(start_api: ApiFactory) -> None:
    api = await start_api()

    response = await api.execute("{ __typename }", headers={"X-Request-ID": "trace-abc.123_x"})

    assert response.http.headers["x-request-id"] == "trace-abc.123_x"


@pytest.mark.parametrize("hostile", [b"a" * 129, b"with space", b'quote"injected', "\u00fcn\u00efcode".encode(), b""])
async def test_malformed_client_request_id_is_replaced(start_api: ApiFactory, hostile: bytes) -> None:
    api = await start_api()

    response = await api.http.post("/graphql", json={"query": "{ __typename }"}, headers={b"X-Request-ID": hostile})

    generated = response.headers["x-request-id"]
    assert generated.encode() != hostile
    assert len(generated) == 32
    assert int(generated, 16) >= 0


async def test_graphiql_is_served_in_development_only(start_api: ApiFactory) -> None:
    development = await start_api(app_env="development")
    production = await start_api(app_env="production")

    dev_page = await development.http.get("/graphql", headers={"Accept": "text/html"})
    prod_page = await production.http.get("/graphql", headers={"Accept": "text/html"})

    assert dev_page.status_code == 200
    assert "graphiql" in dev_page.text.lower()
    assert prod_page.status_code == 404
    assert "graphiql" not in prod_page.text.lower()
