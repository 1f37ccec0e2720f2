"""The bench's row 4 (`bench/naive_app.py`, the seed plan's client per call) must stay a working
service: a client that no longer fits the one it replaces turns the row into 500s, and the bench
into a failed run. Fails if `FlowConnectApiClient` gains a method the service calls."""

from aioinject import Scoped

from app.core.flow_connect_api import FlowConnectApiClient
from bench.naive_app import NaiveFlowConnectApiClient
from tests.conftest import ApiFactory, RunningUpstream
from tests.fixtures.identity import RunningIdentityProvider
from tests.fixtures.operations import CREATE_CONNECTION_TO_GLOBEX


async def test_the_naive_client_answers_a_mutation_as_ours_does(
    start_api: ApiFactory, idp: RunningIdentityProvider, upstream: RunningUpstream
) -> None:
    api = await start_api(overrides=(Scoped(NaiveFlowConnectApiClient, interface=FlowConnectApiClient),))
    token = idp.token()

    response = await api.execute(CREATE_CONNECTION_TO_GLOBEX, token=token, headers={"Idempotency-Key": "k-1"})

    assert response.body == {"data": {"createConnection": True}}
    [sent] = upstream.fake.requests
    assert sent.headers["authorization"] == f"Bearer {token}"
