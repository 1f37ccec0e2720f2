"""Correctly signed tokens whose claims are odd: every one is UNAUTHORIZED, never a server error,
and nothing odd a token carries is echoed back to the caller."""

import time

import pytest

from devstack.identity import sign_claims_json
from tests.fixtures.graphql_client import GraphQLClient
from tests.fixtures.identity import RunningIdentityProvider

VIEWER = "{ viewer { flowUserId organizationId } }"
IN_AN_HOUR = int(time.time()) + 3600

ODD_CLAIMS: dict[str, dict[str, object]] = {
    "exp_as_string": {"exp": str(IN_AN_HOUR)},
    "exp_huge_integer": {"exp": 10**400},
    "exp_beyond_the_sane_range": {"exp": 2**40},
    "exp_as_boolean": {"exp": True},
    "exp_as_list": {"exp": [IN_AN_HOUR]},
    "nbf_as_string": {"nbf": "0"},
    "iat_huge_integer": {"iat": 10**400},
    "iat_negative": {"iat": -1},
    "sub_blank": {"sub": "   "},
    "sub_control_characters": {"sub": "user_1\r\nuser_2"},
    "org_id_control_characters": {"org_id": "org_1\x1b[2J\x00"},
    "org_id_bidi_override": {"org_id": "org_\u202e1"},
    "org_id_too_long": {"org_id": "o" * 256},
    "org_id_not_a_string": {"org_id": 7},
}


@pytest.mark.parametrize("case", list(ODD_CLAIMS))
async def test_odd_claims_are_unauthorized(case: str, api: GraphQLClient, idp: RunningIdentityProvider) -> None:
    response = await api.execute(VIEWER, token=idp.token(extra_claims=ODD_CLAIMS[case]))

    assert response.error_codes == ["UNAUTHORIZED"], response.body
    assert response.data is None


# Literal JSON no Python encoder writes: 1e400 parses to inf, NaN to nan.
ODD_NUMBERS = {"exp_1e400": "1e400", "exp_nan": "NaN", "exp_minus_infinity": "-Infinity", "exp_float_huge": "1e300"}


@pytest.mark.parametrize("case", list(ODD_NUMBERS))
async def test_non_finite_or_absurd_exp_is_unauthorized(
    case: str, api: GraphQLClient, idp: RunningIdentityProvider
) -> None:
    claims = f'{{"iss":"{idp.url}","sub":"user_1","exp":{ODD_NUMBERS[case]}}}'
    token = sign_claims_json(idp.provider.keys[0], claims)

    response = await api.execute(VIEWER, token=token)

    assert response.error_codes == ["UNAUTHORIZED"], response.body


async def test_a_float_exp_in_range_is_accepted(api: GraphQLClient, idp: RunningIdentityProvider) -> None:
    response = await api.execute(VIEWER, token=idp.token(extra_claims={"exp": IN_AN_HOUR + 0.5}))

    assert response.data == {
        "viewer": {"flowUserId": response.data["viewer"]["flowUserId"], "organizationId": "org_test"}
    }
