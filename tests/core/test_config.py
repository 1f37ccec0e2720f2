import datetime as dt
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pydantic import ValidationError

from app.core.config import AppSettings, ConfigError, FlowConnectApiSettings, WorkOSSettings, load_settings
from app.core.config.server_settings import ServerSettings
from app.core.flow_connect_api.transport import tls_context
from app.core.providers import settings_classes
from tests.e2e.process import run_app_until_exit


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # Settings read the process environment and `.env`: give each test neither.
    for name in (
        "APP_ENV",
        "LOG_LEVEL",
        "LOG_FORMAT",
        "WORKOS_CLIENT_ID",
        "WORKOS_JWKS_URL",
        "WORKOS_ISSUER",
        "FLOW_CONNECT_API_URL",
    ):
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


@pytest.mark.parametrize(
    ("variable", "expected"),
    [
        ("APP_ENV", "APP_ENV is invalid: Input should be 'development' or 'production'"),
        ("LOG_LEVEL", "LOG_LEVEL is invalid: Input should be 'DEBUG', 'INFO', 'WARNING' or 'ERROR'"),
    ],
)
def test_a_bad_variable_that_other_defaults_follow_is_the_only_one_named(
    monkeypatch: pytest.MonkeyPatch, variable: str, expected: str
) -> None:
    # Defaults computed from it (LOG_FORMAT, GRAPHQL_IDE, ...) were never set: blaming them
    # would send an operator looking for variables that are not there.
    monkeypatch.setenv("WORKOS_CLIENT_ID", "client_123")
    monkeypatch.setenv("FLOW_CONNECT_API_URL", "https://flow.example")
    monkeypatch.setenv(variable, "bogus")

    with pytest.raises(ConfigError) as raised:
        load_settings([ServerSettings, *settings_classes])

    assert str(raised.value) == expected


def test_python_m_app_names_only_the_bad_app_env(tmp_path: Path) -> None:
    result = run_app_until_exit(
        {"APP_ENV": "bogus", "WORKOS_CLIENT_ID": "x", "FLOW_CONNECT_API_URL": "http://127.0.0.1:9"}, cwd=tmp_path
    )

    assert result.returncode == 2
    expected = "APP_ENV is invalid: Input should be 'development' or 'production'"
    assert result.stderr == f"flow-api: configuration error: {expected}\n"


@pytest.mark.parametrize("variable", ["SSL_CERT_FILE", "SSL_CERT_DIR"])
def test_a_ca_path_that_does_not_exist_stops_start_up(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, variable: str
) -> None:
    """Read once at start-up: before, a bad path failed every Flow Connect call instead."""
    monkeypatch.setenv("FLOW_CONNECT_API_URL", "https://flow.example")
    monkeypatch.setenv(variable, str(tmp_path / "missing"))
    with pytest.raises(ConfigError, match=rf"^{variable} is invalid: "):
        load_settings([FlowConnectApiSettings])


def test_flow_connect_is_verified_against_the_operator_cas_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for variable in ("SSL_CERT_FILE", "SSL_CERT_DIR"):
        monkeypatch.delenv(variable, raising=False)
    bundle = tmp_path / "ca.pem"
    bundle.write_bytes(_self_signed_ca_pem("flow-test-ca"))
    settings = FlowConnectApiSettings(flow_connect_api_url="https://flow.example", ssl_cert_file=bundle)

    context = tls_context(settings)

    assert context is not None
    assert [str(ca["subject"]) for ca in context.get_ca_certs()] == [str(((("commonName", "flow-test-ca"),),))]
    assert tls_context(FlowConnectApiSettings(flow_connect_api_url="https://flow.example")) is None  # certifi's


def _self_signed_ca_pem(name: str) -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM)


def test_the_body_deadline_is_never_shorter_than_one_stall(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_BODY_TIMEOUT", "20")
    monkeypatch.setenv("HTTP_BODY_DEADLINE", "10")
    with pytest.raises(ConfigError, match="HTTP_BODY_DEADLINE"):
        load_settings([ServerSettings])
