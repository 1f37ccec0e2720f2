from collections.abc import Iterable, Sequence
from typing import TypeVar

from pydantic import ValidationError
from pydantic_settings import BaseSettings

SettingsT = TypeVar("SettingsT", bound=BaseSettings)


class ConfigError(Exception):
    """Start-up cannot go on: the message names each bad variable on one line."""


def load_settings(classes: Sequence[type[BaseSettings]]) -> list[BaseSettings]:
    """Instantiate every settings class, reporting all bad variables at once."""
    loaded: list[BaseSettings] = []
    problems: list[str] = []
    for settings_class in classes:
        try:
            loaded.append(settings_class())
        except ValidationError as error:
            problems.extend(_describe(error))
    if problems:
        # APP_ENV is read by several classes; a bad value is still one line.
        raise ConfigError("; ".join(dict.fromkeys(problems)))
    return loaded


# pydantic's report for a default computed from a field that failed (LOG_FORMAT from APP_ENV,
# say): that variable was never set, and the field it follows is named on its own.
_FOLLOWS_A_BAD_FIELD = "default_factory_not_called"


def _describe(error: ValidationError) -> list[str]:
    lines: list[str] = []
    for item in error.errors(include_url=False, include_input=False):
        if item["type"] == _FOLLOWS_A_BAD_FIELD:
            continue
        variable = str(item["loc"][0]).upper() if item["loc"] else error.title
        message = item["msg"].removeprefix("Value error, ")  # pydantic's prefix for our own checks
        reason = "is required" if item["type"] == "missing" else f"is invalid: {message}"
        lines.append(f"{variable} {reason}")
    return lines


def pick(settings: Iterable[BaseSettings], settings_class: type[SettingsT]) -> SettingsT:
    """The loaded instance of `settings_class`."""
    return next(s for s in settings if isinstance(s, settings_class))
