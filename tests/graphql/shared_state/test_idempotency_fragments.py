"""The idempotency fingerprint covers the whole document: its fragments, and which of its
operations runs."""

from tests.conftest import RunningUpstream
from tests.fixtures.identity import RunningIdentityProvider
from tests.fixtures.operations import GLOBEX
from tests.graphql.shared_state.conftest import StoreApi

OTHER_ORG = "0b7c2f4e-1a2b-4c3d-8e9f-0a1b2c3d4e5f"


def _through_fragment(target: str) -> str:
    return f'mutation {{ ...Connect }} fragment Connect on Mutation {{ createConnection(targetOrgId: "{target}") }}'


async def test_a_key_reused_with_another_fragment_body_is_refused_and_the_same_replays(
    start_store_api: StoreApi, idp: RunningIdentityProvider, upstream: RunningUpstream
) -> None:
    api = await start_store_api()
    key = {"Idempotency-Key": "fragment-1"}

    first = await api.execute(_through_fragment(GLOBEX), token=idp.token(), headers=key)
    again = await api.execute(_through_fragment(GLOBEX), token=idp.token(), headers=key)
    other = await api.execute(_through_fragment(OTHER_ORG), token=idp.token(), headers=key)

    assert first.body == again.body == {"data": {"createConnection": True}}
    assert again.http.headers["idempotent-replayed"] == "true"
    assert other.error_codes == ["IDEMPOTENCY_KEY_REUSED"]
    assert len(upstream.fake.requests) == 1


def _two_operations(target_a: str, target_b: str) -> str:
    return (
        f'mutation A {{ createConnection(targetOrgId: "{target_a}") }} '
        f'mutation B {{ createConnection(targetOrgId: "{target_b}") }}'
    )


async def test_a_key_reused_for_the_documents_other_operation_is_refused(
    start_store_api: StoreApi, idp: RunningIdentityProvider, upstream: RunningUpstream
) -> None:
    api = await start_store_api()
    key = {"Idempotency-Key": "operations-1"}
    document = _two_operations(GLOBEX, OTHER_ORG)

    first = await api.execute(document, token=idp.token(), operation_name="A", headers=key)
    again = await api.execute(document, token=idp.token(), operation_name="A", headers=key)
    other = await api.execute(document, token=idp.token(), operation_name="B", headers=key)

    assert first.body == again.body == {"data": {"createConnection": True}}
    assert again.http.headers["idempotent-replayed"] == "true"
    assert other.error_codes == ["IDEMPOTENCY_KEY_REUSED"]
    assert len(upstream.fake.requests) == 1


async def test_a_key_reused_with_another_document_around_the_same_operation_is_refused(
    start_store_api: StoreApi, idp: RunningIdentityProvider, upstream: RunningUpstream
) -> None:
    """The README's "the same document": an operation sent again inside another document is
    another request, even when the operation that runs is the same."""
    api = await start_store_api()
    key = {"Idempotency-Key": "documents-1"}

    alone = await api.execute(
        f'mutation A {{ createConnection(targetOrgId: "{GLOBEX}") }}', token=idp.token(), headers=key
    )
    beside_another = await api.execute(
        _two_operations(GLOBEX, OTHER_ORG), token=idp.token(), operation_name="A", headers=key
    )

    assert alone.body == {"data": {"createConnection": True}}
    assert beside_another.error_codes == ["IDEMPOTENCY_KEY_REUSED"]
    assert len(upstream.fake.requests) == 1
