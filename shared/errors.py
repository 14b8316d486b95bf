"""Errors a command can end with; the web layer turns each into a clear HTTP answer."""

from __future__ import annotations


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
