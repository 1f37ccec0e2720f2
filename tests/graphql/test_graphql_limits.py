"""The GraphQL surface: hostile documents are refused before anything executes."""

from collections.abc import AsyncIterator

import pytest
from graphql import get_introspection_query

from app.core.config import GraphQLSettings
from tests.conftest import ApiFactory, RunningUpstream
from tests.fixtures.identity import RunningIdentityProvider
from tests.fixtures.operations import GLOBEX

# What GraphiQL sends on load; the defaults must let it through in development.
GRAPHIQL_INTROSPECTION = get_introspection_query(descriptions=True, directive_is_repeatable=True)


def _nested_type_query(depth: int) -> str:
    inner = "name"
    for _ in range(depth):
        inner = f"ofType {{ {inner} }}"
    return f"{{ __schema {{ types {{ fields {{ type {{ {inner} }} }} }} }} }}"


async def test_graphiql_introspection_passes_the_default_limits_in_development(start_api: ApiFactory) -> None:
    api = await start_api(app_env="development")

    response = await api.execute(GRAPHIQL_INTROSPECTION)

    assert response.error_messages == []
    type_names = {t["name"] for t in response.data["__schema"]["types"]}
    assert {"Query", "Mutation", "Viewer"} <= type_names


async def test_introspection_is_refused_in_production(start_api: ApiFactory) -> None:
    api = await start_api(app_env="production")

    response = await api.execute("{ __schema { types { name } } }")

    assert "data" not in response.body or response.data is None
    assert response.error_messages[0] == (
        "GraphQL introspection has been disabled, but the requested query contained the field '__schema'."
    )


async def test_deep_introspection_nesting_is_refused_in_production(start_api: ApiFactory) -> None:
    api = await start_api(app_env="production")

    response = await api.execute(_nested_type_query(30))

    assert response.data is None
    assert response.error_messages[0].startswith("GraphQL introspection has been disabled")


async def test_introspection_can_be_enabled_explicitly_in_production(start_api: ApiFactory) -> None:
    api = await start_api(app_env="production", graphql=GraphQLSettings(graphql_introspection=True))

    response = await api.execute('{ __type(name: "Viewer") { name } }')

    assert response.data == {"__type": {"name": "Viewer"}}


async def test_graphiql_can_be_enabled_explicitly_in_production(start_api: ApiFactory) -> None:
    api = await start_api(app_env="production", graphql=GraphQLSettings(graphql_ide=True))

    page = await api.http.get("/graphql", headers={"Accept": "text/html"})

    assert page.status_code == 200
    assert "graphiql" in page.text.lower()


async def test_operations_deeper_than_the_limit_are_refused(start_api: ApiFactory) -> None:
    # Our deepest operation is 1 level deep; a limit of 0 shows the limiter at work on it.
    api = await start_api(graphql=GraphQLSettings(graphql_max_depth=0))

    response = await api.execute("query Me { viewer { flowUserId } }")

    assert response.data is None
    assert response.error_messages == ["'Me' exceeds maximum operation depth of 0"]


async def test_a_thousand_aliases_are_refused_and_nothing_is_sent_upstream(
    start_api: ApiFactory, idp: RunningIdentityProvider, upstream: RunningUpstream
) -> None:
    # Token, body and root field limits raised, so that the alias limit is the one that answers.
    api = await start_api(
        graphql=GraphQLSettings(
            graphql_max_tokens=100_000, graphql_max_body_bytes=1024 * 1024, graphql_max_root_fields=1000
        )
    )
    aliases = " ".join(f"c{i}: createConnection(targetOrgId: $target)" for i in range(1000))

    response = await api.execute(
        f"mutation M($target: ID!) {{ {aliases} }}", token=idp.token(), variables={"target": GLOBEX}
    )

    assert response.data is None
    assert response.error_messages == ["'M' exceeds maximum of 15 aliases"]
    assert upstream.fake.requests == []


async def test_more_root_fields_than_the_limit_are_refused(start_api: ApiFactory) -> None:
    api = await start_api()

    response = await api.execute("query Many { " + " ".join(["__typename"] * 21) + " }")

    assert response.data is None
    assert response.error_messages == ["'Many' exceeds maximum of 20 root fields"]


async def test_more_directives_on_one_location_than_the_limit_are_refused(start_api: ApiFactory) -> None:
    api = await start_api()

    response = await api.execute("{ __typename" + " @include(if: true)" * 6 + " }")

    # Ours alone: graphql-core's rules (here: a repeated directive) never walk a refused document.
    assert response.error_messages == ["'anonymous' exceeds maximum of 5 directives on one location"]


async def test_a_fragment_fan_out_is_refused_by_its_expanded_selections(start_api: ApiFactory) -> None:
    api = await start_api()
    chain = " ".join(f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(40))

    response = await api.execute(f"query Bomb {{ ...F0 }} {chain} fragment F40 on Query {{ __typename }}")

    assert response.error_messages == [
        "'Bomb' exceeds maximum of 1000 selections with fragments expanded",
        "'Bomb' exceeds maximum of 20 root fields",
    ]


async def test_a_thousand_aliases_are_refused_with_default_limits(start_api: ApiFactory) -> None:
    api = await start_api()

    response = await api.execute("{ " + " ".join(f"a{i}: __typename" for i in range(1000)) + " }")

    assert response.data is None
    assert response.error_messages == ["Syntax Error: Document contains more than 2000 tokens. Parsing aborted."]


async def test_huge_token_count_is_refused(start_api: ApiFactory) -> None:
    api = await start_api()
    query = "{ " + " ".join("__typename" for _ in range(5000)) + " }"

    response = await api.execute(query)

    assert response.data is None
    assert response.error_messages == ["Syntax Error: Document contains more than 2000 tokens. Parsing aborted."]


async def test_body_over_the_cap_is_413(start_api: ApiFactory) -> None:
    api = await start_api(graphql=GraphQLSettings(graphql_max_body_bytes=4096))
    padding = " " * 5000

    response = await api.http.post("/graphql", json={"query": "{ __typename }" + padding})

    assert response.status_code == 413


async def test_streamed_body_over_the_cap_is_413(start_api: ApiFactory) -> None:
    api = await start_api(graphql=GraphQLSettings(graphql_max_body_bytes=4096))

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"query": "{ __typename }", "x": "'
        for _ in range(10):
            yield b"x" * 1000
        yield b'"}'

    response = await api.http.post("/graphql", content=chunks(), headers={"Content-Type": "application/json"})

    assert response.status_code == 413
    assert "content-length" not in response.request.headers


async def test_batched_operations_are_refused(start_api: ApiFactory) -> None:
    api = await start_api()

    response = await api.http.post("/graphql", json=[{"query": "{ __typename }"}, {"query": "{ __typename }"}])

    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["message"] == "Batching is not supported: send one operation per request."
    assert error["extensions"]["code"] == "BAD_REQUEST"


async def test_mutations_over_get_are_refused(
    start_api: ApiFactory, idp: RunningIdentityProvider, upstream: RunningUpstream
) -> None:
    api = await start_api()

    response = await api.http.get(
        "/graphql",
        params={"query": f'mutation {{ createConnection(targetOrgId: "{GLOBEX}") }}'},
        headers={"Authorization": f"Bearer {idp.token()}"},
    )

    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["message"] == "mutations are not allowed when using GET"
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert upstream.fake.requests == []


@pytest.mark.parametrize(
    ("query", "status", "has_data"),
    [
        ("{ __typename }", 200, True),
        ("{ viewer { flowUserId } }", 200, True),  # executed: UNAUTHORIZED with "data": null
        ("{ nope }", 400, False),  # validation failed: nothing executed
        ("{ unclosed", 400, False),
    ],
)
async def test_graphql_response_json_media_type_and_status(
    start_api: ApiFactory,
    query: str,
    status: int,
    has_data: bool,  # noqa: FBT001 - a parametrized expectation
) -> None:
    api = await start_api()

    response = await api.execute(query, headers={"Accept": "application/graphql-response+json"})

    assert response.http.status_code == status
    assert response.http.headers["content-type"] == "application/graphql-response+json"
    assert ("data" in response.body) is has_data


async def test_plain_json_clients_keep_200_for_validation_errors(start_api: ApiFactory) -> None:
    api = await start_api()

    response = await api.execute("{ nope }", headers={"Accept": "application/json"})

    assert response.http.status_code == 200
    assert response.http.headers["content-type"] == "application/json"
