"""FLOW_CONNECT_BREAKER_*: Cosmo's defaults, read from the environment, ranges enforced."""

from pathlib import Path

import pytest
from pydantic import ValidationError

from app.core.config import FlowConnectApiSettings

URL = "https://flow.example"


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no `.env` from the working tree


def test_the_defaults_are_wundergraph_cosmos() -> None:
    settings = FlowConnectApiSettings(flow_connect_api_url=URL)

    assert settings.flow_connect_breaker_enabled
    assert settings.flow_connect_breaker_error_ratio == 0.5  # Cosmo's 50 %
    assert settings.flow_connect_breaker_minimum_calls == 20
    assert settings.flow_connect_breaker_window == 10
    assert settings.flow_connect_breaker_open_duration == 5
    assert settings.flow_connect_breaker_half_open_probes == 1


def test_every_setting_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    given = {
        "FLOW_CONNECT_API_URL": URL,
        "FLOW_CONNECT_BREAKER_ENABLED": "false",
        "FLOW_CONNECT_BREAKER_ERROR_RATIO": "0.25",
        "FLOW_CONNECT_BREAKER_MINIMUM_CALLS": "50",
        "FLOW_CONNECT_BREAKER_WINDOW": "30",
        "FLOW_CONNECT_BREAKER_OPEN_DURATION": "2",
        "FLOW_CONNECT_BREAKER_HALF_OPEN_PROBES": "3",
    }
    for name, value in given.items():
        monkeypatch.setenv(name, value)

    settings = FlowConnectApiSettings()

    assert (
        settings.flow_connect_breaker_enabled,
        settings.flow_connect_breaker_error_ratio,
        settings.flow_connect_breaker_minimum_calls,
        settings.flow_connect_breaker_window,
        settings.flow_connect_breaker_open_duration,
        settings.flow_connect_breaker_half_open_probes,
    ) == (False, 0.25, 50, 30, 2, 3)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("flow_connect_breaker_error_ratio", 0),
        ("flow_connect_breaker_error_ratio", 1.01),
        ("flow_connect_breaker_minimum_calls", 0),
        ("flow_connect_breaker_window", 0.5),
        ("flow_connect_breaker_window", 3601),
        ("flow_connect_breaker_open_duration", 0.5),
        ("flow_connect_breaker_open_duration", 3601),
        ("flow_connect_breaker_half_open_probes", 0),
        ("flow_connect_breaker_half_open_probes", 101),
    ],
)
def test_values_out_of_range_are_refused(field: str, value: float) -> None:
    with pytest.raises(ValidationError, match=field):
        FlowConnectApiSettings.model_validate({"flow_connect_api_url": URL, field: value})
