"""Rules as the pages show them: the statement in the user's language and the legal source.

The rule registry is read when a page is rendered (services/*/rules.py and shared/rules/law.py),
never copied: a rule added to a book shows up without touching the console. Spanish statements
come from i18n/rules_es.yaml; a rule missing there shows its English statement, and an id no
book holds shows the id itself.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from shared.rules import Rule, books, law

CATALOGUE = Path(__file__).resolve().parent / "i18n" / "rules_es.yaml"


@dataclass(frozen=True)
class ShownRule:
    id: str
    statement: str
    source: str | None      # None when no book holds the rule
    satisfied_by: tuple[str, ...]


def registry() -> dict[str, Rule[Any]]:
    """Every rule the books and the shared law define, by id."""
    found: dict[str, Rule[Any]] = {rule.id: rule for rule in vars(law).values()
                                   if isinstance(rule, Rule)}
    for book in books().values():
        for rule in book:
            found[rule.id] = rule
    return found


@functools.cache
def spanish() -> dict[str, str]:
    loaded = yaml.safe_load(CATALOGUE.read_text(encoding="utf-8")) or {}
    return {str(k): " ".join(str(v).split()) for k, v in loaded.items()}


def shown(rule_id: str, language: str, rules: dict[str, Rule[Any]] | None = None) -> ShownRule:
    rule = (rules if rules is not None else registry()).get(rule_id)
    if rule is None:
        return ShownRule(rule_id, rule_id, None, ())
    statement = rule.statement
    if language == "es":
        statement = spanish().get(rule_id, statement)
    return ShownRule(rule_id, statement, rule.source, rule.satisfied_by)


def with_statements(problems: list[dict[str, Any]], language: str) -> list[dict[str, Any]]:
    """An API's problems, each naming a registry rule (its `type`) given the rule's statement
    in the user's language where that is not the API's own (English) wording."""
    if language == "en":
        return problems
    rules = registry()
    return [{**p, "statement": shown(str(p["type"]), language, rules).statement}
            if p.get("type") in rules else p for p in problems]


def missing_spanish() -> list[str]:
    """The rules in the registry without a Spanish statement."""
    return sorted(set(registry()) - set(spanish()))
