"""The requests both apps get: the shapes the suite already sends (tests/graphql, the fixtures'
operations), then generated ones (hypothesis: documents valid and not, variables, methods,
media types, Accept values, bodies)."""

import json
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fixtures.operations import CREATE_CONNECTION_TO_GLOBEX, GLOBEX

# Stands for a valid bearer token of the loopback IdP, minted when the test runs.
VALID_TOKEN = "<valid token>"  # noqa: S105 - a placeholder, replaced by a minted token
GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
CREATE = "mutation Create($target: ID!) { createConnection(targetOrgId: $target) }"


@dataclass(frozen=True)
class Call:
    method: str
    params: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None

    def __str__(self) -> str:
        body = self.body if self.body is None or len(self.body) < 300 else self.body[:300] + b"..."
        return f"{self.method} /graphql {self.params or ''} {self.headers} {body!r}"


def post(query: str | None = None, *, token: bool = True, headers: dict[str, str] | None = None, **fields: Any) -> Call:
    payload = ({} if query is None else {"query": query}) | fields
    return raw_post(json.dumps(payload).encode(), token=token, headers=headers)


def raw_post(
    body: bytes, *, token: bool = True, headers: dict[str, str] | None = None, content_type: str = "application/json"
) -> Call:
    auth = {"Authorization": f"Bearer {VALID_TOKEN}"} if token else {}
    return Call("POST", headers={"Content-Type": content_type} | auth | (headers or {}), body=body)


def get(params: dict[str, str], *, headers: dict[str, str] | None = None) -> Call:
    return Call("GET", params=params, headers={"Authorization": f"Bearer {VALID_TOKEN}"} | (headers or {}))


def _nested_type_query(depth: int) -> str:
    inner = "name"
    for _ in range(depth):
        inner = f"name ofType {{ {inner} }}"
    return f'{{ __type(name: "Viewer") {{ {inner} }} }}'


FROM_THE_SUITE: list[Call] = [
    post("{ __typename }"),
    post("{ viewer { flowUserId } }"),
    post("{ viewer { flowUserId } }", token=False),
    post("{ viewer { flowUserId organizationId } }"),
    post("query Who { viewer { organizationId } }"),
    post("query Viewer { viewer { flowUserId } }", headers={"Authorization": "Bearer not-a-jwt"}),
    post("{ viewer { noSuchField } }"),
    post("{ viewer { flowUserid } }"),  # a near miss: graphql-core would suggest the field
    post("{ nope }"),
    post("{ viewer { ...Missing } }"),
    post("fragment F on Query { viewer { flowUserId } }"),
    post("query A { __typename }", operationName="B"),
    post("query First { __typename } query Second { __typename }"),
    post("query First { __typename } query Second { __typename }", operationName="Second"),
    post(None, variables={}),
    post(None),
    post(""),
    post("{ unclosed"),
    post("{ __schema { types { name } } }"),
    post('{ __type(name: "Viewer") { name } }'),
    post(_nested_type_query(30)),
    post("query Many { " + " ".join(["__typename"] * 21) + " }"),
    post("{ __typename" + " @include(if: true)" * 6 + " }"),
    post("{ " + " ".join(f"a{i}: __typename" for i in range(20)) + " }"),
    post("{ " + " ".join(f"a{i}: __typename" for i in range(1000)) + " }"),
    post("{ viewer " * 12 + "}" * 12),
    post(
        "query Bomb { ...F0 } "
        + " ".join(f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(12))
        + " fragment F12 on Query { __typename }"
    ),
    post("{ __typename }" + " " * 70_000),  # over the body cap
    post(CREATE_CONNECTION_TO_GLOBEX),
    post(CREATE_CONNECTION_TO_GLOBEX, token=False),
    post('mutation { createConnection(targetOrgId: "nope") }'),
    post(CREATE, variables={"target": GLOBEX}),
    post(CREATE, variables={"target": "nope"}),
    post(CREATE, variables={"target": 42}),
    post(CREATE, variables={}),
    post(CREATE, variables={"target": GLOBEX}, headers={"Idempotency-Key": "key-1"}),
    post(CREATE, variables={"target": GLOBEX}, headers={"Idempotency-Key": "\t"}),
    post(CREATE, variables={"target": GLOBEX}, headers={"Idempotency-Key": "x" * 300}),
    post("{ __typename }", headers={"Accept": GRAPHQL_RESPONSE_JSON}),
    post("{ nope }", headers={"Accept": GRAPHQL_RESPONSE_JSON}),
    post("{ unclosed", headers={"Accept": GRAPHQL_RESPONSE_JSON}),
    post("{ viewer { flowUserId } }", token=False, headers={"Accept": GRAPHQL_RESPONSE_JSON}),
    post("{ nope }", headers={"Accept": f"{GRAPHQL_RESPONSE_JSON};q=0"}),
    post("{ nope }", headers={"Accept": f"{GRAPHQL_RESPONSE_JSON}, application/json;q=0.9"}),
    post("{ __typename }", headers={"X-Request-ID": "trace-abc.123_x"}),
    post("{ __typename }", documentId="sha256:" + "0" * 64),
    post(None, documentId="sha256:" + "0" * 64),
    post(None, extensions={"persistedQuery": {"version": 1, "sha256Hash": "f" * 64}}),
    post("{ __typename }", variables=[1]),
    post("{ __typename }", extensions=[1]),
    post("{ __typename }", operationName=1),
    post(1),  # type: ignore[arg-type] # a query that is no string
    raw_post(b"{"),
    raw_post(b""),
    raw_post(b"1"),
    raw_post(b'"text"'),
    raw_post(b"null"),
    raw_post(b'[{"query": "{ __typename }"}, {"query": "{ __typename }"}]'),
    raw_post(b"\xff\xfe"),
    raw_post(b"[" * 100 + b"]" * 100),
    raw_post(b'{"query": "{ __typename }", "variables": {"x": "\\ud800"}}'),
    raw_post(b'{"query": "{ __typename }", "variables": {"x": ' + b"1" * 5000 + b"}}"),
    raw_post(b'{"query": "{ __typename }"}', content_type="text/plain"),
    raw_post(b'{"query": "{ __typename }"}', content_type="APPLICATION/JSON"),
    raw_post(b'{"query": "{ __typename }"}', content_type="application/json; charset=utf-8"),
    raw_post(b'{"query": "{ __typename }"}', content_type="application/graphql"),
    raw_post(b'{"query": "{ __typename }"}', content_type="application/json-patch+json"),
    raw_post(b"query=%7B__typename%7D", content_type="application/x-www-form-urlencoded"),
    get({"query": "{ __typename }"}),
    get({"query": "{ viewer { flowUserId } }"}),
    get({"query": "mutation M { __typename } query Q { __typename }"}),
    get({"query": CREATE_CONNECTION_TO_GLOBEX}),
    get({"query": "{ __typename }", "variables": "null"}),
    get({"query": "{ __typename }", "variables": "[1]"}),
    get({"query": "{ __typename }", "variables": "1"}),
    get({"query": "{ __typename }", "variables": '"text"'}),
    get({"query": "{ __typename }", "variables": "{"}),
    get({"query": "{ __typename }", "extensions": "[1]"}),
    get({"query": "{ __typename }", "extensions": "null"}),
    get({"query": "query A { __typename }", "operationName": "B"}),
    get({"documentId": "sha256:" + "0" * 64}, headers={"Accept": "application/json"}),
    get({}, headers={"Accept": "text/html"}),
    get({}, headers={"Accept": "application/json"}),
    *(Call(method) for method in ("PUT", "DELETE", "PATCH", "OPTIONS")),
]

_DOCUMENTS = [
    "{ __typename }",
    "{ viewer { flowUserId } }",
    "query Q { viewer { organizationId } }",
    "{ viewer { flowUserid } }",
    "{ viewr { flowUserId } }",
    "{ viewer }",
    "{ viewer { flowUserId(x: 1) } }",
    "query Q($x: Int) { __typename }",
    "query Q($x: Int!) { __typename }",
    "query Q { ...F } fragment F on Query { __typename }",
    "query Q { ...F }",
    "subscription S { __typename }",
    CREATE,
    CREATE_CONNECTION_TO_GLOBEX,
    'mutation { createConnection(targetOrgId: "") }',
    "mutation { createConnection }",
    "{ __schema { queryType { name } } }",
    "{",
    "}",
    "query Q { __typename } query Q { __typename }",
    "{ a: __typename b: __typename }",
    "{ __typename @skip(if: true) }",
    "{ __typename @unknown }",
]
_VARIABLES = st.one_of(
    st.none(),
    st.just({}),
    st.sampled_from([{"target": GLOBEX}, {"target": "nope"}, {"target": 1}, {"target": None}, {"x": 1}, {"x": "a"}]),
    st.dictionaries(st.sampled_from(["target", "x"]), st.none() | st.integers() | st.text(max_size=5), max_size=2),
)
_ACCEPT = st.sampled_from(
    [None, "*/*", "application/json", GRAPHQL_RESPONSE_JSON, f"{GRAPHQL_RESPONSE_JSON};q=0", "text/html", "text/*"]
)
_CONTENT_TYPE = st.sampled_from(
    ["application/json", "application/json; charset=utf-8", "Application/Json", "text/plain", "application/graphql"]
)
_DOCUMENT = st.sampled_from(_DOCUMENTS) | st.text(alphabet='{}()[]:$@!.,= abqx_"0', max_size=24)


@st.composite
def _call(draw: st.DrawFn) -> Call:
    method = draw(st.sampled_from(["POST"] * 6 + ["GET"] * 3 + ["PUT", "DELETE", "PATCH"]))
    headers: dict[str, str] = {}
    if draw(st.booleans()) or draw(st.booleans()):
        headers["Authorization"] = f"Bearer {VALID_TOKEN}"
    if (accept := draw(_ACCEPT)) is not None:
        headers["Accept"] = accept
    document, variables = draw(_DOCUMENT), draw(_VARIABLES)
    name = draw(st.sampled_from([None, None, "Q", "Create", "S"]))
    if method == "GET":
        params = {"query": document} | ({} if variables is None else {"variables": json.dumps(variables)})
        return Call("GET", params=params | ({} if name is None else {"operationName": name}), headers=headers)
    payload = {"query": document, "variables": variables, "operationName": name}
    body = draw(
        st.sampled_from(["object", "object", "object", "array", "scalar", "garbage"]).map(
            lambda shape: {
                "object": json.dumps(payload),
                "array": json.dumps([payload]),
                "scalar": json.dumps(document),
                "garbage": json.dumps(payload)[:-1],
            }[shape]
        )
    )
    return Call(method, headers=headers | {"Content-Type": draw(_CONTENT_TYPE)}, body=body.encode())


def generated(count: int) -> list[Call]:
    """`count` requests from the strategies above, the same ones every run."""
    calls: list[Call] = []

    @given(_call())
    @settings(max_examples=count, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
    def collect(call: Call) -> None:
        calls.append(call)

    collect()
    return calls
