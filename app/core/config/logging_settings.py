from typing import Literal

from pydantic import Field

from app.core.config.base import EnvironmentAwareSettings, in_development


class LoggingSettings(EnvironmentAwareSettings):
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # Unset: JSON lines in production, readable console output in development.
    log_format: Literal["json", "console"] = Field(
        default_factory=lambda validated: "console" if in_development(validated) else "json"
    )
