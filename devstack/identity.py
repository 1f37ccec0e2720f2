"""A local identity provider: serves a JWKS the way WorkOS does, and mints tokens for it."""

import json
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import jwt
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from devstack.keys import SigningKey


@dataclass
class IdentityProvider:
    """Publishes `keys` at `/sso/jwks/<client_id>`; `jwks_requests` counts fetches."""

    client_id: str
    keys: list[SigningKey]
    jwks_requests: int = field(default=0, init=False)

    def jwks_path(self) -> str:
        return f"/sso/jwks/{self.client_id}"

    def asgi_app(self) -> Starlette:
        async def jwks(request: Request) -> JSONResponse:
            if request.path_params["client_id"] != self.client_id:
                return JSONResponse({"message": "unknown client"}, status_code=404)
            self.jwks_requests += 1
            return JSONResponse({"keys": [key.public_jwk() for key in self.keys]})

        return Starlette(routes=[Route("/sso/jwks/{client_id}", jwks)])


def mint_token(
    key: SigningKey,
    *,
    issuer: str,
    sub: str,
    org_id: str | None = None,
    ttl_seconds: int = 3600,
    extra_claims: dict[str, Any] | None = None,
    omit: Sequence[str] = (),
) -> str:
    """An RS256 access token shaped like WorkOS AuthKit's."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": issuer,
        "sub": sub,
        "sid": f"session_{uuid.uuid4().hex}",
        "jti": uuid.uuid4().hex,
        "iat": now,
        "exp": now + ttl_seconds,
    }
    if org_id is not None:
        claims["org_id"] = org_id
    claims.update(extra_claims or {})
    for name in omit:
        claims.pop(name, None)
    return sign_claims_json(key, json.dumps(claims, separators=(",", ":")))


def sign_claims_json(key: SigningKey, claims_json: str) -> str:
    """An RS256 token over `claims_json` exactly as written, so tests can sign JSON that no
    encoder would produce from Python values (`1e400`, `NaN`)."""
    return jwt.api_jws.encode(claims_json.encode(), key.private_key, algorithm="RS256", headers={"kid": key.kid})
