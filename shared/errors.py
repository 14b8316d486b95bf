"""Errors a command can end with; the web layer turns each into a clear HTTP answer."""

from __future__ import annotations

from collections.abc import Iterator


class RuleViolation(Exception):
    """The case's state forbids the command (HTTP 409). `rule` names the rule."""

    def __init__(self, rule: str, message: str) -> None:
        self.rule = rule
        self.message = message
        super().__init__(f"{rule}: {message}")


class NotFound(Exception):
    """The thing asked for does not exist (HTTP 404)."""

    def __init__(self, what: str, identifier: str) -> None:
        self.what = what
        self.identifier = identifier
        super().__init__(f"{what} {identifier!r} not found")


class Problem:
    """One thing wrong with a request: where (a path into the body), which rule, and why."""

    def __init__(self, loc: tuple[str | int, ...], rule: str, message: str) -> None:
        self.loc = loc
        self.rule = rule
        self.message = message

    def as_dict(self) -> dict[str, object]:
        return {"loc": ["body", *self.loc], "type": self.rule, "msg": self.message}


class InvalidRequest(Exception):
    """The request breaks validation rules a clerk would check (HTTP 422)."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{'.'.join(map(str, p.loc))}: {p.message}"
                                   for p in problems))


def error_chain(error: BaseException) -> Iterator[BaseException]:
    """The error and every error it wraps, nearest first, each once: chained exceptions
    (`__cause__`, `__context__`), a driver's exception that SQLAlchemy wraps (`orig`), and
    the members of an exception group."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop(0)
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        orig = getattr(current, "orig", None)
        pending += [current.__cause__, current.__context__,
                    orig if isinstance(orig, BaseException) else None]
        if isinstance(current, BaseExceptionGroup):
            pending += list(current.exceptions)
