"""`aud` (RFC 7519 §4.1.3): absent, as in AuthKit session tokens, it is not checked; present, it
must name an audience in WORKOS_AUDIENCE, or the token is refused before anything is sent."""

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core.config import WorkOSSettings
from tests.conftest import ApiFactory, RunningUpstream
from tests.fixtures.graphql_client import GraphQLClient
from tests.fixtures.identity import RunningIdentityProvider
from tests.fixtures.operations import CREATE_CONNECTION_TO_GLOBEX

VIEWER = "{ viewer { organizationId } }"
OURS = "https://api.flow.test"
ALSO_OURS = "urn:flow:api"
OTHER = "https://api.other.test"


@pytest.fixture
async def api_for_us(start_api: ApiFactory, workos_settings: WorkOSSettings) -> GraphQLClient:
    return await start_api(workos=workos_settings.model_copy(update={"workos_audience": (OURS, ALSO_OURS)}))


@pytest.mark.parametrize(
    "aud",
    [OTHER, [OTHER], [OTHER, "https://api.third.test"], OURS.upper(), f"{OURS}/", "", [], None, [[OURS]], [OURS, 7]],
)
async def test_a_token_not_naming_our_audience_is_unauthorized_and_nothing_is_sent(
    aud: object, api_for_us: GraphQLClient, idp: RunningIdentityProvider, upstream: RunningUpstream
) -> None:
    response = await api_for_us.execute(CREATE_CONNECTION_TO_GLOBEX, token=idp.token(extra_claims={"aud": aud}))

    assert response.error_codes == ["UNAUTHORIZED"], response.body
    assert response.error_messages[0].startswith("Token audience (aud)")
    assert upstream.fake.requests == []


@pytest.mark.parametrize("aud", [OTHER, [OTHER], OURS, []])
async def test_with_no_audience_configured_a_token_carrying_one_is_unauthorized(
    aud: object, api: GraphQLClient, idp: RunningIdentityProvider
) -> None:
    response = await api.execute(VIEWER, token=idp.token(extra_claims={"aud": aud}))

    assert response.error_codes == ["UNAUTHORIZED"], response.body
    assert response.error_messages == ["Token audience (aud) is not this API."]


@pytest.mark.parametrize("aud", [OURS, ALSO_OURS, [OURS], [OTHER, ALSO_OURS]])
async def test_a_token_naming_our_audience_is_accepted(
    aud: object, api_for_us: GraphQLClient, idp: RunningIdentityProvider
) -> None:
    response = await api_for_us.execute(VIEWER, token=idp.token(extra_claims={"aud": aud}))

    assert response.body == {"data": {"viewer": {"organizationId": "org_test"}}}


async def test_a_session_token_without_aud_is_accepted_whether_or_not_an_audience_is_configured(
    api: GraphQLClient, api_for_us: GraphQLClient, idp: RunningIdentityProvider
) -> None:
    token = idp.token(omit=["aud"])

    assert (await api.execute(VIEWER, token=token)).error_codes == []
    assert (await api_for_us.execute(VIEWER, token=token)).error_codes == []


JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
    | st.sampled_from([OURS, ALSO_OURS, OTHER, OURS.upper(), f" {OURS}", ""])
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=2),
    max_leaves=6,
)
AUD_SHAPES = JSON_VALUES | st.lists(JSON_VALUES, max_size=4)


def names_us(aud: Any) -> bool:
    """RFC 7519's two shapes of `aud`, a string or an array of strings, naming one of ours."""
    if isinstance(aud, str):
        return aud in (OURS, ALSO_OURS)
    return (
        isinstance(aud, list) and all(isinstance(member, str) for member in aud) and bool({OURS, ALSO_OURS} & set(aud))
    )


@given(aud=AUD_SHAPES)
@settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    # One app serves every example; each token is new (its own `jti`), so none is served from a cache.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
async def test_any_aud_is_accepted_exactly_when_it_names_one_of_our_audiences(
    aud: Any, api_for_us: GraphQLClient, idp: RunningIdentityProvider
) -> None:
    response = await api_for_us.execute(VIEWER, token=idp.token(extra_claims={"aud": aud}))

    assert response.error_codes == ([] if names_us(aud) else ["UNAUTHORIZED"]), (aud, response.body)
