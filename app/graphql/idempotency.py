"""Idempotency keys for mutations (the IETF draft "The Idempotency-Key HTTP Header Field").

A retried request with the same key gets the first one's answer without Flow Connect being
called again; see README, "Retrying mutations safely".
"""

import hashlib
import json
import re
import uuid
from collections.abc import Awaitable, Callable
from functools import lru_cache
from typing import TYPE_CHECKING

import strawberry
import structlog
from graphql import parse, print_ast
from starlette.datastructures import Headers

from app.auth import AuthInfo
from app.core.config import FlowConnectApiSettings, SharedStateSettings
from app.core.flow_connect_api import is_definitive
from app.core.observability.metrics import IDEMPOTENCY, SHARED_STATE_FAILURES
from app.core.shared_state.idempotency_store import Acquired, IdempotencyStore, InUse, Outcome, Replay, Reused
from app.core.shared_state.redis import SharedStateUnavailableError
from app.errors import (
    AppError,
    BadUserInputError,
    IdempotencyKeyInUseError,
    IdempotencyKeyReusedError,
    ReplayedError,
    ServiceUnavailableError,
)

if TYPE_CHECKING:
    from app.graphql.context import GraphQLContext

logger = structlog.get_logger(__name__)

IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
_ACCEPTABLE_KEY = re.compile(r"[\x20-\x7e]{1,255}")
# Upstream keys are UUIDs derived from the key's scope (below): every retry sends the same.
_UPSTREAM_KEYS = uuid.UUID("6f0f1c2e-52c4-4a51-9f5e-2d1b9a7c0e11")
# Beyond the Flow Connect deadline: a worker that died mid-call frees the key after this.
_LOCK_MARGIN_SECONDS = 5.0


class Idempotency:
    """Runs one mutation field at most once per (caller, organization, Idempotency-Key): request scope."""

    def __init__(
        self,
        *,
        store: IdempotencyStore,
        caller: AuthInfo,
        shared_state: SharedStateSettings,
        flow_connect: FlowConnectApiSettings,
    ) -> None:
        self._store = store
        self._caller = caller
        self._keep_seconds = shared_state.idempotency_ttl
        self._lock_seconds = flow_connect.flow_connect_api_timeout + _LOCK_MARGIN_SECONDS

    async def run(self, info: strawberry.Info, call: Callable[[str | None], Awaitable[bool]]) -> bool:
        """`call(upstream_key)` once for this key, or the answer it gave before."""
        context: GraphQLContext = info.context
        client_key = _client_key(context.request.headers)
        if client_key is None:
            return await call(None)
        # A user acting in another organization is another client: the same key there is a new key.
        # Only the organization could hold a newline (the user is a UUID, the key printable ASCII,
        # the field a path of GraphQL names), so the joined parts split back one way only.
        parts = (self._caller.flow_user_id, self._caller.organization_id or "", client_key, _field(info))
        scope = "\n".join(map(str, parts))
        key = hashlib.sha256(scope.encode()).hexdigest()
        try:
            begun = await self._store.begin(key, _fingerprint(info), lock_seconds=self._lock_seconds)
        except SharedStateUnavailableError:
            # Fail closed: without the store we cannot promise the once the client asked for.
            SHARED_STATE_FAILURES.labels("idempotency").inc()
            logger.warning("idempotency_store_unavailable")
            raise ServiceUnavailableError(
                "Idempotency keys cannot be checked right now; nothing was sent. Retry later."
            ) from None
        if isinstance(begun, Replay):
            IDEMPOTENCY.labels("replayed").inc()
            context.response.headers[REPLAYED_HEADER] = "true"
            return _replayed(begun.outcome)
        if isinstance(begun, InUse):
            IDEMPOTENCY.labels("in_use").inc()
            raise IdempotencyKeyInUseError
        if isinstance(begun, Reused):
            IDEMPOTENCY.labels("reused").inc()
            raise IdempotencyKeyReusedError
        return await self._first(key, begun, call, upstream_key=str(uuid.uuid5(_UPSTREAM_KEYS, scope)))

    async def _first(
        self, key: str, lock: Acquired, call: Callable[[str | None], Awaitable[bool]], *, upstream_key: str
    ) -> bool:
        try:
            result = await call(upstream_key)
        except AppError as error:
            if is_definitive(error):
                await self._settle(key, lock, {"error": {"message": error.message, "extensions": error.extensions}})
            else:  # nothing was sent, or the outcome is unknown: the client may retry with this key
                await self._settle(key, lock, None)
            raise
        except BaseException:
            await self._settle(key, lock, None)
            raise
        await self._settle(key, lock, {"data": result})
        return result

    async def _settle(self, key: str, lock: Acquired, outcome: Outcome | None) -> None:
        """Stores a definitive outcome, or frees the key. If the store fails now, the client
        already has its answer, but a retry after the lock expires runs again: it then relies on
        Flow Connect de-duplicating the upstream Idempotency-Key, which is the same."""
        try:
            if outcome is None:
                await self._store.release(key, lock)
            else:
                await self._store.finish(key, lock, outcome, keep_seconds=self._keep_seconds)
        except SharedStateUnavailableError:
            SHARED_STATE_FAILURES.labels("idempotency").inc()
            logger.warning("idempotency_store_unavailable", settling=True)
        IDEMPOTENCY.labels("not_stored" if outcome is None else "stored").inc()


def _client_key(headers: Headers) -> str | None:
    """The one Idempotency-Key sent, if any: of two, neither could be honoured silently."""
    sent = headers.getlist(IDEMPOTENCY_KEY_HEADER)
    if not sent:
        return None
    if len(sent) > 1:
        raise BadUserInputError(
            f"Send the {IDEMPOTENCY_KEY_HEADER} header once.", extensions={"header": IDEMPOTENCY_KEY_HEADER}
        )
    if not _ACCEPTABLE_KEY.fullmatch(sent[0]):
        raise BadUserInputError(
            f"The {IDEMPOTENCY_KEY_HEADER} header must be 1 to 255 printable ASCII characters.",
            extensions={"header": IDEMPOTENCY_KEY_HEADER},
        )
    return sent[0]


def _field(info: strawberry.Info) -> str:
    return ".".join(map(str, info.path.as_list()))


def _fingerprint(info: strawberry.Info) -> str:
    """The document as graphql-core prints it (whitespace and comments normalised; fragments are
    part of it), the operation chosen in it, and the variables: together they decide what this
    field does."""
    if info.query is None:  # graphql-core keeps the text unless parsing is told not to; Strawberry's does
        raise RuntimeError("The idempotency fingerprint needs the document's text: parse with locations.")
    operation = info.operation
    parts = (
        _printed_document(info.query),
        operation.name.value if operation.name else "",
        _canonical(info.variable_values),
    )
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


# Once per distinct document, keyed by its text (graphql-core's nodes compare and hash by their
# whole content): a parse and a print per request would cost more than the rest of the key's
# handling, and the printer links its buffers in a cycle, work for the cyclic collector.
@lru_cache(maxsize=256)
def _printed_document(text: str) -> str:
    return print_ast(parse(text))


def _canonical(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def _replayed(outcome: Outcome) -> bool:
    if "error" in outcome:
        raise ReplayedError(outcome["error"]["message"], extensions=outcome["error"]["extensions"])
    return bool(outcome["data"])
