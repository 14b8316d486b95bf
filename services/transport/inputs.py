"""Tolerant readers of the events transport consumes: only the fields it needs, others ignored.

Each consumed type is declared once (`readers.on(type, version)` below), with the view its
payload is read through and the fact it states; consumers.py subscribes to judicial's and
assurance's types declared here, and holds.py holds a case on a dead letter of any of them.
Intake's request (.v1 and .v2) gives the person's id, basis and district, so a case is known
before judicial speaks; the name goes to person_names (see consumers.py).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TypeVar

from pydantic import AwareDatetime

from shared.messaging.cloudevents import ConsumedEvent
from shared.messaging.readers import Readers
from shared.messaging.tolerant import CaseEvent, Tolerant

from .facts import (
    AmparoDenied,
    AmparoGranted,
    BasisChanged,
    ClearanceGranted,
    ClearanceWithdrawn,
    ExpiryVoided,
    Fact,
    Input,
    PersonKnown,
    PickupExpired,
    PlacedAtDisposal,
    Released,
    ReleaseVoided,
    SurrenderOrdered,
    SuspensionGranted,
    TransferAuthorized,
)


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
    pickup_paused: bool = False  # a suspension's: it paused the pickup window
    outcome: str | None = None  # an appeal's decision
    decided_on: date | None = None


def _appeal_decided(v: AmparoView) -> AmparoDenied | AmparoGranted:
    """The appeal's decision read as the ruling that now stands: a denial (a grant reversed
    frees the order it held) or a grant (the order annulled)."""
    if v.outcome == "granted":
        return AmparoGranted(v.amparo_id, v.decided_on)
    return AmparoDenied(v.amparo_id, v.active_suspensions, v.pickup_deadline_on)


class ReleasedView(CaseEvent):
    released_on: date
    reason: str = "unknown"


class PickupExpiredView(CaseEvent):
    deadline_on: date


class ExpiryVoidedView(CaseEvent):
    deadline_on: date
    release_voided: bool
    appeal_filed_on: date


class LapseVoidedView(CaseEvent):
    deadline_on: date
    released_on: date | None = None


class ExpiryVoidedByActView(CaseEvent):
    deadline_on: date
    release_voided: bool
    act_on: date


class ExpiryVoidedByHandoverView(CaseEvent):
    deadline_on: date
    release_voided: bool
    handed_over_on: date


class PlacedAtDisposalView(CaseEvent):
    placed_on: date
    pickup_deadline_on: date


class BasisChangedView(CaseEvent):
    to_basis: str
    changed_on: date
    overtaken_suspensions: tuple[str, ...] = ()


class ClearanceView(CaseEvent):
    basis: str | None = None
    reason: str | None = None
    charge_ids: tuple[str, ...] = ()


readers: Readers[Input] = Readers()
V = TypeVar("V", bound=CaseEvent)


def _reader(view: type[V], fact: Callable[[V], Fact]) -> Callable[[ConsumedEvent], Input]:
    """Reads the payload through `view` (a malformed one raises: retried, then dead-lettered)
    into the fact it states about its case, with its place in its source stream (so a dead
    letter re-driven after newer events of that stream does not overwrite what they said)."""
    def read(event: ConsumedEvent) -> Input:
        v = view.model_validate(event.data)
        return Input(case_id=v.case_id, fact=fact(v), source_event_type=event.ce_type,
                     source_event_id=str(event.event_id), occurred_at=event.time,
                     source_stream=f"{event.stream_type}:{event.stream_id}",
                     source_version=event.stream_version)
    return read


# Every reader is a view and the fact it states, so each is built by _reader, not written out.
readers.add("intake.request_submitted", (1, 2), _reader(RequestSubmittedView, lambda v: PersonKnown(
    v.person.person_id if v.person else None, v.legal_basis, v.requesting_district)))
readers.add("judicial.case_opened", (1,), _reader(CaseOpenedView, lambda v: PersonKnown(
    v.person_id, v.legal_basis, v.requesting_district)))
readers.add("judicial.surrender_ordered", (1,), _reader(SurrenderOrderedView, lambda v: (
    SurrenderOrdered(v.kind, v.ordered_on, v.pickup_deadline_on, v.requesting_district,
                     v.return_obligation))))
readers.add("judicial.national_security_transfer_authorized", (1,), _reader(
    TransferAuthorizedView, lambda v: TransferAuthorized(v.authorized_at, v.requesting_district)))
# A suspension granted, or reinstated by an appeal filed in time, holds the person; a denial,
# or the end of a suspension (its denial final), says which suspensions hold them after it.
_SUSPENDS = _reader(AmparoView, lambda v: SuspensionGranted(v.amparo_id, v.pickup_paused))
_ENDS = _reader(AmparoView, lambda v: AmparoDenied(v.amparo_id, v.active_suspensions,
                                                   v.pickup_deadline_on))
for _type, _read in (("judicial.amparo_suspension_granted", _SUSPENDS),
                     ("judicial.amparo_suspension_reinstated", _SUSPENDS),
                     ("judicial.amparo_denied", _ENDS),
                     ("judicial.amparo_suspension_lifted", _ENDS)):
    readers.add(_type, (1,), _read)
readers.add("judicial.amparo_granted", (1,), _reader(
    AmparoView, lambda v: AmparoGranted(v.amparo_id, v.ruled_on)))
readers.add("judicial.amparo_appeal_decided", (1,), _reader(AmparoView, _appeal_decided))
readers.add("judicial.released_from_custody", (1,), _reader(
    ReleasedView, lambda v: Released(v.released_on, v.reason)))
readers.add("judicial.pickup_window_expired", (1,), _reader(
    PickupExpiredView, lambda v: PickupExpired(v.deadline_on)))
readers.add("judicial.pickup_expiry_voided_by_appeal", (1,), _reader(
    ExpiryVoidedView, lambda v: ExpiryVoided(v.deadline_on, v.release_voided, v.appeal_filed_on)))
readers.add("judicial.pickup_expiry_voided_by_earlier_act", (1,), _reader(
    ExpiryVoidedByActView,
    lambda v: ExpiryVoided(v.deadline_on, v.release_voided, v.act_on, "earlier_act")))
readers.add("judicial.provisional_lapse_voided", (1,), _reader(
    LapseVoidedView, lambda v: ReleaseVoided(v.released_on or v.deadline_on)))
readers.add("judicial.pickup_expiry_voided", (1,), _reader(
    ExpiryVoidedByHandoverView,
    lambda v: ExpiryVoided(v.deadline_on, v.release_voided, v.handed_over_on, "handover")))
readers.add("judicial.placed_at_disposal", (1,), _reader(
    PlacedAtDisposalView, lambda v: PlacedAtDisposal(v.placed_on, v.pickup_deadline_on)))
readers.add("judicial.basis_changed", (1,), _reader(BasisChangedView, lambda v: BasisChanged(
    v.to_basis, v.changed_on, v.overtaken_suspensions)))
readers.add("assurance.death_penalty_clearance_granted", (1,), _reader(
    ClearanceView, lambda v: ClearanceGranted(v.basis, v.charge_ids)))
readers.add("assurance.death_penalty_clearance_withdrawn", (1,), _reader(
    ClearanceView, lambda v: ClearanceWithdrawn(v.reason, v.charge_ids)))

JUDICIAL_TYPES = readers.types("judicial")
ASSURANCE_TYPES = readers.types("assurance")
