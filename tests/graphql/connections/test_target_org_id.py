"""`targetOrgId` is RFC 9562's hyphenated text in ASCII, any case; nothing else reaches Flow Connect."""

import json
import re
import uuid

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from app.core.config import SharedStateSettings
from tests.conftest import ApiFactory, RunningUpstream
from tests.fixtures.graphql_client import GraphQLClient
from tests.fixtures.identity import RunningIdentityProvider
from tests.fixtures.operations import GLOBEX

CREATE = "mutation Create($target: ID!) { createConnection(targetOrgId: $target) }"
# The oracle, written independently of the app's: explicit ASCII ranges (`\d` would match any digit).
STRICT = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
# Characters `uuid.UUID` or `int(..., 16)` take leniently, and look-alikes of the real ones.
UNICODE_DIGITS = "０１９٠١٩۰۹०९০৯๐๙߀߉"
AWKWARD = " \t\n\u00a0\u2003+-_{}:urnid\u2010\u2011\u2212\uff0d\uff41\uff26"


def _uuid_text(value: uuid.UUID, upper: list[bool]) -> str:
    return "".join(char.upper() if up else char for char, up in zip(str(value), upper, strict=False))


def _spelt(value: uuid.UUID) -> st.SearchStrategy[str]:
    """A UUID in any mix of cases, then bent: characters swapped for others (the length `uuid.UUID`
    checks stays the same), inserted or removed, or the whole wrapped as other notations write it."""
    text = st.lists(st.booleans(), min_size=36, max_size=36).map(lambda upper: _uuid_text(value, upper))
    one_char = st.sampled_from(UNICODE_DIGITS + AWKWARD + "0123456789abcdefABCDEF")
    edit = st.tuples(st.integers(0, 36), st.integers(0, 1), st.one_of(one_char, st.text(one_char, max_size=3)))
    wrapping = st.sampled_from(["{}", "urn:uuid:{}", "{{{}}}", "{} ", "\t{}", "{}\n"])
    return st.tuples(text, st.lists(edit, max_size=3), wrapping).map(lambda spelt: _edited(*spelt))


def _edited(text: str, edits: list[tuple[int, int, str]], wrapping: str) -> str:
    for position, removed, inserted in edits:
        text = text[:position] + inserted + text[position + removed :]
    return wrapping.format(text)


TARGETS = st.one_of(
    st.uuids().flatmap(_spelt),
    st.text("0123456789abcdefABCDEF-" + UNICODE_DIGITS + AWKWARD, max_size=45),
)


@pytest.fixture
async def roomy_api(start_api: ApiFactory) -> GraphQLClient:
    """Rate limits far above what one property test sends, so every answer is about the input."""
    return await start_api(shared_state=SharedStateSettings(rate_limit_create_connection_per_user="100000/minute"))


@given(target=TARGETS)
@example(target=GLOBEX.upper())
@example(target="\uff19133da7c-3b98-4673-91dc-0dc58cc8740c")
@example(target="\u0669133da7c-3b98-4673-91dc-0dc58cc8740c")
@example(target="+133da7c-3b98-4673-91dc-0dc58cc8740c")
@example(target=" 9133da7c-3b98-4673-91dc-0dc58cc8740c")
@example(target="9133da7c3-b98-4673-91dc-0dc58cc8740c")
@example(target="9133da7c3b98467391dc0dc58cc8740c")
@example(target="{9133da7c-3b98-4673-91dc-0dc58cc8740c}")
@example(target="urn:uuid:9133da7c-3b98-4673-91dc-0dc58cc8740c")
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
async def test_a_target_is_sent_in_canonical_form_only_when_it_is_strict_uuid_text(
    roomy_api: GraphQLClient, idp: RunningIdentityProvider, upstream: RunningUpstream, target: str
) -> None:
    upstream.fake.requests.clear()  # the fixtures serve every example

    response = await roomy_api.execute(CREATE, token=idp.token(), variables={"target": target})

    if STRICT.fullmatch(target):
        assert response.body == {"data": {"createConnection": True}}
        [request] = upstream.fake.requests
        assert json.loads(request.body) == {"target_org_id": target.lower()}
    else:
        assert response.error_extensions == [{"code": "BAD_USER_INPUT", "argument": "targetOrgId"}], target
        [message] = response.error_messages
        assert message == f"targetOrgId must be a UUID written as 8-4-4-4-12 hexadecimal digits, e.g. {GLOBEX}."
        assert upstream.fake.requests == []


async def test_an_inline_target_in_upper_case_is_sent_in_lower_case(
    api: GraphQLClient, idp: RunningIdentityProvider, upstream: RunningUpstream
) -> None:
    response = await api.execute(f'mutation {{ createConnection(targetOrgId: "{GLOBEX.upper()}") }}', token=idp.token())

    assert response.body == {"data": {"createConnection": True}}
    [request] = upstream.fake.requests
    assert json.loads(request.body) == {"target_org_id": GLOBEX}
