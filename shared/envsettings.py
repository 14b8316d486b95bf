"""The base of Runway's settings classes (pydantic-settings)."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class EnvSettings(BaseSettings):
    """Settings read from the environment: each field names its variable (validation_alias),
    code and tests may pass a field by its name instead, and the variables other settings
    classes read are ignored here."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)
