"""The fixed identities of the dev stack: who `make token` signs in as, and where things listen."""

from pathlib import Path

STATE_DIR = Path(".dev")
KEY_FILE = STATE_DIR / "idp_signing_key.pem"
FLOW_CONNECT_DB = STATE_DIR / "flow_connect.sqlite3"

HOST = "127.0.0.1"
API_PORT = 8000
IDP_PORT = 8001
FLOW_CONNECT_PORT = 8002

CLIENT_ID = "client_flow_dev"

DEV_USER_SUB = "user_01JDEVFLOWSEEDEDUSER00001"
DEV_USER_EMAIL = "dev@acme.example"
# Acme, the organization the dev user belongs to.
DEV_ORG_ID = "0b5f1c7e-2f1a-4d8e-9a53-6f1d2c3b4a51"
DEV_TOKEN_TTL_SECONDS = 12 * 3600

# The organizations the Flow Connect simulator knows; the plan's example target is Globex.
ORGANIZATIONS = {
    DEV_ORG_ID: "Acme (the dev user's own)",
    "9133da7c-3b98-4673-91dc-0dc58cc8740c": "Globex",
    "4c8e2a91-6b3d-4f7e-8a12-9d0e1f2a3b4c": "Initech",
}
