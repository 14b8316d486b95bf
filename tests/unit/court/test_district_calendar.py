"""The court reads an instant on its own district's calendar (district_calendar.py): a clerk in
Los Angeles or Brooklyn dates the court's acts by the day where the court sits, not by the day
in Mexico City; Mexico's diplomatic notes keep the legal calendar."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.court import arrival, domain
from services.court.district_calendar import DISTRICT_ZONES, court_date
from services.court.domain import CourtCase, ExceptionFacts
from services.court.events import SpecialtyException
from services.intake.districts import US_DISTRICTS
from services.transport.routing import DEFAULT_DISTRICT_AIRPORTS
from shared.errors import RuleViolation
from shared.legaltime import legal_date

from .helpers import (
    LANDED,
    NOW,
    POLICY,
    landing,
    request,
    request_consent,
    step,
    surrender_order,
    text,
)

LOS_ANGELES = ZoneInfo("America/Los_Angeles")
NEW_YORK = ZoneInfo("America/New_York")


def landed_in(district: str, *charge_ids: str, granted: tuple[str, ...] = ()) -> CourtCase:
    """A treaty case charged in `district`, Mexico granting `granted` (all by default)."""
    state = domain.initial()
    state = step(state, arrival.note_request(state, request(*charge_ids, district=district),
                                             NOW))
    order = replace(surrender_order(*(granted or charge_ids)), requesting_district=district)
    state = step(state, arrival.note_terms(state, order, NOW))
    return step(state, arrival.open_intake(state, landing(district)))


def appeared_at(state: CourtCase, held_at: datetime) -> CourtCase:
    return step(state, domain.hold_initial_appearance(state, held_at, "Judge Oliver",
                                                      held_at, POLICY))


def refused(call: object) -> str | None:
    assert callable(call)
    try:
        call()
    except RuleViolation as refusal:
        return refusal.rule
    return None


def test_a_late_evening_appearance_in_los_angeles_is_that_days_act_for_the_court() -> None:
    """Held at 23:15 in Los Angeles on 12 Aug (00:15 on the 13th in Mexico City): the detention
    hearing the clerk dates the same evening is not "before the initial appearance"."""
    held_at = datetime(2025, 8, 12, 23, 15, tzinfo=LOS_ANGELES)
    assert legal_date(held_at) == date(2025, 8, 13)  # the legal calendar's day
    state = appeared_at(landed_in("CDCA", "c1"), held_at)
    later = held_at + timedelta(minutes=30)
    events = domain.decide_detention(state, "detained", date(2025, 8, 12), "risk of flight",
                                     later)
    assert events[0].payload["ordered_on"] == "2025-08-12"
    # and a day the court had not reached is still refused
    assert refused(lambda: domain.decide_detention(
        state, "detained", date(2025, 8, 11), "risk of flight", later)) == "date_out_of_order"


def test_just_after_midnight_in_brooklyn_today_is_the_new_day() -> None:
    """At 00:30 in New York on 13 Aug it is still the 12th in Mexico City: a Brooklyn clerk
    dating the detention order the 13th is dating today, not the future."""
    state = appeared_at(landed_in("EDNY", "c1"), LANDED + timedelta(hours=3))
    now = datetime(2025, 8, 13, 0, 30, tzinfo=NEW_YORK)
    assert legal_date(now) == date(2025, 8, 12)
    events = domain.decide_detention(state, "detained", date(2025, 8, 13), None, now)
    assert events[0].payload["ordered_on"] == "2025-08-13"
    assert refused(lambda: domain.decide_detention(
        state, "detained", date(2025, 8, 14), None, now)) == "date_in_future"


def test_mexicos_consent_keeps_mexicos_calendar() -> None:
    """Mexico's diplomatic note is Mexico's act: at 00:30 in New York (22:30 the evening before
    in Mexico City) a note dated the New York day is in the future."""
    state = landed_in("EDNY", "c1", "c2", granted=("c1",))
    state = appeared_at(state, LANDED + timedelta(hours=3))
    state = step(state, request_consent(state, "c2"))
    now = datetime(2025, 8, 16, 0, 30, tzinfo=NEW_YORK)
    assert refused(lambda: domain.decide_consent(
        state, True, ["c2"], date(2025, 8, 16), "SRE note 2025-90", now)) == "date_in_future"
    accepted = domain.decide_consent(state, True, ["c2"], date(2025, 8, 15), "SRE note 2025-90",
                                     now)
    assert accepted[0].payload["decided_on"] == "2025-08-15"


def test_the_landing_day_of_a_later_offence_is_the_courts() -> None:
    """Landed at 23:30 in Los Angeles on 12 Aug (the 13th in Mexico City): an offence committed
    on the 13th was committed after the extradition, and the finding records the 12th."""
    landed_at = datetime(2025, 8, 12, 23, 30, tzinfo=LOS_ANGELES)
    state = domain.initial()
    state = step(state, arrival.note_request(state, request("c1", district="CDCA"), NOW))
    order = replace(surrender_order("c1"), requesting_district="CDCA")
    state = step(state, arrival.note_terms(state, order, NOW))
    state = step(state, arrival.open_intake(state, landing("CDCA", at=landed_at)))
    state = appeared_at(state, landed_at + timedelta(hours=2))
    clock = datetime(2025, 11, 1, 12, 0, tzinfo=UTC)
    state = step(state, domain.file_superseding_indictment(
        state, date(2025, 10, 1), [text("c7")], clock))
    events = domain.record_specialty_exception(
        state, SpecialtyException.OFFENCE_AFTER_EXTRADITION,
        ExceptionFacts(committed_on=date(2025, 8, 13), charge_ids=("c7",)),
        date(2025, 10, 20), "Order 2025-7", clock)
    assert events[0].payload["landed_on"] == "2025-08-12"


def test_a_district_outside_the_table_reads_the_legal_calendar() -> None:
    instant = datetime(2025, 8, 13, 5, 30, tzinfo=UTC)  # 23:30 on the 12th in Mexico City
    assert court_date(instant, "ZZZZ") == legal_date(instant) == date(2025, 8, 12)
    assert court_date(instant, "EDNY") == date(2025, 8, 13)
    assert court_date(instant, "cdca") == date(2025, 8, 12)  # 22:30 in Los Angeles


@pytest.mark.parametrize("district", sorted(DEFAULT_DISTRICT_AIRPORTS))
def test_every_district_transport_flies_to_has_a_court_calendar(district: str) -> None:
    """A person flown to a district is tried there: its court's calendar is known."""
    assert district in DISTRICT_ZONES


def test_the_table_names_the_94_districts_once_each_in_real_zones() -> None:
    """Exactly the districts intake accepts (the Northern Mariana Islands are DMP)."""
    assert set(DISTRICT_ZONES) == US_DISTRICTS
    assert court_date(datetime(2025, 8, 12, 16, 0, tzinfo=UTC), "DMP") == date(2025, 8, 13)
    for zone in set(DISTRICT_ZONES.values()):
        ZoneInfo(zone)
