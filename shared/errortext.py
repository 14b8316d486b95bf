"""Error text for logs and dead-letter headers that never quotes the data that failed.

Some exceptions copy their input into their text. A pydantic ValidationError quotes each
failing `input_value` in its str() and repr(): for a consumer that is the event's payload (a
legacy v1 request carries names in clear), for the vault decrypted personal data. A SQLAlchemy
statement error quotes the statement's parameters (a name being inserted), and PostgreSQL's
message and DETAIL can quote a value ("Key (case_id)=(...)", "invalid input syntax ...: ...").
`describe` and `traceback_text` say what failed and where without any of that; every other
exception is described by its own message, as before.
"""

from __future__ import annotations

import json
import traceback
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import InterfaceError, OperationalError, StatementError

_CAUSE = "\nThe above exception was the direct cause of the following exception:\n\n"
_CONTEXT = "\nDuring handling of the above exception, another exception occurred:\n\n"
_STATEMENT_CHARS = 300


def validation_problems(error: ValidationError) -> list[dict[str, Any]]:
    """Where and why validation failed: locations, error types and messages, no input."""
    return [dict(problem) for problem in error.errors(
        include_input=False, include_context=False, include_url=False)]


def message(error: BaseException) -> str:
    """The exception's message, with input values and statement parameters left out."""
    if isinstance(error, ValidationError):
        return json.dumps(validation_problems(error), ensure_ascii=False, default=str)
    if isinstance(error, StatementError):
        return _statement_message(error)
    return str(error)


def describe(error: BaseException) -> str:
    """`Type: message`, safe to log (the role repr(error) played)."""
    return f"{type(error).__name__}: {message(error)}"


def traceback_text(error: BaseException) -> str:
    """The traceback as traceback.format_exception prints it (the chain of causes included),
    each exception's line written by `describe`. Frames name only code: file, line, function
    and source line, never a local variable."""
    parts: list[str] = []
    for index, (exc, link) in enumerate(_oldest_first(error)):
        if index:
            parts.append(link)
        if exc.__traceback__ is not None:
            parts.append("Traceback (most recent call last):\n")
            parts.extend(traceback.format_tb(exc.__traceback__))
        parts.append(describe(exc) + "\n")
    return "".join(parts)


def _oldest_first(error: BaseException) -> list[tuple[BaseException, str]]:
    """`error` and the exceptions it was raised from or while handling, oldest first, each
    with the line that leads to it from the one before."""
    newest_first: list[tuple[BaseException, str]] = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        older: BaseException | None = None
        link = ""
        if current.__cause__ is not None:
            older, link = current.__cause__, _CAUSE
        elif current.__context__ is not None and not current.__suppress_context__:
            older, link = current.__context__, _CONTEXT
        newest_first.append((current, link))
        current = older
    return newest_first[::-1]


def _statement_message(error: StatementError) -> str:
    """The driver's error class, SQLSTATE and the statement (placeholders, no parameters).
    The database's own words are kept only for connection failures, which quote no data."""
    original = error.orig
    described = type(original).__name__ if original is not None else "no driver error"
    code = getattr(original, "pgcode", None) or getattr(original, "sqlstate", None)
    if code:
        described += f", SQLSTATE {code}"
    if isinstance(error, OperationalError | InterfaceError) and original is not None:
        described += f": {str(original).splitlines()[0] if str(original) else ''}"
    statement = " ".join((error.statement or "").split())[:_STATEMENT_CHARS]
    return f"({described}) [SQL: {statement}] [parameters hidden]"
