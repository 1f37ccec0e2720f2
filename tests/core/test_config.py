from pathlib import Path

import pytest
from pydantic import ValidationError

from app.core.config import AppSettings, ConfigError, FlowConnectApiSettings, WorkOSSettings, load_settings


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # Settings read the process environment and `.env`: give each test neither.
    for name in ("APP_ENV", "WORKOS_CLIENT_ID", "WORKOS_JWKS_URL", "WORKOS_ISSUER", "FLOW_CONNECT_API_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def test_workos_defaults_follow_the_client_id(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKOS_CLIENT_ID", "client_123")

    settings = WorkOSSettings()

    assert settings.jwks_url == "https://api.workos.com/sso/jwks/client_123"
    assert settings.workos_issuer == ("https://api.workos.com/user_management/client_123", "https://api.workos.com")


def test_issuer_allow_list_is_comma_separated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKOS_CLIENT_ID", "client_123")
    monkeypatch.setenv("WORKOS_ISSUER", " https://auth.flow.example , https://api.workos.com ,")

    assert WorkOSSettings().workos_issuer == ("https://auth.flow.example", "https://api.workos.com")


def test_dotenv_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("WORKOS_CLIENT_ID=client_from_dotenv\nAPP_ENV=development\n", encoding="utf-8")

    assert WorkOSSettings().workos_client_id == "client_from_dotenv"
    assert AppSettings().is_development


def test_app_env_defaults_to_production() -> None:
    assert AppSettings().app_env == "production"


def test_every_bad_variable_is_named_in_one_message(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_ENV", "staging")
    monkeypatch.setenv("WORKOS_JWKS_URL", "not a url")

    with pytest.raises(ConfigError) as raised:
        load_settings([AppSettings, WorkOSSettings])

    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith("APP_ENV is invalid: Input should be 'development' or 'production'")
    assert "WORKOS_CLIENT_ID is required" in message
    assert "WORKOS_JWKS_URL is invalid" in message


def test_client_id_cannot_be_blank(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKOS_CLIENT_ID", "  ")

    with pytest.raises(ValidationError):
        WorkOSSettings()


@pytest.mark.parametrize(
    "url",
    [
        "https://api.flowrms.com",
        "https://api.flowrms.com/v1/",
        "http://127.0.0.1:8002",
        "http://localhost:8002",
        "http://[::1]:8002",
    ],
)
def test_flow_connect_url_accepts_https_and_loopback_http(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("FLOW_CONNECT_API_URL", url)

    assert FlowConnectApiSettings().base_url == url.rstrip("/")


@pytest.mark.parametrize(
    "url",
    [
        "http://api.flowrms.com",
        "http://10.0.0.8",
        "http://127.0.0.1.evil.example",
        "ftp://api.flowrms.com",
        "https://x.example/?a=1",
    ],
)
def test_flow_connect_url_refuses_cleartext_to_remote_hosts(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("FLOW_CONNECT_API_URL", url)

    with pytest.raises(ConfigError, match=r"^FLOW_CONNECT_API_URL is invalid: "):
        load_settings([FlowConnectApiSettings])


def test_flow_connect_url_is_required() -> None:
    with pytest.raises(ConfigError, match=r"^FLOW_CONNECT_API_URL is required$"):
        load_settings([FlowConnectApiSettings])


def test_flow_connect_timeout_must_leave_room_to_send_after_connecting() -> None:
    with pytest.raises(ValidationError, match="FLOW_CONNECT_API_TIMEOUT must be longer than"):
        FlowConnectApiSettings(
            flow_connect_api_url="https://flow.example",
            flow_connect_api_timeout=2,
            flow_connect_api_connect_timeout=2,
        )
