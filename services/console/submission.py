"""The request form: its fields, the intake body built from them, and the API's 422 answers
placed beside the fields they name.

Field names are the body's own paths (person.given_names, charges.0.statute), so a problem's
`loc` from the API names its field with no table in between.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .steps import Kind, yes_no

CHARGE_SLOTS = 2
DOCUMENT_SLOTS = 3
LEGAL_BASES = ("treaty", "simplified", "national_security")


@dataclass(frozen=True)
class Field:
    name: str                    # the body path, dotted
    kind: Kind
    required: bool = False
    choices: tuple[str, ...] = ()

    @property
    def label_key(self) -> str:
        """field.<path without its group and slot>: charges.1.max_penalty_us.years ->
        field.max_penalty_us_years, person.given_names -> field.given_names."""
        parts = [part for part in self.name.split(".") if not part.isdigit()]
        if len(parts) > 1 and parts[0] in GROUPS:
            parts = parts[1:]
        return "field." + "_".join(parts)


GROUPS = ("person", "charges", "documents")

PERSON = (Field("person.given_names", "text", True), Field("person.family_names", "text", True),
          Field("person.aliases", "text"), Field("person.date_of_birth", "date"),
          Field("person.nationality", "text", True))
REQUEST = (Field("legal_basis", "choice", True, LEGAL_BASES),
           Field("requesting_district", "text", True),
           Field("prosecutor_office", "text", True),
           Field("request_reference", "text"), Field("us_request_reference", "text"),
           Field("requested_on", "date"), Field("provisional_arrest_date", "date"))
OPTIONAL = ("request_reference", "us_request_reference", "requested_on",
            "provisional_arrest_date")


def charge_fields(slot: int) -> tuple[Field, ...]:
    first = slot == 0
    prefix = f"charges.{slot}."
    return (Field(prefix + "charge_id", "text", first), Field(prefix + "statute", "text", first),
            Field(prefix + "description", "text", first),
            Field(prefix + "max_penalty_us.years", "text"),
            Field(prefix + "max_penalty_us.life", "bool"),
            Field(prefix + "mx_equivalent_offence", "text", first),
            Field(prefix + "max_penalty_mx.years", "text"),
            Field(prefix + "death_penalty_possible", "bool", first),
            Field(prefix + "death_penalty_law", "text"),
            Field(prefix + "sentence_remaining.years", "text"))


def document_fields(slot: int) -> tuple[Field, ...]:
    return (Field(f"documents.{slot}.kind", "text"),
            Field(f"documents.{slot}.reference", "text"))


def body_of(form: Mapping[str, str]) -> dict[str, Any]:
    """The submission as intake's POST /cases takes it. Values are passed as typed as a form
    can say them; whatever is wrong with them is for the API to name."""
    def value(name: str) -> str:
        return (form.get(name) or "").strip()

    person: dict[str, Any] = {"given_names": value("person.given_names"),
                              "family_names": value("person.family_names"),
                              "nationality": value("person.nationality")}
    aliases = [a.strip() for a in value("person.aliases").split(",") if a.strip()]
    if aliases:
        person["aliases"] = aliases
    if value("person.date_of_birth"):
        person["date_of_birth"] = value("person.date_of_birth")
    body: dict[str, Any] = {"person": person, "legal_basis": value("legal_basis"),
                            "requesting_district": value("requesting_district"),
                            "prosecutor_office": value("prosecutor_office"),
                            "charges": [c for c in (_charge(value, slot) for slot in
                                                    slots(form, "charges", CHARGE_SLOTS)) if c],
                            "documents": [d for d in (_document(value, slot) for slot in
                                                      slots(form, "documents", DOCUMENT_SLOTS))
                                          if d]}
    for optional in OPTIONAL:
        if value(optional):
            body[optional] = value(optional)
    return body


def slots(form: Mapping[str, str], group: str, page_slots: int) -> list[int]:
    """The numbered slots of `group` to read, in order: the page's own, and any other a CSV
    row's columns name (charges.2.statute ...), so no charge it names is left out."""
    named = {int(parts[1]) for parts in (name.split(".") for name in form)
             if len(parts) > 2 and parts[0] == group and parts[1].isdigit()}
    return sorted(named | set(range(page_slots)))


def _charge(value: Any, slot: int) -> dict[str, Any] | None:
    p = f"charges.{slot}."
    names = [f.name for f in charge_fields(slot) if f.kind != "bool"]
    if slot > 0 and not any(value(n) for n in names):
        return None  # an empty extra slot is no charge
    charge: dict[str, Any] = {
        "charge_id": value(p + "charge_id"), "statute": value(p + "statute"),
        "description": value(p + "description"),
        # A blank "life" is no (intake's default); a blank death-penalty answer is left out,
        # for intake requires it: never read as no (a capital count recorded as not capital).
        "max_penalty_us": _penalty(value(p + "max_penalty_us.years"),
                                   _answer(value(p + "max_penalty_us.life")) or False),
        "mx_equivalent_offence": value(p + "mx_equivalent_offence"),
        "max_penalty_mx": _penalty(value(p + "max_penalty_mx.years"), False),
    }
    answer = _answer(value(p + "death_penalty_possible"))
    if answer is not None:
        charge["death_penalty_possible"] = answer
    if value(p + "death_penalty_law"):
        charge["death_penalty_law"] = value(p + "death_penalty_law")
    if value(p + "sentence_remaining.years"):
        charge["sentence_remaining"] = _penalty(value(p + "sentence_remaining.years"), False)
    return charge


def _answer(raw: str) -> bool | str | None:
    """A yes/no cell or select: True or False in any usual spelling, None when blank, and
    anything else as it was typed (unreadable_answers names it; it is never sent)."""
    if not raw:
        return None
    answer = yes_no(raw)
    return raw if answer is None else answer


YES_NO_FIELDS = ("death_penalty_possible", "max_penalty_us.life")


def unreadable_answers(body: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The yes/no answers of a body made by body_of that are neither yes nor no, each a
    problem at its field (as an API's 422 names one), with what was typed."""
    problems = []
    for slot, charge in enumerate(body.get("charges", [])):
        for name in YES_NO_FIELDS:
            *group, key = name.split(".")
            holder = charge.get(group[0], {}) if group else charge
            typed = holder.get(key) if isinstance(holder, dict) else None
            if isinstance(typed, str):
                problems.append({"loc": ["body", "charges", slot, *name.split(".")],
                                 "type": "yes_no", "msg": "answer yes or no",
                                 "ctx": {"input": typed}})
    return problems


def _penalty(years: str, life: bool | str) -> dict[str, Any]:
    penalty: dict[str, Any] = {"life": life}
    if years:
        try:
            penalty["years"] = float(years)
        except ValueError:
            penalty["years"] = years  # the API's 422 names it
    return penalty


def _document(value: Any, slot: int) -> dict[str, str] | None:
    kind, reference = value(f"documents.{slot}.kind"), value(f"documents.{slot}.reference")
    if not kind and not reference:
        return None
    return {"kind": kind, "reference": reference}


def place_problems(problems: list[dict[str, Any]], names: set[str]
                   ) -> tuple[dict[str, list[dict[str, Any]]], list[dict[str, Any]]]:
    """Each problem beside the field (or group: person, charges.0, documents) it names; the
    ones that name none go above the form."""
    placed: dict[str, list[dict[str, Any]]] = {}
    general: list[dict[str, Any]] = []
    for problem in problems:
        loc = [str(part) for part in problem.get("loc", []) if part != "body"]
        target = None
        for end in range(len(loc), 0, -1):
            candidate = ".".join(loc[:end])
            if candidate in names:
                target = candidate
                break
        if target is None:
            general.append(problem)
        else:
            placed.setdefault(target, []).append(problem)
    return placed, general


def all_names() -> set[str]:
    fields = [*PERSON, *REQUEST]
    for slot in range(CHARGE_SLOTS):
        fields += charge_fields(slot)
    for slot in range(DOCUMENT_SLOTS):
        fields += document_fields(slot)
    groups = {"person", "charges", "documents"} | {f"charges.{s}" for s in range(CHARGE_SLOTS)} \
        | {f"documents.{s}" for s in range(DOCUMENT_SLOTS)}
    return {f.name for f in fields} | groups
