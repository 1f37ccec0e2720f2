import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field

from app.core.config.base import EnvironmentAwareSettings, in_development


@dataclass(frozen=True, slots=True)
class TrustedManifest:
    path: Path
    # Lower-case SHA-256 hex of each document, to the document.
    documents: dict[str, str]


def _load_manifest(value: object) -> object:
    if value is None or isinstance(value, TrustedManifest):
        return value
    path = Path(str(value))
    if not path.is_file():
        raise ValueError("does not point to a file")
    return TrustedManifest(path, _manifest(path.read_bytes()))


class GraphQLSettings(EnvironmentAwareSettings):
    """Limits on what a client may ask; defaults pass every legitimate operation of our schema."""

    # Field nesting below the root (`viewer { flowUserId }` is 1); introspection fields are
    # not counted (Strawberry's rule), production refuses introspection instead.
    graphql_max_depth: Annotated[int, Field(ge=0, le=100)] = 10
    graphql_max_aliases: Annotated[int, Field(ge=0, le=1000)] = 15
    # Fields at an operation's root, counted through fragments each time spread (as Apollo Router's
    # max_root_fields): each is a resolver call, and a repeated root field needs no alias.
    graphql_max_root_fields: Annotated[int, Field(ge=1, le=1000)] = 20
    # Directives on any one field, fragment or definition: our schema's executable ones are
    # @include and @skip, so more on one location is never needed.
    graphql_max_directives: Annotated[int, Field(ge=0, le=100)] = 5
    # Selections execution would visit, fragments expanded each time spread (as Apollo Router's
    # max_recursive_selections): refuses a fragment bomb by its expanded size before anything walks
    # it. The default leaves room for GraphiQL's introspection query, our largest legitimate one.
    graphql_max_selections: Annotated[int, Field(ge=1, le=1_000_000)] = 1000
    # Pairs of fields graphql-core compares to check they can merge (fields sharing a response
    # name, within a selection set and across the fragments spread into it): quadratic in such
    # fields, so a document within every other limit could cost seconds. Our legitimate documents
    # compare none; GraphiQL's introspection query none either.
    graphql_max_field_comparisons: Annotated[int, Field(ge=10, le=1_000_000)] = 1000
    graphql_max_tokens: Annotated[int, Field(ge=10, le=100_000)] = 2000
    graphql_max_body_bytes: Annotated[int, Field(ge=1024, le=10 * 1024 * 1024)] = 64 * 1024
    # Unset: on in development, off in production.
    graphql_introspection: bool = Field(default_factory=in_development)
    graphql_ide: bool = Field(default_factory=in_development)
    # A JSON manifest {"<sha256 hex of the document>": "<document>"} (GraphQL Code Generator's
    # client preset writes one). Requests may then name a document by its hash.
    # Read and checked once, while loading, so a bad entry is reported under the variable's name.
    graphql_trusted_documents: Annotated[TrustedManifest | None, BeforeValidator(_load_manifest)] = None
    # enforce: any other document is refused (OPERATION_NOT_TRUSTED); log: it runs, logged and counted.
    graphql_trusted_documents_mode: Literal["enforce", "log"] = "enforce"


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
