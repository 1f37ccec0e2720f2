"""A mutation sent with an Idempotency-Key (what a client that retries safely sends, and what the
bench sends) leaves no reference cycle either: tests/graphql/test_reference_cycles.py says why."""

import gc
from collections import Counter

from tests.fixtures.graphql_client import GraphQLClient
from tests.fixtures.identity import RunningIdentityProvider
from tests.fixtures.operations import CREATE_CONNECTION_TO_GLOBEX
from tests.graphql.test_reference_cycles import cyclic_garbage


async def test_a_keyed_mutation_leaves_no_reference_cycle(api: GraphQLClient, idp: RunningIdentityProvider) -> None:
    token = idp.token()
    await api.execute(CREATE_CONNECTION_TO_GLOBEX, token=token, headers={"Idempotency-Key": "warm"})

    try:
        with cyclic_garbage():
            created = await api.execute(CREATE_CONNECTION_TO_GLOBEX, token=token, headers={"Idempotency-Key": "k-1"})
            replayed = await api.execute(CREATE_CONNECTION_TO_GLOBEX, token=token, headers={"Idempotency-Key": "k-1"})
        left = Counter(type(obj).__qualname__ for obj in gc.garbage)
    finally:
        gc.garbage.clear()

    assert created.data == replayed.data == {"createConnection": True}
    assert left.most_common(12) == []
