import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from app.auth.claims import identifier
from app.errors import UnauthorizedError


@dataclass(frozen=True, slots=True, kw_only=True)
class AuthInfo:
    """Who is calling, from a verified WorkOS access token."""

    access_token: str = field(repr=False)  # forwarded upstream; kept out of reprs and logs
    flow_user_id: uuid.UUID
    organization_id: str | None


def auth_info_from_claims(access_token: str, claims: Mapping[str, Any]) -> AuthInfo:
    sub = identifier(claims.get("sub"), "sub")
    org_id = claims.get("org_id")
    return AuthInfo(
        access_token=access_token,
        flow_user_id=_flow_user_id(claims.get("external_id"), sub),
        # An empty org_id means "no organization", as an absent one does.
        organization_id=identifier(org_id, "org_id") if org_id not in (None, "") else None,
    )


def _flow_user_id(external_id: object, sub: str) -> uuid.UUID:
    # `external_id` only exists when a WorkOS JWT template adds it; users without one
    # still get a stable id derived from their WorkOS subject.
    if external_id is None:
        return uuid.uuid5(uuid.NAMESPACE_URL, sub)
    if isinstance(external_id, str):
        try:
            return uuid.UUID(external_id)
        except ValueError:
            pass
    raise UnauthorizedError("Token external_id is not a UUID.")
