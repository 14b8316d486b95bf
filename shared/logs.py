"""JSON structured logs on stderr, one object per line."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.envsettings import EnvSettings
from shared.errortext import traceback_text

# Attributes every record has, and uvicorn's ANSI-coloured duplicate of the message.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "color_message"}


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self._service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "service": self._service,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        # Anything passed with `extra=` becomes a field of its own.
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info and record.exc_info[1] is not None:
            # Never the data that failed: a statement error's parameters, a validation
            # error's input (personal data among them; docs/personal-data.md).
            entry["error"] = traceback_text(record.exc_info[1])
        return json.dumps(entry, default=str)


class LogSettings(EnvSettings):
    """LOG_LEVEL (INFO): for the tools; a service reads it with its ServiceSettings."""

    model_config = SettingsConfigDict(env_ignore_empty=True)  # empty means unset

    level: str = Field(default="INFO", validation_alias="LOG_LEVEL")


def configure_logging(service: str, level: str | None = None) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel((level or LogSettings().level).upper())
    # Client libraries are chatty at INFO; their warnings still come through.
    for noisy in ("aiokafka", "kafka", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
