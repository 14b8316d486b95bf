"""The rule registry: one definition per rule id, gates made of the book's own rules, and the
generated rule pages in docs/rules/ matching the registries (the drift check)."""

from __future__ import annotations

import pytest

from shared.contracts import readme, registry
from shared.errors import RuleViolation
from shared.rules import Gate, Reads, Rule, RuleBook, books


def test_the_rule_pages_match_the_registries() -> None:
    stale = readme.stale_rule_pages()
    assert not stale, f"docs/rules/{stale} out of date: run `make contracts` and commit"


def test_every_rule_names_its_source_and_its_time() -> None:
    for service, book in books().items():
        for rule in book:
            assert rule.statement and rule.source, f"{service}.{rule.id} lacks text or source"
            assert isinstance(rule.reads, Reads)


def test_no_rule_id_is_defined_by_two_books_with_different_words() -> None:
    seen: dict[str, Rule[object]] = {}
    for book in books().values():
        for rule in book:
            earlier = seen.setdefault(rule.id, rule)
            assert (earlier.statement, earlier.source) == (rule.statement, rule.source), \
                f"{rule.id} is stated two ways"


def test_a_book_refuses_a_rule_id_defined_twice() -> None:
    rule: Rule[object] = Rule("x_missing", "x is missing", "test", Reads.NONE)
    with pytest.raises(ValueError, match="defined twice"):
        RuleBook("test", [rule, Rule("x_missing", "other", "test", Reads.NONE)])


def test_a_gate_refuses_under_its_first_failing_rule_and_lists_them_all() -> None:
    first = Rule[int]("odd", "must be even", "test", Reads.NONE, blocks=lambda n: n % 2 == 1)
    second = Rule[int]("small", "must be 10 or more", "test", Reads.NONE, blocks=lambda n: n < 10)
    gate = Gate("the act", (first, second))
    RuleBook("test", [first, second], [gate])
    assert gate.failing_ids(3) == ["odd", "small"]
    assert gate.failing_ids(12) == []
    with pytest.raises(RuleViolation) as refused:
        gate.enforce(3)
    assert refused.value.rule == "odd"
    gate.enforce(12)


def test_every_satisfying_event_is_one_a_service_publishes() -> None:
    """`satisfied_by` is what the case view and `explain` tell a clerk to wait for: a
    misspelt or retired event type there would send them waiting for nothing."""
    published = {message.event_type for name in registry.service_names()
                 for message in registry.messages_of(name, registry.events_module(name))}
    unknown = {f"{service}.{rule.id}: {event_type}"
               for service, book in books().items() for rule in book
               for event_type in rule.satisfied_by if event_type not in published}
    assert not unknown, f"rules wait for events no service publishes: {sorted(unknown)}"
