"""The fixed identities of the dev stack: who `make token` signs in as, and where things listen."""

from pathlib import Path

STATE_DIR = Path(".dev")
KEY_FILE = STATE_DIR / "idp_signing_key.pem"

HOST = "127.0.0.1"
API_PORT = 8000
IDP_PORT = 8001

CLIENT_ID = "client_flow_dev"

DEV_USER_SUB = "user_01JDEVFLOWSEEDEDUSER00001"
DEV_USER_EMAIL = "dev@acme.example"
# Acme, the organization the dev user belongs to.
DEV_ORG_ID = "0b5f1c7e-2f1a-4d8e-9a53-6f1d2c3b4a51"
DEV_TOKEN_TTL_SECONDS = 12 * 3600
