"""What goes on the wire is compact JSON whatever the value: orjson's where it can, the standard
library's where orjson refuses."""

import json

import pytest

from app.core.compact_json import compact_json


@pytest.mark.parametrize(
    "value",
    [
        {"data": {"createConnection": True}},
        {"errors": [{"message": "Zürich ✓", "extensions": {"code": "CONFLICT", "retryAfter": 3}}]},
        {"big": 2**70},  # beyond orjson's 64 bits
        {1: "a key that is no string"},
    ],
)
def test_it_reads_back_as_the_standard_library_reads_its_own(value: object) -> None:
    encoded = compact_json(value)

    assert json.loads(encoded) == json.loads(json.dumps(value))
    assert b", " not in encoded
    assert b": " not in encoded
