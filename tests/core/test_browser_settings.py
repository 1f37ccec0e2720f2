"""The settings behind browser access: CORS origins and the GraphiQL page's dev token URL."""

from pathlib import Path

import pytest

from app.core.config import AppSettings, ConfigError, load_settings
from app.core.config.cors_settings import DEVELOPMENT_ORIGIN_REGEX, CorsSettings
from app.core.config.graphql_ide_settings import GraphQLIdeSettings

TOKEN_URL = "http://127.0.0.1:8001/dev/token"  # noqa: S105 - a URL, not a secret


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # Settings read the process environment and `.env`: give each test neither.
    for name in ("APP_ENV", "CORS_ALLOW_ORIGINS", "GRAPHQL_IDE_DEV_TOKEN_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def test_production_allows_no_origin_by_default() -> None:
    settings = CorsSettings()

    assert not settings.enabled
    assert settings.allow_origins == ()
    assert settings.allow_origin_regex is None


def test_development_allows_loopback_origins_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_ENV", "development")

    settings = CorsSettings()

    assert settings.enabled
    assert settings.allow_origin_regex == DEVELOPMENT_ORIGIN_REGEX


def test_origins_are_a_comma_separated_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORS_ALLOW_ORIGINS", " https://app.flow.example , http://localhost:5173 ,")

    settings = CorsSettings()

    assert settings.allow_origins == ("https://app.flow.example", "http://localhost:5173")
    assert settings.allow_origin_regex is None


def test_an_empty_list_turns_the_development_default_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_ENV", "development")
    monkeypatch.setenv("CORS_ALLOW_ORIGINS", "")

    assert not CorsSettings().enabled


@pytest.mark.parametrize(
    "origin",
    [
        "*",
        "app.flow.example",
        "https://app.flow.example/",
        "https://app.flow.example/path",
        "https://App.Flow.example",
        "ftp://app.flow.example",
        "https://user@app.flow.example",
        "https://app.flow.example:99999",
        "https://app.flow.example?x=1",
    ],
)
def test_anything_but_an_exact_origin_stops_start_up(monkeypatch: pytest.MonkeyPatch, origin: str) -> None:
    monkeypatch.setenv("CORS_ALLOW_ORIGINS", f"https://ok.flow.example,{origin}")

    with pytest.raises(ConfigError, match=r"^CORS_ALLOW_ORIGINS is invalid: .*is not an origin"):
        load_settings([CorsSettings])


def test_a_bad_app_env_is_reported_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_ENV", "staging")

    with pytest.raises(ConfigError) as raised:
        load_settings([AppSettings, CorsSettings, GraphQLIdeSettings])

    assert str(raised.value).count("APP_ENV") == 1


def test_the_dev_token_url_is_accepted_in_development(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_ENV", "development")
    monkeypatch.setenv("GRAPHQL_IDE_DEV_TOKEN_URL", TOKEN_URL)

    assert GraphQLIdeSettings().dev_token_url == TOKEN_URL


def test_no_dev_token_url_by_default() -> None:
    assert GraphQLIdeSettings().dev_token_url is None


def test_a_dev_token_url_stops_a_production_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRAPHQL_IDE_DEV_TOKEN_URL", "http://127.0.0.1:8001/dev/token")

    with pytest.raises(
        ConfigError, match=r"^GRAPHQL_IDE_DEV_TOKEN_URL is invalid: is only allowed with APP_ENV=development$"
    ):
        load_settings([GraphQLIdeSettings])


def test_the_dev_token_url_must_be_on_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_ENV", "development")
    monkeypatch.setenv("GRAPHQL_IDE_DEV_TOKEN_URL", "https://tokens.example/dev/token")

    with pytest.raises(ConfigError, match=r"^GRAPHQL_IDE_DEV_TOKEN_URL is invalid: must point at a loopback host"):
        load_settings([GraphQLIdeSettings])
