"""Trusted documents (persisted operations, as Apollo Router's safelist and Hive's persisted
documents): clients may name a document from the manifest by its SHA-256, and in enforce mode
only those documents run."""

import dataclasses
import hashlib
from collections.abc import Mapping
from typing import Literal

import structlog
from cross_web import HTTPException
from graphql import DocumentNode, GraphQLError, GraphQLSchema, parse, validate
from strawberry.http import GraphQLRequestData

from app.core.config import ConfigError, GraphQLSettings
from app.core.observability.metrics import UNTRUSTED_OPERATIONS

logger = structlog.get_logger(__name__)

PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
OPERATION_NOT_TRUSTED = "OPERATION_NOT_TRUSTED"
_DOCUMENT_ID_PREFIX = "sha256:"


class RequestRefusedError(HTTPException):
    """Refused before execution, answered in our error shape with its own code."""

    def __init__(self, status_code: int, reason: str, *, code: str) -> None:
        super().__init__(status_code, reason)
        self.code = code


class TrustedDocuments:
    def __init__(self, documents: Mapping[str, str], *, mode: Literal["enforce", "log"]) -> None:
        """Parses every document once, at start-up; one that does not parse stops it."""
        self._documents = dict(documents)
        self._enforce = mode == "enforce"
        # By text: what the parse step serves instead of parsing again.
        self.parsed: dict[str, DocumentNode] = {}
        for digest, text in self._documents.items():
            try:
                self.parsed[text] = parse(text)
            except GraphQLError as error:
                problem = f"GRAPHQL_TRUSTED_DOCUMENTS entry {digest[:16]}... does not parse: {error.message}"
                raise ConfigError(problem) from None

    def check(self, schema: GraphQLSchema) -> None:
        """Validates every document against the schema, once: one that does not fit stops start-up."""
        for digest, text in self._documents.items():
            if errors := validate(schema, self.parsed[text]):
                raise ConfigError(
                    f"GRAPHQL_TRUSTED_DOCUMENTS entry {digest[:16]}... does not fit the schema: {errors[0].message}"
                )

    def resolve(self, request: GraphQLRequestData, *, document_id: object) -> GraphQLRequestData:
        """The request with its document: named by `documentId` or Apollo's persistedQuery hash,
        or sent as text (checked against the manifest)."""
        if request.query is None:
            digest = _requested_digest(document_id, request.extensions)
            if digest is None:
                return request  # no document at all: Strawberry answers that
            if (text := self._documents.get(digest)) is None:
                raise RequestRefusedError(400, "PersistedQueryNotFound", code=PERSISTED_QUERY_NOT_FOUND)
            return dataclasses.replace(request, query=text)
        digest = hashlib.sha256(request.query.encode()).hexdigest()
        if digest in self._documents:
            return request
        UNTRUSTED_OPERATIONS.labels("refused" if self._enforce else "allowed").inc()
        if self._enforce:
            message = "Only trusted documents may run here; send a document from the manifest."
            raise RequestRefusedError(400, message, code=OPERATION_NOT_TRUSTED)
        # The hash is what an operator adds to the manifest; the text may be anything a client sent.
        logger.warning("untrusted_operation", document_sha256=digest)
        return request


def _requested_digest(document_id: object, extensions: dict[str, object] | None) -> str | None:
    """The hash a request names, "" for a name that is no hash of ours, None when it names none."""
    if isinstance(document_id, str) and document_id.startswith(_DOCUMENT_ID_PREFIX):
        return document_id.removeprefix(_DOCUMENT_ID_PREFIX).lower()
    if document_id is not None:
        return ""
    persisted = (extensions or {}).get("persistedQuery")
    if isinstance(persisted, dict) and persisted.get("version") == 1 and isinstance(persisted.get("sha256Hash"), str):
        return str(persisted["sha256Hash"]).lower()
    return None


def load_trusted_documents(settings: GraphQLSettings) -> TrustedDocuments | None:
    """The configured manifest, parsed; None without one."""
    if settings.graphql_trusted_documents is None:
        return None
    return TrustedDocuments(settings.graphql_trusted_documents.documents, mode=settings.graphql_trusted_documents_mode)
