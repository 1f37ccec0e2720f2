from app.auth.auth_info import AuthInfo
from app.auth.jwks import JwksKeyStore
from app.auth.workos_service import WorkOSService

__all__ = ["AuthInfo", "JwksKeyStore", "WorkOSService"]
