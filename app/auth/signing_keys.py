"""Which keys of a fetched JWKS may verify our tokens, judged by the key set's own metadata.

A key is fit when it is an RSA public key of at least 2048 bits, meant for signatures (`use`
absent or `sig`; `key_ops` absent or holding `verify`) and for our algorithm (`alg` absent or
RS256). Every other key is skipped; the key store says so once per key and reason.
"""

from typing import NamedTuple

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

ALGORITHM = "RS256"
MIN_RSA_BITS = 2048


class UnfitKey(NamedTuple):
    kid: str | None
    reason: str


def fit_signing_keys(key_set: object) -> tuple[dict[str, jwt.PyJWK], list[UnfitKey]]:
    """The fit keys of a JWKS document by `kid`, and the keys skipped with why.

    Raises `PyJWKSetError` for a document that is not a key set. Each JWK goes through PyJWK
    (PyJWT's parser) one by one rather than through `PyJWKSet`, which drops the keys it cannot
    parse without saying which or why, and keeps unfit ones.
    """
    if not isinstance(key_set, dict) or not isinstance(jwks := key_set.get("keys"), list):
        raise jwt.PyJWKSetError("JWKS is not an object with a `keys` array")
    fit: dict[str, jwt.PyJWK] = {}
    unfit: list[UnfitKey] = []
    for jwk in jwks:
        kid = jwk.get("kid") if isinstance(jwk, dict) else None
        if not isinstance(kid, str) or not kid:
            unfit.append(UnfitKey(None, "no kid"))
        elif kid in fit:
            unfit.append(UnfitKey(kid, "a fit key with this kid came earlier in the set"))
        elif isinstance(key_or_reason := _fit_key(jwk), str):
            unfit.append(UnfitKey(kid, key_or_reason))
        else:
            fit[kid] = key_or_reason
    return fit, unfit


def _fit_key(jwk: dict[str, object]) -> jwt.PyJWK | str:
    """The parsed key, or why it is unfit."""
    if (unfit_because := _unfit_metadata(jwk)) is not None:
        return unfit_because
    try:
        key = jwt.PyJWK(jwk, algorithm=ALGORITHM)
    except jwt.PyJWTError as error:
        # Only the class: PyJWT's messages may quote the whole JWK.
        return f"unparsable RSA key ({type(error).__name__})"
    if not isinstance(key.key, rsa.RSAPublicKey):
        # The set publishes private parameters: anyone who read it can sign tokens.
        return "holds a private key"
    if key.key.key_size < MIN_RSA_BITS:
        return f"RSA modulus is {key.key.key_size} bits, under {MIN_RSA_BITS}"
    return key


def _unfit_metadata(jwk: dict[str, object]) -> str | None:
    if jwk.get("kty") != "RSA":
        return "kty is not RSA"
    if jwk.get("use", "sig") != "sig":
        return "use is not sig"
    if "key_ops" in jwk and not (isinstance(ops := jwk["key_ops"], list) and "verify" in ops):
        return "key_ops does not hold verify"
    if jwk.get("alg", ALGORITHM) != ALGORITHM:
        return f"alg is not {ALGORITHM}"
    return None
