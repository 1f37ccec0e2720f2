from pydantic_settings import SettingsConfigDict

# Every settings class reads the process environment first, then `.env` if present;
# unrelated variables in either are ignored, and settings never change once loaded.
BASE_SETTINGS_CONFIG = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)
