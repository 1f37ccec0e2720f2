import hashlib
import json
from pathlib import Path
from typing import Annotated, Literal, Self

from pydantic import Field, FilePath, PrivateAttr, field_validator, model_validator

from app.core.config.base import EnvironmentAwareSettings, in_development


class GraphQLSettings(EnvironmentAwareSettings):
    """Limits on what a client may ask; defaults pass every legitimate operation of our schema."""

    # Field nesting below the root (`viewer { flowUserId }` is 1); introspection fields are
    # not counted (Strawberry's rule), production refuses introspection instead.
    graphql_max_depth: Annotated[int, Field(ge=0, le=100)] = 10
    graphql_max_aliases: Annotated[int, Field(ge=0, le=1000)] = 15
    graphql_max_tokens: Annotated[int, Field(ge=10, le=100_000)] = 2000
    graphql_max_body_bytes: Annotated[int, Field(ge=1024, le=10 * 1024 * 1024)] = 64 * 1024
    # Unset: on in development, off in production.
    graphql_introspection: bool = Field(default_factory=in_development)
    graphql_ide: bool = Field(default_factory=in_development)
    # A JSON manifest {"<sha256 hex of the document>": "<document>"} (GraphQL Code Generator's
    # client preset writes one). Requests may then name a document by its hash.
    graphql_trusted_documents: FilePath | None = None
    # enforce: any other document is refused (OPERATION_NOT_TRUSTED); log: it runs, logged and counted.
    graphql_trusted_documents_mode: Literal["enforce", "log"] = "enforce"
    _trusted: dict[str, str] = PrivateAttr(default_factory=dict)

    @field_validator("graphql_trusted_documents")
    @classmethod
    def _valid_manifest(cls, path: Path | None) -> Path | None:
        if path is not None:
            _manifest(path.read_bytes())  # here, so that a bad entry is reported under the variable's name
        return path

    @model_validator(mode="after")
    def _load_trusted_documents(self) -> Self:
        if self.graphql_trusted_documents is not None:
            self._trusted = _manifest(self.graphql_trusted_documents.read_bytes())
        return self

    @property
    def trusted_documents(self) -> dict[str, str] | None:
        """Hash to document, or None when no manifest is configured."""
        return self._trusted if self.graphql_trusted_documents is not None else None


def _manifest(raw: bytes) -> dict[str, str]:
    try:
        manifest = json.loads(raw)
    except ValueError:
        raise ValueError("is not a JSON file") from None
    if not isinstance(manifest, dict) or not all(isinstance(v, str) for v in manifest.values()):
        raise ValueError('must be a JSON object {"<sha256 hex>": "<document>"}')
    for digest, document in manifest.items():
        if hashlib.sha256(document.encode()).hexdigest() != digest.lower():
            raise ValueError(f"entry {digest[:16]}... does not match the SHA-256 of its document")
    return {digest.lower(): document for digest, document in manifest.items()}
