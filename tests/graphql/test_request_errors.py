"""Requests that cannot run: the answer, the log line and the metric each one gets (FlowSchema
executes operations itself, so these are the cases Strawberry's own `execute` used to decide)."""

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
