"""The idempotency fingerprint sees through fragments (Strawberry's public `info.selected_fields`)."""

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
