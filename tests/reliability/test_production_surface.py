"""What production tells a client about the schema, and how strictly it reads a request."""

import pytest

from tests.conftest import ApiFactory, RunningUpstream
from tests.fixtures.identity import RunningIdentityProvider
from tests.fixtures.operations import GLOBEX


async def test_validation_errors_suggest_no_field_names_in_production(start_api: ApiFactory) -> None:
    production = await start_api(app_env="production")
    development = await start_api(app_env="development")

    hidden = await production.execute("{ viewr { flowUserId } }")
    suggested = await development.execute("{ viewr { flowUserId } }")

    assert hidden.error_messages == ["Cannot query field 'viewr' on type 'Query'."]
    assert suggested.error_messages == ["Cannot query field 'viewr' on type 'Query'. Did you mean 'viewer'?"]


@pytest.mark.parametrize(
    "document",
    [
        f'mutation Connect {{ createConnection(targetOrgId: "{GLOBEX}") }} query Who {{ viewer {{ flowUserId }} }}',
        f'mutation A {{ createConnection(targetOrgId: "{GLOBEX}") }} mutation B {{ __typename }}',
    ],
    ids=["mutation first", "two mutations"],
)
async def test_several_operations_without_an_operation_name_execute_nothing(
    start_api: ApiFactory, idp: RunningIdentityProvider, upstream: RunningUpstream, document: str
) -> None:
    api = await start_api()

    response = await api.execute(document, token=idp.token())

    assert response.data is None
    assert response.error_messages == ["Must provide operationName when the document contains several operations."]
    assert upstream.fake.requests == []


async def test_an_operation_name_picks_one_of_several(
    start_api: ApiFactory, idp: RunningIdentityProvider, upstream: RunningUpstream
) -> None:
    api = await start_api()
    document = f'mutation Connect {{ createConnection(targetOrgId: "{GLOBEX}") }} query Who {{ __typename }}'

    response = await api.http.post(
        "/graphql", json={"query": document, "operationName": "Who"}, headers={"Authorization": f"Bearer {idp.token()}"}
    )

    assert response.json() == {"data": {"__typename": "Query"}}
    assert upstream.fake.requests == []
