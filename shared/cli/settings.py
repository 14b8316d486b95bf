"""What the `runway` command reads from its environment; its flags win over these."""

from __future__ import annotations

from pydantic import Field, field_validator

from shared.envsettings import EnvSettings


class CliSettings(EnvSettings):
    actor: str | None = Field(default=None, validation_alias="RUNWAY_ACTOR")
    user: str = Field(default="operator", validation_alias="USER")
    role: str = Field(default="operator", validation_alias="RUNWAY_ROLE")
    token: str | None = Field(default=None, validation_alias="RUNWAY_TOKEN")
    intake_url: str | None = Field(default=None, validation_alias="RUNWAY_INTAKE_URL")
    # Any value but empty: tracebacks and aiokafka's own logging instead of one line.
    debug: bool = Field(default=False, validation_alias="RUNWAY_DEBUG")

    @field_validator("debug", mode="before")
    @classmethod
    def _set_means_on(cls, value: object) -> bool:
        return bool(value)

    @property
    def default_actor(self) -> str:
        """RUNWAY_ACTOR, else the login name."""
        return self.actor if self.actor is not None else self.user
