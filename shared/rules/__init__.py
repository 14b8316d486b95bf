"""The rule registry: every legal or procedural rule is one named object, defined once.

A service keeps its rules in `services/<name>/rules.py` as `RULES = RuleBook("<name>", ...)`.
A `Rule` carries what an auditor asks about it: its id (the string in 409 answers, in
`blocked_by` lists and in events), a one-line statement, its legal source, which time it reads
(the legal date of the act, or when Runway recorded it), the predicate over the case that says
when it blocks, and the events that would satisfy it. The domain's refusals, the case view's
blockers, the audit `explain`, transport's eligibility and the demo all ask the rule; none
restates it. docs/rules/<service>.md is generated from the registries (`make contracts`).

Two kinds of rule share the one shape:

* a *state* rule has a predicate (`blocks`) over the case state: "surrender is blocked while an
  amparo suspension is active". Gates (`RuleBook.gate`) group the state rules that hold back one
  act, so the view's "blocked by" and the domain's refusal are the same list by construction.
* a *command* rule has no predicate: it judges the command's own input against the state
  ("the hearing date is before the formal request"). It is raised with `rule.refuse(detail)`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Generic, NoReturn, TypeVar

from shared.errors import RuleViolation

S = TypeVar("S")


class Reads(StrEnum):
    """Which time a rule reads: never both."""

    LEGAL = "legal"        # the legal date or instant of the acts (from the documents)
    RECORDED = "recorded"  # when Runway recorded them
    NONE = "none"          # no time at all: the rule reads only facts (a status, a set)


@dataclass(frozen=True)
class Rule(Generic[S]):
    id: str
    statement: str
    source: str
    reads: Reads
    satisfied_by: tuple[str, ...] = ()
    blocks: Callable[[S], bool] | None = field(default=None, compare=False, repr=False)

    def refuse(self, detail: str | None = None) -> NoReturn:
        """Refuse the command under this rule (HTTP 409 naming it)."""
        raise RuleViolation(self.id, detail or self.statement)

    def require(self, condition: bool, detail: str | None = None) -> None:
        """Refuse unless `condition` holds."""
        if not condition:
            self.refuse(detail)

    def blocking(self, subject: S) -> bool:
        if self.blocks is None:
            raise TypeError(f"rule {self.id} is a command rule: it has no predicate over state")
        return self.blocks(subject)

    def over(self, blocks: Callable[[Any], bool]) -> Rule[Any]:
        """The same rule (id, statement, source, time) judged over another service's view of
        the case: transport mirrors judicial's and assurance's rules over the facts it holds."""
        return Rule(self.id, self.statement, self.source, self.reads, self.satisfied_by,
                    blocks)

    def as_dict(self) -> dict[str, Any]:
        return {"rule": self.id, "statement": self.statement, "source": self.source,
                "reads": self.reads.value, "satisfied_by": list(self.satisfied_by)}


@dataclass(frozen=True)
class Gate(Generic[S]):
    """The state rules that hold back one act, in the order a refusal names them."""

    act: str
    rules: tuple[Rule[S], ...]

    def failing(self, subject: S) -> tuple[Rule[S], ...]:
        return tuple(rule for rule in self.rules if rule.blocking(subject))

    def failing_ids(self, subject: S) -> list[str]:
        return [rule.id for rule in self.failing(subject)]

    def enforce(self, subject: S, detail: Callable[[Rule[S]], str] | None = None) -> None:
        """Refuse the act under the first failing rule."""
        failing = self.failing(subject)
        if failing:
            first = failing[0]
            first.refuse(detail(first) if detail else f"{self.act}: {first.statement}")


class RuleBook:
    """One service's rules, by id; an id is defined once across the book."""

    def __init__(self, service: str, rules: Iterable[Rule[Any]],
                 gates: Iterable[Gate[Any]] = ()) -> None:
        self.service = service
        self._rules: dict[str, Rule[Any]] = {}
        for rule in rules:
            if rule.id in self._rules:
                raise ValueError(f"{service}: rule {rule.id} is defined twice")
            self._rules[rule.id] = rule
        self.gates = tuple(gates)
        for gate in self.gates:
            unknown = [r.id for r in gate.rules if self._rules.get(r.id) is not r]
            if unknown:
                raise ValueError(f"{service}: gate {gate.act!r} uses rules not in the book: "
                                 f"{unknown}")

    def __getitem__(self, rule_id: str) -> Rule[Any]:
        return self._rules[rule_id]

    def __contains__(self, rule_id: object) -> bool:
        return rule_id in self._rules

    def __iter__(self) -> Any:
        return iter(self._rules.values())

    def __len__(self) -> int:
        return len(self._rules)

    def statement(self, rule_id: str) -> str:
        """The rule's statement, or the id itself for a rule this book does not hold."""
        rule = self._rules.get(rule_id)
        return rule.statement if rule else rule_id.replace("_", " ")


def render_markdown(book: RuleBook) -> str:
    """docs/rules/<service>.md: the book as a page, generated (never edited by hand)."""
    lines = [f"# {book.service}: rules",
             "",
             f"Generated by `make contracts` from `services/{book.service}/rules.py`. Do not "
             "edit: change the rule, regenerate.",
             "",
             "`reads` is the time the rule judges: `legal` = the legal date of the acts, "
             "`recorded` = when Runway recorded them, `none` = no time.",
             ""]
    for gate in book.gates:
        lines.append(f"- **{gate.act}** is held back by: "
                     + ", ".join(f"`{r.id}`" for r in gate.rules))
    if book.gates:
        lines.append("")
    lines += ["| rule | statement | legal source | reads | satisfied by |",
              "|---|---|---|---|---|"]
    for rule in sorted(book, key=lambda r: r.id):
        satisfied = ", ".join(f"`{e}`" for e in rule.satisfied_by) or "—"
        kind = "" if rule.blocks is not None else " *(command)*"
        lines.append(f"| `{rule.id}`{kind} | {_cell(rule.statement)} | {_cell(rule.source)} "
                     f"| {rule.reads.value} | {satisfied} |")
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def books() -> dict[str, RuleBook]:
    """Every service's rule book (services/<name>/rules.py with RULES)."""
    from shared.discovery import service_modules

    return {name: module.RULES for name, module in service_modules("rules").items()
            if isinstance(getattr(module, "RULES", None), RuleBook)}


def rendered_docs() -> dict[str, str]:
    """docs/rules/<service>.md for every book, by file name."""
    return {f"{name}.md": render_markdown(book) for name, book in sorted(books().items())}


__all__ = ["Gate", "Reads", "Rule", "RuleBook", "books", "render_markdown", "rendered_docs"]


def ids(rules: Sequence[Rule[Any]]) -> list[str]:
    return [rule.id for rule in rules]
