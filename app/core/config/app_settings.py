from typing import Literal

from pydantic_settings import BaseSettings

from app.core.config.base import BASE_SETTINGS_CONFIG


class AppSettings(BaseSettings):
    model_config = BASE_SETTINGS_CONFIG

    app_env: Literal["development", "production"] = "production"

    @property
    def is_development(self) -> bool:
        return self.app_env == "development"
