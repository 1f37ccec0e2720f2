"""graphql-core's pairwise comparison of fields sharing a response name is bounded for every
document: generated documents of same-name fields (arguments differing or not, spread through
fragments and inline fragments) cost at most GRAPHQL_MAX_FIELD_COMPARISONS comparisons, counted
as graphql-core charges them, and a document over it is refused in words naming the setting."""

from collections.abc import Iterator
from contextlib import contextmanager
from unittest.mock import patch

from graphql import parse
from graphql.validation.rules import overlapping_fields_can_be_merged
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.config import GraphQLSettings
from app.graphql.schemas.schema import create_schema
from tests.fixtures.graphql_client import GraphQLClient

SETTINGS = GraphQLSettings(app_env="development")
DOCUMENTS = create_schema(SETTINGS)._documents  # noqa: SLF001 - the cache the view validates with
# graphql-core charges 2 units per comparison, 1 or 2 per step, and stops once it is over budget.
MAX_UNITS = 2 * SETTINGS.graphql_max_field_comparisons + 2

same_name_fields = st.lists(st.sampled_from(["flowUserId", "flowUserId(a: 1)", "flowUserId(a: 2)", "organizationId"]))


@st.composite
def same_name_documents(draw: st.DrawFn) -> str:
    fields = " ".join(draw(same_name_fields.filter(lambda f: 0 < len(f) <= 600)))
    shape = draw(st.sampled_from(["plain", "inline", "fragments"]))
    if shape == "plain":
        return f"query Q {{ viewer {{ {fields} }} }}"
    if shape == "inline":
        return f"query Q {{ viewer {{ ... on Viewer {{ {fields} }} {fields} }} }}"
    return (
        f"query Q {{ viewer {{ ...A ...B }} }} fragment A on Viewer {{ {fields} }} fragment B on Viewer {{ {fields} }}"
    )


@contextmanager
def charged() -> Iterator[list[int]]:
    units = [0]
    spend = overlapping_fields_can_be_merged.spend_complexity_budget

    def counting(context: object, cost: int) -> None:
        units[0] += cost
        spend(context, cost)  # type: ignore[arg-type]

    with patch.object(overlapping_fields_can_be_merged, "spend_complexity_budget", counting):
        yield units


@settings(max_examples=40, deadline=None, derandomize=True)
@given(text=same_name_documents())
def test_field_comparisons_are_bounded_for_every_document(text: str) -> None:
    with charged() as units:
        errors = DOCUMENTS.check(parse(text, max_tokens=100_000), DOCUMENTS.operation_rules)

    assert units[0] <= MAX_UNITS
    assert all(error.message != "Validation aborted." for error in errors)


async def test_a_document_of_quadratic_comparisons_is_refused_naming_the_setting(api: GraphQLClient) -> None:
    fields = " ".join(["flowUserId", "flowUserId(a: 1)"] * 200)  # ~1,600 tokens, within every other limit

    response = await api.execute(f"query Q {{ viewer {{ {fields} }} }}")

    assert response.error_codes == ["GRAPHQL_VALIDATION_FAILED"]
    assert "GRAPHQL_MAX_FIELD_COMPARISONS" in response.error_messages[0]
