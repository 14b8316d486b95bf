"""Building blocks for the pure assurance-domain tests: intake inputs, folding, event lookup."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime

from services.assurance import domain
from services.assurance.domain import AssuranceCase, ChargeFacts, IntakeCharges
from services.assurance.events import DiplomaticNote, Scope
from shared.eventstore import NewEvent, RecordedEvent
from tests.support.stored import as_recorded

NOW = datetime(2025, 8, 10, 12, 0, tzinfo=UTC)
TODAY = NOW.date()
POLICY = domain.Policy()
CASE = "RWY-TEST-1"


def charge(charge_id: str, capital: bool = True, statute: str | None = None,
           law: str | None = "18 U.S.C. § 3591") -> ChargeFacts:
    return ChargeFacts(charge_id=charge_id,
                       statute=statute or f"18 U.S.C. § 1114 ({charge_id})",
                       death_penalty_possible=capital,
                       death_penalty_law=law if capital else None)


def submitted(*charges: ChargeFacts, basis: str = "treaty", case_id: str = CASE) -> IntakeCharges:
    return IntakeCharges(case_id=case_id, source="request_submitted", charges=tuple(charges),
                         recorded_at=NOW, intake_event_id=str(uuid.uuid4()), legal_basis=basis)


def amended(*charges: ChargeFacts, case_id: str = CASE,
            reason: str = "superseding indictment") -> IntakeCharges:
    return IntakeCharges(case_id=case_id, source="charges_amended", charges=tuple(charges),
                         recorded_at=NOW, intake_event_id=str(uuid.uuid4()),
                         amendment_reason=reason)


def fold(state: AssuranceCase, events: Sequence[NewEvent]) -> AssuranceCase:
    return domain.preview(state, events)


def recorded(events: Sequence[NewEvent], start_version: int = 1) -> list[RecordedEvent]:
    """The events as the store would hand them back (hashes are not checked by evolve)."""
    return as_recorded(events, stream_id=CASE, stream_type="assurance_case", at=NOW,
                       start_version=start_version)


def opened(*charges: ChargeFacts, basis: str = "treaty") -> AssuranceCase:
    state = domain.initial()
    return fold(state, domain.take_charges(state, submitted(*charges, basis=basis), NOW))


def assurance(assurance_id: str, *charge_ids: str,
              scope: Sequence[Scope] = (Scope.NOT_IMPOSED,),
              issued_on: date = date(2025, 7, 1)) -> domain.ReceivedAssurance:
    return domain.ReceivedAssurance(
        assurance_id=assurance_id, scope=tuple(scope),
        diplomatic_note=DiplomaticNote(reference=f"DN-{assurance_id}",
                                       issuing_authority="US Embassy", issued_on=issued_on),
        charge_ids=charge_ids)


def receive(state: AssuranceCase, received: domain.ReceivedAssurance,
            policy: domain.Policy = POLICY) -> AssuranceCase:
    return fold(state, domain.receive_assurance(state, received, policy, NOW))


def decide(state: AssuranceCase, assurance_id: str, accepted: bool,
           policy: domain.Policy = POLICY) -> tuple[AssuranceCase, list[NewEvent]]:
    events = domain.decide_assurance(state, assurance_id, accepted, date(2025, 7, 15),
                                     "evaluated by SRE", policy, NOW)
    return fold(state, events), events
