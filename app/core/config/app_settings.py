from app.core.config.base import EnvironmentAwareSettings


class AppSettings(EnvironmentAwareSettings):
    @property
    def is_development(self) -> bool:
        return self.app_env == "development"
