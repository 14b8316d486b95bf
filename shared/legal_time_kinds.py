"""The terms in which an event type declares its legal time (see shared/audit/legal_times.py
for what the auditor does with them). Each service's events module declares its own with these;
this module depends on nothing, so an event contract imports it for free.

- `document`: a payload field holds the date (or instant) the act bears on its document,
  e.g. judicial `surrender_ordered.ordered_on`, transport `custody_transferred.transferred_at`;
- `cause`: derived from another service's event (its `causation_id`), whose legal time it
  takes; some payloads also carry a copy of it, named here;
- `with`: a consequence drawn from an act recorded in the same command: that act's legal time;
- `entry`: Runway's own act with no document of its own: the instant it was entered.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    DOCUMENT = "document"
    CAUSE = "cause"
    WITH = "with"
    ENTRY = "entry"


@dataclass(frozen=True)
class LegalTime:
    kind: Kind
    fields: tuple[str, ...] = ()   # document: its field; cause: copies of the cause's time
    note: str = ""
    # A payload field the legal time is never before (a clearance restated with an earlier
    # act still takes effect on its own date).
    not_before: str = ""

    def describe(self) -> str:
        named = " or ".join(f"`{f}`" for f in self.fields)
        text = {
            Kind.DOCUMENT: f"{named}",
            Kind.CAUSE: "its cause's legal time" + (f" (copied in {named})" if named else ""),
            Kind.WITH: "the legal time of the act recorded with it" + (
                f", or its `{self.not_before}` when that is later" if self.not_before else ""),
            Kind.ENTRY: "when it was entered (no document of its own)",
        }[self.kind]
        return f"{text}: {self.note}" if self.note else text


def doc(field: str, note: str = "") -> LegalTime:
    return LegalTime(Kind.DOCUMENT, (field,), note)


def cause(*copies: str, note: str = "") -> LegalTime:
    return LegalTime(Kind.CAUSE, copies, note)


def with_act(note: str, not_before: str = "") -> LegalTime:
    return LegalTime(Kind.WITH, (), note, not_before)


def entry(note: str) -> LegalTime:
    return LegalTime(Kind.ENTRY, (), note)
