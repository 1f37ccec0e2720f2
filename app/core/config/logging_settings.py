from typing import Literal

from pydantic_settings import BaseSettings

from app.core.config.base import BASE_SETTINGS_CONFIG


class LoggingSettings(BaseSettings):
    model_config = BASE_SETTINGS_CONFIG

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # Unset: JSON lines in production, readable console output in development.
    log_format: Literal["json", "console"] | None = None

    def renders_json(self, *, development: bool) -> bool:
        return self.log_format == "json" if self.log_format else not development
