"""Intake's operator status as its live consumer leaves it and as the audit's rebuild makes
it, side by side on the same case's events (a throw-away SQLite file, as
tests/unit/test_dbtypes.py uses): each command's events share one recorded_at, each stream in
its order. Written by review s11, which found the rebuild's tie-break and the amparo's status
wrong; they fail on the code before its fixes."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from services.intake import audit as intake_audit
from services.intake import domain as intake_domain
from services.intake import read_model
from services.intake.events import RequestSubmitted
from services.judicial import commands as cmd
from services.judicial.domain import decide, decide_timer, replay
from services.judicial.state import ClockKind, State, Status
from shared.audit.replay import ReplayInput, consumed_from, recorded_order
from shared.db import Database
from shared.eventstore import Actor, GlobalPosition, NewEvent, RecordedEvent
from shared.jsoncanon import canonical_json
from shared.pii.sealing import Sealed
from tests.support.requests import request
from tests.unit.judicial.support import (
    POLICY,
    amparo,
    at,
    d,
    fire,
    granted_treaty_case,
    opened,
    ruling,
    run,
    sre,
    suspension,
)

CASE = "RWY-J1"  # the judicial support's case id
LATE = at("2026-12-01", 12)
SEALED = Sealed(nonce="bm9uY2Vub25jZTEy", ciphertext="Y2lwaGVydGV4dGFuZHRhZ3RhZw")
ACTOR = Actor("tester", "test")


# --- a case's events, stored, as intake's live consumer and its audit rebuild see them -------

class History:
    """Every service's events of one case as stored: each command's events share one
    recorded_at (the store stamps a command once), numbered in stream order."""

    def __init__(self) -> None:
        self.events: list[tuple[str, RecordedEvent]] = []
        self._versions: dict[str, int] = {}
        self._clock = datetime(2026, 1, 1, 12, tzinfo=UTC)
        # Event ids that sort (as text) against the stream order inside one command, as
        # uuid4 ids do half of the time: the rebuild's tie-break is str(event_id).
        self._ids = iter(range(10**9, 0, -1))

    def command(self, service: str, stream_id: str, events: Sequence[NewEvent],
                recorded_at: datetime | None = None) -> datetime:
        self._clock = recorded_at or self._clock + timedelta(hours=1)
        version = self._versions.get(stream_id, 0)
        for new in events:
            version += 1
            self.events.append((service, RecordedEvent(
                event_id=uuid.UUID(int=next(self._ids)), stream_id=stream_id,
                stream_type=f"{service}_case", version=version, event_type=new.event_type,
                schema_version=new.schema_version, payload_json=canonical_json(new.payload),
                occurred_at=new.occurred_at or self._clock, recorded_at=self._clock,
                actor=ACTOR, correlation_id="c", causation_id=None, prev_hash="0" * 64,
                hash="0" * 64, position=GlobalPosition(0, version))))
        self._versions[stream_id] = version
        return self._clock


def submission(case_id: str = CASE) -> NewEvent:
    clear = intake_domain.ClearRequest.model_validate({"case_id": case_id, **request()})
    [event] = intake_domain.submitted(clear, "PER-1", SEALED)
    return event


async def _case_rows(database: Database) -> dict[str, dict[str, Any]]:
    async with database.connect() as conn:
        rows = await conn.execute(sa.select(read_model.cases))
        return {r.case_id: dict(r._mapping) for r in rows}


async def _live_and_rebuilt(history: History, folder: Path
                            ) -> tuple[dict[str, Any], dict[str, Any]]:
    """The case row as the live consumer leaves it (each service's events in their stream's
    order, as Kafka delivers them) and as `runway audit`'s rebuild makes it (every event by
    (recorded_at, str(event_id)), as shared/audit/replay.py sorts `everything`)."""
    live = Database(f"sqlite+aiosqlite:///{folder / 'live.db'}")
    rebuilt = Database(f"sqlite+aiosqlite:///{folder / 'rebuilt.db'}")
    try:
        for database in (live, rebuilt):
            async with database.transaction() as conn:
                await conn.run_sync(read_model.metadata.create_all)
        for service, event in history.events:
            async with live.transaction() as conn:
                if service == "intake" and event.event_type == "intake.request_submitted":
                    await read_model.record_submission(
                        conn, RequestSubmitted.model_validate_json(event.payload_json),
                        event.recorded_at)
                await read_model.apply_to_timeline(conn, consumed_from(service, event))
        everything = sorted(history.events, key=recorded_order)
        streams: dict[str, list[RecordedEvent]] = {}
        for service, event in history.events:
            if service == "intake":
                streams.setdefault(event.stream_id, []).append(event)
        async with rebuilt.transaction() as conn:
            await intake_audit.rebuild(conn, ReplayInput("intake", streams, everything))
        return (await _case_rows(live))[CASE], (await _case_rows(rebuilt))[CASE]
    finally:
        await live.dispose()
        await rebuilt.dispose()


def live_and_rebuilt(history: History, folder: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    return asyncio.run(_live_and_rebuilt(history, folder))


class JudicialCase:
    """A judicial case driven by its clerk's commands and timers, each recorded in History."""

    def __init__(self, history: History, state: State | None = None) -> None:
        self.history = history
        self.state = state if state is not None else opened()

    def record(self, events: Sequence[NewEvent]) -> list[NewEvent]:
        self.history.command("judicial", CASE, events)
        self.state = replay(self.state, list(events))
        return list(events)

    def run(self, *commands: cmd.ClerkCommand) -> None:
        for command in commands:
            self.record(decide(self.state, command, LATE, POLICY))

    def fire(self, kind: ClockKind, now: datetime) -> list[NewEvent]:
        return self.record(list(decide_timer(self.state, kind, now).events))


def judicial_opened_history() -> tuple[History, JudicialCase]:
    """intake's submission, then judicial's opening and the path to the SRE's grant, each
    step a command of its own (the support's states are replayed from their events)."""
    history = History()
    history.command("intake", CASE, [submission()])
    case = JudicialCase(history, State())
    from services.judicial.domain import open_case
    from services.judicial.events import CaseOpened, LegalBasis
    case.record(open_case(State(), CaseOpened(
        case_id=CASE, opened_at=at("2025-12-01"), legal_basis=LegalBasis.TREATY,
        requesting_district="EDNY", charge_ids=("c1", "c2"), intake_event_id="e-1")))
    return history, case


def granted(case: JudicialCase) -> None:
    from tests.unit.judicial.support import formal, hearing, opinion, sre
    case.run(formal(), hearing(), opinion(), sre())


def test_a_suspension_lifted_while_another_suit_awaits_its_ruling_shows_amparo_pending(
) -> None:
    """Review s11: the lift (and an appeal decided) did not say which suits still await
    their ruling, so intake read "nothing holds the person" while suit A-2 did (judicial's
    own status: amparo_pending)."""
    case = run(granted_treaty_case(), amparo("A-1", "2026-02-10"), amparo("A-2", "2026-02-12"),
               suspension("A-1", "2026-02-11"))
    case = fire(case, ClockKind.AMPARO_WINDOW, at("2026-03-24"))
    case = run(case, ruling("denied", "A-1", "2026-04-01"), now=LATE)
    [lifted] = decide_timer(case, ClockKind.AMPARO_APPEAL_PERIOD, LATE).events
    assert replay(case, [lifted]).status is Status.AMPARO_PENDING  # judicial: A-2 pending
    assert read_model.moves(lifted.event_type, lifted.payload) \
        == {"amparo_status": "amparo_pending"}


def test_an_appeal_decided_while_another_suit_awaits_its_ruling_shows_amparo_pending() -> None:
    case = run(granted_treaty_case(), amparo("A-1", "2026-02-10"), amparo("A-2", "2026-02-12"))
    case = fire(case, ClockKind.AMPARO_WINDOW, at("2026-03-24"))
    case = run(case, ruling("denied", "A-1", "2026-04-01"),
               cmd.FileAmparoAppeal.model_validate(
                   {"amparo_id": "A-1", "filed_on": "2026-04-03", "appellant": "complainant"}),
               now=LATE)
    [decided] = decide(case, cmd.DecideAmparoAppeal.model_validate(
        {"amparo_id": "A-1", "decided_on": "2026-06-01", "outcome": "denied"}), LATE, POLICY)
    assert replay(case, [decided]).status is Status.AMPARO_PENDING
    assert read_model.moves(decided.event_type, decided.payload) \
        == {"amparo_status": "amparo_pending"}


def test_an_appeal_denied_for_good_shows_the_same_status_live_and_rebuilt(
        tmp_path: Path) -> None:
    """decide_amparo_appeal (denied, the suit suspended) records amparo_appeal_decided
    (active_suspensions [A-1] -> amparo_suspension) and amparo_suspension_lifted (nothing
    holds -> the stage before) in one command: one recorded_at. Live, Kafka delivers them in
    stream order and the lift wins (`..._at <= recorded_at`). Review s11: the rebuild sorted
    `everything` by (recorded_at, event id), random uuids, so half of the time the appeal
    decision won and `runway audit` reported differences; the ids here sort against the
    stream order."""
    history, case = judicial_opened_history()
    granted(case)
    case.run(amparo("A-1", "2026-02-10"), suspension("A-1", "2026-02-11"))
    case.fire(ClockKind.AMPARO_WINDOW, at("2026-03-24"))
    case.run(ruling("denied", "A-1", "2026-04-01"), cmd.FileAmparoAppeal.model_validate(
        {"amparo_id": "A-1", "filed_on": "2026-04-03", "appellant": "complainant"}))
    case.run(cmd.DecideAmparoAppeal.model_validate(
        {"amparo_id": "A-1", "decided_on": "2026-06-01", "outcome": "denied"}))
    assert case.state.status is Status.EXTRADITION_GRANTED
    live, rebuilt = live_and_rebuilt(history, tmp_path)
    assert (live["status"], live["amparo_status"]) == ("extradition_granted", None)
    assert rebuilt == live


def test_a_basis_change_that_records_a_lapse_first_shows_the_same_status_live_and_rebuilt(
        tmp_path: Path) -> None:
    """change_basis dated on/after an unrecorded provisional deadline records
    provisional_detention_lapsed + released_from_custody (-> released) and basis_changed
    (-> basis_changed) in one command. Live: basis_changed (judicial's status too);
    rebuilt: whichever uuid sorts last."""
    history, case = judicial_opened_history()
    case.run(cmd.OrderProvisionalDetention(ordered_on=d("2026-01-02")))
    assert case.state.provisional is not None
    due = case.state.provisional.due_on
    case.run(cmd.ChangeBasis(changed_on=due + timedelta(days=1), to_basis="national_security",
                             reason="overtaken", authority="SSPC"))
    assert case.state.status is Status.BASIS_CHANGED
    live, rebuilt = live_and_rebuilt(history, tmp_path)
    assert live["status"] == "basis_changed"
    assert rebuilt == live


@pytest.mark.parametrize("manifest_first", [True, False])
def test_a_denied_execution_amparo_leaves_the_case_on_its_manifest(
        manifest_first: bool, tmp_path: Path) -> None:
    """Surrender ordered; an amparo against the order's execution is filed and denied with
    no suspension ever granted, so transport never took the person off the flight's
    manifest (transport holds only on a suspension). `stage_before` looks at judicial
    stages only, so the denial shows surrender_ordered: with the manifest assigned before
    the filing the case does not return to where it stood (on_manifest); assigned while the
    suit was pending, the denial even moves the case BACK from on_manifest to
    surrender_ordered. Either way it drops out of the on_manifest list while the person is
    on the manifest. (Review s11: the amparo was a stage, and its end went back to the
    judicial stage before it.)"""
    history, case = judicial_opened_history()
    granted(case)
    case.fire(ClockKind.AMPARO_WINDOW, at("2026-03-24"))
    case.run(cmd.OrderSurrender.model_validate({"ordered_on": "2026-04-10", "kind": "full"}))
    manifest = [NewEvent("transport.manifest_assigned",
                         {"case_id": CASE, "flight_id": "FLIGHT-1"})]
    if manifest_first:
        history.command("transport", "FLIGHT-1", manifest)
    case.run(amparo("A-9", "2026-04-12"))
    if not manifest_first:
        history.command("transport", "FLIGHT-1", manifest)
    case.run(ruling("denied", "A-9", "2026-05-01"))
    assert not case.state.active_suspensions and not case.state.pending_amparos
    live, rebuilt = live_and_rebuilt(history, tmp_path)
    assert read_model.shown_status(live["status"], live["amparo_status"]) == "on_manifest"
    assert rebuilt == live


# --- review s11b -------------------------------------------------------------------------

def shown(row: dict[str, Any]) -> str:
    return read_model.shown_status(row["status"], row["amparo_status"])


def appeal(amparo_id: str, on: str, appellant: str = "complainant") -> cmd.FileAmparoAppeal:
    return cmd.FileAmparoAppeal.model_validate(
        {"amparo_id": amparo_id, "filed_on": on, "appellant": appellant})


def appeal_decided(amparo_id: str, on: str, outcome: str) -> cmd.DecideAmparoAppeal:
    return cmd.DecideAmparoAppeal.model_validate(
        {"amparo_id": amparo_id, "decided_on": on, "outcome": outcome})


def manifest(history: History) -> None:
    history.command("transport", "FLIGHT-1", [NewEvent(
        "transport.manifest_assigned", {"case_id": CASE, "flight_id": "FLIGHT-1"})])


# =============================================================================================
# 1. `amparo_granted` is a stage only a first-instance grant sets; appeal decisions never move it
# =============================================================================================

def test_a_grant_reversed_on_appeal_no_longer_shows_amparo_granted(tmp_path: Path) -> None:
    """A-1 granted at first instance (stage amparo_granted), the authority appeals, the appeal
    reverses the grant: the SRE's grant stands again (judicial: extradition_granted, and a
    surrender may now be ordered), but amparo_appeal_decided moves only amparo_status, so the
    case keeps showing amparo_granted until some later stage event. (Review s11b: the grant was
    a stage that appeal decisions never moved.)"""
    history, case = judicial_opened_history()
    granted(case)
    case.run(amparo("A-1", "2026-02-10"), ruling("granted", "A-1", "2026-03-01"),
             appeal("A-1", "2026-03-03", "authority"),
             appeal_decided("A-1", "2026-05-01", "denied"))
    assert case.state.status is Status.EXTRADITION_GRANTED and not case.state.granted_amparos
    live, rebuilt = live_and_rebuilt(history, tmp_path)
    assert rebuilt == live
    assert shown(live) == "extradition_granted"


def test_an_amparo_granted_on_appeal_shows_amparo_granted(tmp_path: Path) -> None:
    """The mirror image: denied at first instance, granted on appeal (final at once: the SRE
    must decide again). A first-instance grant shows amparo_granted; this one shows
    extradition_granted, as if the SRE's annulled grant stood. (41854f3 showed amparo_granted.)"""
    history, case = judicial_opened_history()
    granted(case)
    case.run(amparo("A-1", "2026-02-10"), ruling("denied", "A-1", "2026-03-01"),
             appeal("A-1", "2026-03-03"), appeal_decided("A-1", "2026-05-01", "granted"))
    assert case.state.granted_amparos == ("A-1",)
    live, rebuilt = live_and_rebuilt(history, tmp_path)
    assert rebuilt == live
    assert shown(live) == "amparo_granted"


# =============================================================================================
# 2. The SRE deciding again after a final grant leaves the old suits' amparo status shown
# =============================================================================================

@pytest.mark.parametrize("other_suit_suspended", [False, True])
def test_the_sre_deciding_again_leaves_no_amparo_status_behind(
        other_suit_suspended: bool, tmp_path: Path) -> None:
    """A-1 granted (final), A-2 still unruled. The SRE decides again: _reopened moves every
    suit of the annulled decision to earlier_amparos, so judicial shows extradition_granted.
    Intake: without a suspension nothing speaks to amparo_status, and the filing's
    amparo_pending stays; with A-2 suspended, the sre_decided_again lift carries
    pending_amparos of the state BEFORE the reopening (A-2), so it writes amparo_pending.
    Either way the case shows amparo_pending, and keeps showing it over surrender_ordered and
    on_manifest until the person is handed over."""
    history, case = judicial_opened_history()
    granted(case)
    case.run(amparo("A-1", "2026-02-10"), amparo("A-2", "2026-02-12"))
    if other_suit_suspended:
        case.run(suspension("A-2", "2026-02-13"))
    case.run(ruling("granted", "A-1", "2026-03-01"))
    case.fire(ClockKind.AMPARO_WINDOW, at("2026-03-24"))
    case.run(sre("granted", "2026-04-20", "2026-04-21"))
    assert case.state.status is Status.EXTRADITION_GRANTED
    assert not case.state.pending_amparos and not case.state.active_suspensions
    live, rebuilt = live_and_rebuilt(history, tmp_path)
    assert rebuilt == live
    assert shown(live) == "extradition_granted"


# =============================================================================================
# 3. BEYOND_AN_AMPARO: a national-security transfer's flight shows the overtaken suit
# =============================================================================================

def test_a_transfer_after_a_basis_change_shows_on_manifest(tmp_path: Path) -> None:
    """A-1 suspended, then the case goes to national security (the suspension is overtaken:
    transport drops it), the transfer is authorised and transport puts the person on a
    flight. on_manifest is not in BEYOND_AN_AMPARO and nothing cleared amparo_status, so the
    case shows amparo_suspension while the person is on a manifest (judicial:
    transfer_authorized)."""
    history, case = judicial_opened_history()
    granted(case)
    case.run(amparo("A-1", "2026-02-10"), suspension("A-1", "2026-02-11"))
    case.run(cmd.ChangeBasis(changed_on=d("2026-02-27"), to_basis="national_security",
                             reason="overtaken", authority="SSPC"))
    case.run(cmd.AuthorizeNationalSecurityTransfer.model_validate(
        {"authorized_at": "2026-03-01T12:00:00Z", "us_request_reference": "X",
         "authority": "SSPC"}))
    manifest(history)
    assert case.state.status is Status.TRANSFER_AUTHORIZED
    live, rebuilt = live_and_rebuilt(history, tmp_path)
    assert rebuilt == live
    assert shown(live) == "on_manifest"


def _strip(events: list[NewEvent], *fields: str) -> list[NewEvent]:
    return [NewEvent(e.event_type, {k: v for k, v in e.payload.items() if k not in fields},
                     schema_version=e.schema_version, occurred_at=e.occurred_at)
            for e in events]


def test_a_grant_recorded_before_rulings_named_what_holds_the_case_shows_amparo_granted(
        tmp_path: Path) -> None:
    """Review s11b: filings and grants recorded before the rulings named the suits holding
    the person; the grant must still show."""
    history, case = judicial_opened_history()
    granted(case)
    for command in (amparo("A-1", "2026-02-10"), ruling("granted", "A-1", "2026-03-01")):
        events = decide(case.state, command, LATE, POLICY)
        case.record(_strip(events, "active_suspensions", "pending_amparos"))
    live, rebuilt = live_and_rebuilt(history, tmp_path)
    assert rebuilt == live
    assert shown(live) == "amparo_granted"


# --- review s11c -------------------------------------------------------------------------

def _two_suits_one_granted(path: str) -> tuple[History, JudicialCase]:
    history, case = judicial_opened_history()
    granted(case)
    if path == "other_denied_after_the_grant":
        # pending; A-1 granted (shows amparo_granted), then A-2 denied.
        case.run(amparo("A-1", "2026-02-10"), amparo("A-2", "2026-02-12"),
                 ruling("granted", "A-1", "2026-03-01"), ruling("denied", "A-2", "2026-03-05"))
    elif path == "other_filed_after_the_grant":
        # A-1 granted; A-2 filed in the window afterwards (amparo_pending), then denied.
        case.run(amparo("A-1", "2026-02-10"), ruling("granted", "A-1", "2026-03-01"),
                 amparo("A-2", "2026-03-02"), ruling("denied", "A-2", "2026-03-05"))
    elif path == "other_suspension_ends_after_the_grant":
        # A-2 suspended; A-1 granted; A-2 denied (its suspension holds until final); the
        # appeal period passes unappealed: the scheduler's lift.
        case.run(amparo("A-1", "2026-02-10"), amparo("A-2", "2026-02-12"),
                 suspension("A-2", "2026-02-13"), ruling("granted", "A-1", "2026-03-01"),
                 ruling("denied", "A-2", "2026-03-05"))
        case.fire(ClockKind.AMPARO_APPEAL_PERIOD, LATE)
    elif path == "other_grant_reversed_on_appeal":
        # both granted; the authority's appeal reverses A-2 only.
        case.run(amparo("A-1", "2026-02-10"), amparo("A-2", "2026-02-12"),
                 ruling("granted", "A-1", "2026-03-01"), ruling("granted", "A-2", "2026-03-02"),
                 appeal("A-2", "2026-03-04", "authority"),
                 appeal_decided("A-2", "2026-05-01", "denied"))
    return history, case


@pytest.mark.parametrize("path", [
    "other_denied_after_the_grant", "other_filed_after_the_grant",
    "other_suspension_ends_after_the_grant", "other_grant_reversed_on_appeal"])
def test_a_standing_grant_still_shows_after_another_suit_ends(path: str,
                                                              tmp_path: Path) -> None:
    """README: a grant shows (`amparo_granted`) "until the SRE decides again or an appeal
    reverses it". Here A-1's grant stands (judicial: granted_amparos == ('A-1',), surrender
    refused with amparo_granted, the SRE may decide again once it is final). Review s11c:
    the ending of the OTHER suit did not say the grant stood, so intake read "nothing holds"
    and showed extradition_granted; in the other order the same facts showed the grant."""
    history, case = _two_suits_one_granted(path)
    assert case.state.granted_amparos == ("A-1",)
    assert not case.state.pending_amparos and not case.state.active_suspensions
    live, rebuilt = live_and_rebuilt(history, tmp_path)
    assert rebuilt == live
    assert shown(live) == "amparo_granted"


def test_the_same_two_rulings_in_the_other_order_show_amparo_granted(tmp_path: Path) -> None:
    """The same facts, the grant ruled last."""
    history, case = judicial_opened_history()
    granted(case)
    case.run(amparo("A-1", "2026-02-10"), amparo("A-2", "2026-02-12"),
             ruling("denied", "A-2", "2026-02-28"), ruling("granted", "A-1", "2026-03-01"))
    live, rebuilt = live_and_rebuilt(history, tmp_path)
    assert rebuilt == live
    assert shown(live) == "amparo_granted"



def test_a_reversed_execution_grant_does_not_show_the_flight_the_person_was_taken_off(
        tmp_path: Path) -> None:
    """Surrender ordered, the person put on a flight (on_manifest). An amparo against the
    order's execution is filed (no suspension: the person stays on the manifest) and granted:
    transport's AmparoGranted fact annuls the order and takes the person off with reason
    `surrender_not_ordered` (checked against services/transport/domain.note_input: the first
    failing rule of ELIGIBILITY). intake's REMOVED_BY_JUDICIAL_ACT holds that reason, so the
    stage stays `on_manifest` under the amparo_granted overlay. The authority's appeal reverses
    the grant: the overlay goes (amparo_status None) and the case shows on_manifest, though
    nobody re-booked the person (transport: eligible, on no flight; judicial:
    surrender_ordered). Review s11c: the removal moved nothing, so the flight showed again."""
    history, case = judicial_opened_history()
    granted(case)
    case.fire(ClockKind.AMPARO_WINDOW, at("2026-03-24"))
    case.run(cmd.OrderSurrender.model_validate({"ordered_on": "2026-04-10", "kind": "full"}))
    manifest(history)
    case.run(amparo("A-9", "2026-04-12"), ruling("granted", "A-9", "2026-04-20"))
    history.command("transport", f"T-{CASE}", [NewEvent("transport.removed_from_manifest", {
        "case_id": CASE, "flight_id": "FLIGHT-1", "reason": "surrender_not_ordered",
        "detail": "surrender_not_ordered: amparo A-9 granted: the surrender order is annulled "
                  "unless the grant is reversed on appeal",
        "removed_at": "2026-04-20T18:00:00Z", "rules": ["surrender_not_ordered"],
        "in_us_custody": False})])
    case.run(appeal("A-9", "2026-04-22", "authority"),
             appeal_decided("A-9", "2026-05-10", "denied"))
    assert case.state.status is Status.SURRENDER_ORDERED and not case.state.granted_amparos
    live, rebuilt = live_and_rebuilt(history, tmp_path)
    assert rebuilt == live
    assert shown(live) != "on_manifest"
