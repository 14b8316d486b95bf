"""Failures of a `runway` command as one line naming the cause and the fix, and exit codes.

Exit codes (README "Exit codes"):
  0   done; the check passed
  1   done, and the answer is no: a check found problems, the API refused, no such case
  2   the command line is wrong (argparse), or some requests of a batch were refused
  3   something the command needs isn't there: a service, PostgreSQL, a store, Kafka
  70  a bug in runway: the line names the exception; RUNWAY_DEBUG=1 shows the traceback
  130 interrupted (Ctrl-C)
  141 the reader of its output went away (`runway … | head`), as a tool stopped by SIGPIPE
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from shared.errors import error_chain

if TYPE_CHECKING:
    from shared.cli.where import Where

EXIT_REFUSED = 1
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3
EXIT_BUG = 70
EXIT_INTERRUPTED = 130
EXIT_OUTPUT_CLOSED = 141  # 128 + SIGPIPE: what the shell reports for tools it stops

_ADDRESS = re.compile(r"\('([^']+)', (\d+)")


class CommandFailed(Exception):
    """A failure already explained for the user; `str()` is the line to print."""

    def __init__(self, message: str, code: int = EXIT_UNREACHABLE) -> None:
        super().__init__(message)
        self.code = code


def explain(error: BaseException, where: Where | None) -> CommandFailed:
    """The user's line for a failure; an unknown one is reported as a bug."""
    if isinstance(error, CommandFailed):
        return error
    hint = where.stack_hint() if where else "start the stack with make run"
    for cause in error_chain(error):
        found = _explain_one(cause, where, hint)
        if found is not None:
            return found
    first_line = (str(error).strip().splitlines() or [""])[0][:200]
    return CommandFailed(f"unexpected {type(error).__name__}: {first_line} (a bug in runway; "
                         f"RUNWAY_DEBUG=1 shows the traceback)", EXIT_BUG)


def _explain_one(cause: BaseException, where: Where | None, hint: str) -> CommandFailed | None:
    for explainer in (_http, _kafka, _postgres_down, _postgres_refused, _no_tables, _file):
        found = explainer(cause, where, hint)
        if found is not None:
            return found
    return None


def _http(cause: BaseException, where: Where | None, hint: str) -> CommandFailed | None:
    import httpx

    if not isinstance(cause, httpx.TransportError):
        return None
    url = str(cause.request.url.copy_with(path="/", query=None)).rstrip("/") \
        if _has_request(cause) else (where.intake_url if where else "the intake service")
    return CommandFailed(f"no Runway service answers at {url} ({type(cause).__name__}): "
                         f"{hint}, or pass --intake-url")


def _has_request(cause: BaseException) -> bool:
    try:
        getattr(cause, "request")  # noqa: B009  (httpx raises RuntimeError when it has none)
    except RuntimeError:
        return False
    return True


def _kafka(cause: BaseException, where: Where | None, hint: str) -> CommandFailed | None:
    from aiokafka.errors import KafkaConnectionError

    if not isinstance(cause, KafkaConnectionError):
        return None
    bootstrap = where.bootstrap if where else "the bootstrap servers"
    return CommandFailed(f"no Kafka at {bootstrap}: run make kafka-up (or make run), "
                         f"or pass --bootstrap")


def _postgres_down(cause: BaseException, where: Where | None, hint: str
                   ) -> CommandFailed | None:
    # asyncpg lets the socket's refusal through; Kafka's and httpx's are wrapped (above).
    match = _ADDRESS.search(str(cause)) if isinstance(cause, OSError) else None
    if match is None:
        return None
    return CommandFailed(f"no PostgreSQL at {match[1]}:{match[2]}: run make postgres-up, "
                         f"or pass --store SERVICE=URL")


def _postgres_refused(cause: BaseException, where: Where | None, hint: str
                      ) -> CommandFailed | None:
    text = str(cause)
    if "password authentication failed" in text:
        return CommandFailed("PostgreSQL refused the login (password authentication failed): "
                             "check the user and password in --store, --database-url or "
                             "DATABASE_URL")
    missing = re.search(r'database "([^"]+)" does not exist', text)
    if missing:
        return CommandFailed(f"no database {missing[1]} on the PostgreSQL server: run make "
                             f"postgres-up (it creates runway_<service>), or pass --store")
    return None


def _no_tables(cause: BaseException, where: Where | None, hint: str) -> CommandFailed | None:
    text = str(cause)
    signs = ('relation "events" does not exist', "no such table: events",
             "requested table(s) not available")  # the last: replay reflecting a read model
    if not any(sign in text for sign in signs):
        return None
    return CommandFailed("a store has no Runway tables (not a service's store, or never "
                         f"migrated): {hint}, or pass --store SERVICE=URL")


def _file(cause: BaseException, where: Where | None, hint: str) -> CommandFailed | None:
    """A file named on the command line that can't be read or written, or isn't JSON/YAML."""
    import json

    import yaml

    if isinstance(cause, OSError) and cause.filename:
        return CommandFailed(f"{cause.filename}: {cause.strerror}", EXIT_USAGE)
    if isinstance(cause, (yaml.YAMLError, json.JSONDecodeError)):
        first_line = str(cause).strip().splitlines()[0]
        return CommandFailed(f"not valid JSON or YAML: {first_line}", EXIT_USAGE)
    return None
