import time
from typing import NamedTuple

import jwt
from cachetools import TLRUCache

from app.auth.auth_info import AuthInfo, auth_info_from_claims
from app.auth.claims import check_audience, expiry
from app.auth.jwks import JwksKeyStore
from app.auth.signing_keys import ALGORITHM
from app.core.config import WorkOSSettings
from app.errors import UnauthorizedError

CLOCK_SKEW_LEEWAY_SECONDS = 30
# Real WorkOS access tokens are ~1 KiB; anything far larger is not worth parsing.
MAX_TOKEN_LENGTH = 8192
# Verified tokens are remembered until their `exp`: a caller's next requests skip the RSA check.
VERIFIED_TOKENS_CACHED = 4096


class _Verified(NamedTuple):
    auth_info: AuthInfo
    expires_at: float


def _until_expiry(_token: str, verified: _Verified, _now: float) -> float:
    return verified.expires_at


class WorkOSService:
    """Turns an `Authorization` header into a verified `AuthInfo`, or raises `UnauthorizedError`."""

    def __init__(self, *, settings: WorkOSSettings, key_store: JwksKeyStore) -> None:
        self._issuers = settings.workos_issuer
        self._audiences = settings.workos_audience
        self._key_store = key_store
        self._verified: TLRUCache[str, _Verified] = TLRUCache(
            maxsize=VERIFIED_TOKENS_CACHED, ttu=_until_expiry, timer=time.time
        )

    async def authenticate(self, authorization: str | None) -> AuthInfo:
        token = bearer_token(authorization)
        if (verified := self._verified.get(token)) is not None:
            return verified.auth_info
        auth_info, expires_at = await self._verify(token)
        self._verified[token] = _Verified(auth_info, expires_at)
        return auth_info

    async def _verify(self, token: str) -> tuple[AuthInfo, float]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise UnauthorizedError("Token is malformed.") from None
        if header.get("alg") != ALGORITHM:
            raise UnauthorizedError(f"Token must be signed with {ALGORITHM}.")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise UnauthorizedError("Token has no key id.")
        signing_key = await self._key_store.get_signing_key(kid)
        try:
            claims = jwt.decode(
                token,
                # The PyJWK, not its bare key: PyJWT then also holds the token's `alg` to the key's.
                signing_key,
                algorithms=[ALGORITHM],
                issuer=self._issuers,
                leeway=CLOCK_SKEW_LEEWAY_SECONDS,
                options={
                    "require": ["exp", "iss", "sub"],
                    # `check_audience` applies our rule for `aud` below.
                    "verify_aud": False,
                    # A short key is an error, not a warning written past our log.
                    "enforce_minimum_key_length": True,
                },
            )
        except jwt.ExpiredSignatureError:
            raise UnauthorizedError("Token has expired.") from None
        except jwt.ImmatureSignatureError:
            raise UnauthorizedError("Token is not valid yet.") from None
        except jwt.InvalidIssuerError:
            raise UnauthorizedError("Token issuer is not trusted.") from None
        except jwt.PyJWTError:
            raise UnauthorizedError("Token signature or claims are invalid.") from None
        except (OverflowError, ValueError, TypeError):
            # PyJWT's own checks convert claims with int(); odd numbers may escape them.
            raise UnauthorizedError("Token claims are malformed.") from None
        check_audience(claims, self._audiences)
        expires_at = expiry(claims)
        return auth_info_from_claims(token, claims), expires_at


def bearer_token(authorization: str | None) -> str:
    if not authorization:
        raise UnauthorizedError
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer":
        raise UnauthorizedError("Unsupported authorization scheme; use `Bearer <token>`.")
    token = token.strip()
    if not token:
        raise UnauthorizedError("Bearer token is empty.")
    if len(token) > MAX_TOKEN_LENGTH:
        raise UnauthorizedError("Token is too long.")
    return token
