"""Requests that cannot run: the answer, the log line and the metric each one gets (FlowSchema
executes operations itself, so these are the cases Strawberry's own `execute` used to decide)."""

import httpx
import pytest

from tests.conftest import ApiFactory
from tests.fixtures.logs import CapturedLogs
from tests.fixtures.metrics import delta, scrape


async def test_an_unknown_fragment_is_graphql_cores_validation_error_not_a_fault(
    start_api: ApiFactory, logs: CapturedLogs
) -> None:
    api = await start_api()

    # The limits skip a spread of an undefined fragment; graphql-core's KnownFragmentNamesRule answers.
    response = await api.execute("{ viewer { ...Missing } }")

    assert response.http.status_code == 200
    assert response.error_codes == ["GRAPHQL_VALIDATION_FAILED"]
    assert response.error_messages == ["Unknown fragment 'Missing'."]
    assert logs.events("graphql_unexpected_error") == []
    [request] = logs.events("graphql_request")
    assert request["error_codes"] == ["GRAPHQL_VALIDATION_FAILED"]


async def test_a_document_without_an_operation_is_a_bad_request(start_api: ApiFactory) -> None:
    api = await start_api()

    response = await api.execute("fragment F on Query { viewer { flowUserId } }")

    assert response.http.status_code == 400
    assert response.error_codes == ["BAD_REQUEST"]
    assert response.error_messages == ["Can't get GraphQL operation type"]


async def test_an_unknown_operation_name_is_a_bad_request(start_api: ApiFactory) -> None:
    api = await start_api()

    response = await api.http.post("/graphql", json={"query": "query A { __typename }", "operationName": "B"})

    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_a_mutation_over_get_is_refused_even_unnamed_among_several(start_api: ApiFactory) -> None:
    api = await start_api()

    # Strawberry checks the first operation's type against the method before validating.
    response = await api.http.get("/graphql", params={"query": "mutation M { __typename } query Q { __typename }"})

    assert response.status_code == 400
    assert "mutations are not allowed when using GET" in response.json()["errors"][0]["message"]


async def test_a_missing_query_is_a_bad_request(start_api: ApiFactory) -> None:
    api = await start_api()

    response = await api.http.post("/graphql", json={"variables": {}})

    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == "No GraphQL query found in the request"


async def test_several_operations_unnamed_are_logged_under_the_first_name_and_counted_invalid(
    start_api: ApiFactory, logs: CapturedLogs
) -> None:
    api = await start_api()
    before = await scrape(api.http)

    response = await api.execute("query First { __typename } query Second { __typename }")

    assert response.data is None
    [code] = response.error_codes
    [request] = logs.events("graphql_request")
    assert (request["operation_type"], request["operation_name"], request["root_field"]) == (
        "unknown",
        "First",
        "invalid",
    )
    after = await scrape(api.http)
    counted = delta(
        before, after, "flow_api_graphql_requests_total", operation_type="unknown", operation="invalid", outcome=code
    )
    assert counted == 1


async def test_get_variables_null_is_no_variables(start_api: ApiFactory) -> None:
    api = await start_api()

    response = await api.http.get("/graphql", params={"query": "{ __typename }", "variables": "null"})

    assert response.status_code == 200
    assert response.json() == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize("parameter", ["variables", "extensions"])
@pytest.mark.parametrize("value", ["[1]", "1", '"text"'])
async def test_get_parameters_that_are_no_object_get_strawberrys_message_for_the_parameter(
    start_api: ApiFactory, parameter: str, value: str
) -> None:
    api = await start_api()

    response = await api.http.get("/graphql", params={"query": "{ __typename }", parameter: value})

    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["message"] == f"The GraphQL operation's `{parameter}` must be an object or null, if provided."
    assert error["extensions"]["code"] == "BAD_REQUEST"


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"])
async def test_another_method_is_405_allowing_exactly_what_is_served(start_api: ApiFactory, method: str) -> None:
    api = await start_api()

    # A client of its own: the suite's error ledger would read a body into HEAD's empty answer.
    async with httpx.AsyncClient(base_url=api.http.base_url) as client:
        response = await client.request(method, "/graphql")

    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"
    assert response.headers["content-type"] == "application/json"
    if method != "HEAD":  # a HEAD answer has no body
        [error] = response.json()["errors"]
        assert error["message"] == "GraphQL only supports GET and POST requests."
        assert error["extensions"]["code"] == "BAD_REQUEST"
