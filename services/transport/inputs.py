"""Tolerant readers of the events transport consumes: only the fields it needs, others ignored.

* judicial (services/judicial/events.py): case_opened, surrender_ordered,
  national_security_transfer_authorized, amparo_suspension_granted, amparo_denied,
  amparo_granted, released_from_custody, pickup_window_expired (all .v1);
* assurance (services/assurance/events.py): death_penalty_clearance_granted / _withdrawn .v1;
* intake (services/intake/events.py): request_submitted .v1 and .v2 (the person's id, basis
  and district, so a case is known before judicial speaks; the name goes to person_names,
  see consumers.py).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import TypeVar

from pydantic import AwareDatetime

from shared.messaging.cloudevents import ConsumedEvent, ce_type
from shared.messaging.tolerant import CaseEvent, Tolerant

from .facts import (
    AmparoDenied,
    AmparoGranted,
    ClearanceGranted,
    ClearanceWithdrawn,
    Fact,
    Input,
    PersonKnown,
    PickupExpired,
    Released,
    SurrenderOrdered,
    SuspensionGranted,
    TransferAuthorized,
)

REQUEST_SUBMITTED_V1 = ce_type("intake.request_submitted", 1)
REQUEST_SUBMITTED_V2 = ce_type("intake.request_submitted", 2)
CASE_OPENED_V1 = ce_type("judicial.case_opened", 1)
SURRENDER_ORDERED_V1 = ce_type("judicial.surrender_ordered", 1)
TRANSFER_AUTHORIZED_V1 = ce_type("judicial.national_security_transfer_authorized", 1)
SUSPENSION_GRANTED_V1 = ce_type("judicial.amparo_suspension_granted", 1)
AMPARO_DENIED_V1 = ce_type("judicial.amparo_denied", 1)
AMPARO_GRANTED_V1 = ce_type("judicial.amparo_granted", 1)
RELEASED_V1 = ce_type("judicial.released_from_custody", 1)
PICKUP_EXPIRED_V1 = ce_type("judicial.pickup_window_expired", 1)
CLEARANCE_GRANTED_V1 = ce_type("assurance.death_penalty_clearance_granted", 1)
CLEARANCE_WITHDRAWN_V1 = ce_type("assurance.death_penalty_clearance_withdrawn", 1)


class _Person(Tolerant):
    person_id: str | None = None  # v2 only


class RequestSubmittedView(CaseEvent):
    person: _Person | None = None
    legal_basis: str | None = None
    requesting_district: str | None = None


class CaseOpenedView(CaseEvent):
    person_id: str | None = None
    legal_basis: str | None = None
    requesting_district: str | None = None


class SurrenderOrderedView(CaseEvent):
    kind: str
    ordered_on: date
    pickup_deadline_on: date
    requesting_district: str
    return_obligation: bool = False


class TransferAuthorizedView(CaseEvent):
    authorized_at: AwareDatetime
    requesting_district: str


class AmparoView(CaseEvent):
    amparo_id: str
    active_suspensions: tuple[str, ...] | None = None
    ruled_on: date | None = None
    pickup_deadline_on: date | None = None


class ReleasedView(CaseEvent):
    released_on: date
    reason: str = "unknown"


class PickupExpiredView(CaseEvent):
    deadline_on: date


class ClearanceView(CaseEvent):
    basis: str | None = None
    reason: str | None = None
    charge_ids: tuple[str, ...] = ()


Reader = Callable[[dict[str, object]], tuple[str, Fact]]
V = TypeVar("V", bound=CaseEvent)


def _reader(view: type[V], fact: Callable[[V], Fact]) -> Reader:
    """Reads the payload through `view` (a malformed one raises) into its case and fact."""
    def read(data: dict[str, object]) -> tuple[str, Fact]:
        v = view.model_validate(data)
        return v.case_id, fact(v)
    return read


_submitted = _reader(RequestSubmittedView, lambda v: PersonKnown(
    v.person.person_id if v.person else None, v.legal_basis, v.requesting_district))

READERS: dict[str, Reader] = {
    REQUEST_SUBMITTED_V1: _submitted,
    REQUEST_SUBMITTED_V2: _submitted,
    CASE_OPENED_V1: _reader(CaseOpenedView, lambda v: PersonKnown(
        v.person_id, v.legal_basis, v.requesting_district)),
    SURRENDER_ORDERED_V1: _reader(SurrenderOrderedView, lambda v: SurrenderOrdered(
        v.kind, v.ordered_on, v.pickup_deadline_on, v.requesting_district,
        v.return_obligation)),
    TRANSFER_AUTHORIZED_V1: _reader(TransferAuthorizedView, lambda v: TransferAuthorized(
        v.authorized_at, v.requesting_district)),
    SUSPENSION_GRANTED_V1: _reader(AmparoView, lambda v: SuspensionGranted(v.amparo_id)),
    AMPARO_DENIED_V1: _reader(AmparoView, lambda v: AmparoDenied(
        v.amparo_id, v.active_suspensions, v.pickup_deadline_on)),
    AMPARO_GRANTED_V1: _reader(AmparoView, lambda v: AmparoGranted(v.amparo_id, v.ruled_on)),
    RELEASED_V1: _reader(ReleasedView, lambda v: Released(v.released_on, v.reason)),
    PICKUP_EXPIRED_V1: _reader(PickupExpiredView, lambda v: PickupExpired(v.deadline_on)),
    CLEARANCE_GRANTED_V1: _reader(ClearanceView, lambda v: ClearanceGranted(
        v.basis, v.charge_ids)),
    CLEARANCE_WITHDRAWN_V1: _reader(ClearanceView, lambda v: ClearanceWithdrawn(
        v.reason, v.charge_ids)),
}
JUDICIAL_TYPES = tuple(t for t in READERS if t.startswith("judicial."))
ASSURANCE_TYPES = tuple(t for t in READERS if t.startswith("assurance."))


def read(event: ConsumedEvent) -> Input:
    """The fact an event states; a malformed payload raises (retried, then dead-lettered)."""
    case_id, fact = READERS[event.ce_type](event.data)
    occurred: datetime = event.time
    return Input(case_id=case_id, fact=fact, source_event_type=event.ce_type,
                 source_event_id=str(event.event_id), occurred_at=occurred)
