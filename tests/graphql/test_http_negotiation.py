"""GraphQL over HTTP's content negotiation: the Accept header read as RFC 9110 says (media
ranges, q-values, the most specific range deciding), every answer in the chosen type."""

import pytest

from tests.conftest import ApiFactory

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
JSON = "application/json"

# (Accept, the media type chosen)
NEGOTIATED = [
    (None, JSON),
    ("", JSON),
    (GRAPHQL_RESPONSE_JSON, GRAPHQL_RESPONSE_JSON),
    ("APPLICATION/GRAPHQL-RESPONSE+JSON", GRAPHQL_RESPONSE_JSON),
    (f"{GRAPHQL_RESPONSE_JSON};q=0", JSON),
    (f"{GRAPHQL_RESPONSE_JSON};q=0, {JSON}", JSON),
    (f"{GRAPHQL_RESPONSE_JSON};q=0.5, {JSON}", JSON),
    (f"{JSON};q=0.5, {GRAPHQL_RESPONSE_JSON}", GRAPHQL_RESPONSE_JSON),
    (f"{GRAPHQL_RESPONSE_JSON}, {JSON};q=0.9", GRAPHQL_RESPONSE_JSON),  # Apollo Client's
    (f"{GRAPHQL_RESPONSE_JSON}, {JSON}", GRAPHQL_RESPONSE_JSON),  # a tie between named types: the spec's own
    ("*/*", JSON),  # a tie between wildcards: what every client understands
    ("application/*", JSON),
    (f"{GRAPHQL_RESPONSE_JSON};q=0.9, */*", JSON),  # the named range decides for its type
    (f"*/*;q=0.1, {GRAPHQL_RESPONSE_JSON}", GRAPHQL_RESPONSE_JSON),
    (f"{JSON};q=0, */*", GRAPHQL_RESPONSE_JSON),
    ("text/html", JSON),  # nothing we serve is acceptable: answered in the default, as Strawberry does
    (f"{GRAPHQL_RESPONSE_JSON};q=nonsense, {JSON};q=0.2", JSON),  # a range with an invalid q is ignored
]


async def test_the_accept_header_is_negotiated_with_media_ranges_and_q_values(start_api: ApiFactory) -> None:
    api = await start_api()

    chosen = {}
    for accept, _ in NEGOTIATED:
        headers = {} if accept is None else {"Accept": accept}
        response = await api.http.post("/graphql", json={"query": "{ __typename }"}, headers=headers)
        assert response.status_code == 200
        chosen[accept] = response.headers["content-type"]

    assert chosen == dict(NEGOTIATED)


@pytest.mark.parametrize(("accept", "status"), [(GRAPHQL_RESPONSE_JSON, 400), (f"{GRAPHQL_RESPONSE_JSON};q=0", 200)])
async def test_a_request_error_has_no_data_and_a_400_only_in_the_type_chosen(
    start_api: ApiFactory, accept: str, status: int
) -> None:
    api = await start_api()

    response = await api.execute("{ nope }", headers={"Accept": accept})

    assert response.http.status_code == status
    assert ("data" in response.body) is (status == 200)


@pytest.mark.parametrize("accept", [GRAPHQL_RESPONSE_JSON, JSON])
async def test_a_body_we_cannot_read_is_answered_in_the_type_chosen(start_api: ApiFactory, accept: str) -> None:
    api = await start_api()

    response = await api.http.post(
        "/graphql", content=b"{", headers={"Content-Type": JSON, "Accept": f"text/html;q=0.5, {accept}"}
    )

    assert response.status_code == 400
    assert response.headers["content-type"] == accept
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
