import io
import json
import logging
import sys
from collections.abc import Iterator

import pytest
import structlog

from app.core.config import LoggingSettings
from app.core.observability.logging import configure_logging


@pytest.fixture
def output() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    yield stream
    configure_logging(json=True, stream=sys.__stdout__)  # whatever the next test builds replaces it


def test_production_logs_are_json_lines_with_context(output: io.StringIO) -> None:
    configure_logging(json=True, level="INFO", stream=output)

    with structlog.contextvars.bound_contextvars(request_id="req-1"):
        structlog.get_logger("app.test").info("something_happened", answer=42)
        logging.getLogger("uvicorn.error").info("from the standard library")

    first, second = (json.loads(line) for line in output.getvalue().splitlines())
    assert {k: first[k] for k in ("event", "answer", "request_id", "level", "logger")} == {
        "event": "something_happened",
        "answer": 42,
        "request_id": "req-1",
        "level": "info",
        "logger": "app.test",
    }
    assert first["timestamp"].endswith("Z")
    assert (second["event"], second["logger"], second["request_id"]) == (
        "from the standard library",
        "uvicorn.error",
        "req-1",
    )


def test_log_level_filters(output: io.StringIO) -> None:
    configure_logging(json=True, level="WARNING", stream=output)

    structlog.get_logger("app.test").info("hidden")
    structlog.get_logger("app.test").warning("shown")

    assert [json.loads(line)["event"] for line in output.getvalue().splitlines()] == ["shown"]


def test_console_format_is_for_humans(output: io.StringIO) -> None:
    configure_logging(json=False, level="INFO", stream=output)

    structlog.get_logger("app.test").info("readable", answer=42)

    line = output.getvalue().strip()
    assert "readable" in line
    assert "answer=42" in line
    assert not line.startswith("{")


@pytest.mark.parametrize(
    ("log_format", "development", "renders_json"),
    [(None, False, True), (None, True, False), ("json", True, True), ("console", False, False)],
)
def test_log_format_defaults_follow_app_env(
    log_format: str | None,
    development: bool,  # noqa: FBT001 - a parametrized case
    renders_json: bool,  # noqa: FBT001
) -> None:
    app_env = "development" if development else "production"
    chosen = {"log_format": log_format} if log_format else {}
    settings = LoggingSettings.model_validate({**chosen, "app_env": app_env})

    assert (settings.log_format == "json") is renders_json
