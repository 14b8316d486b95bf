"""`runway audit as-of` / `explain` on each axis, and the timeline's two orders, without a store:
which events each question keeps, how the timeline is sorted, what the answers say."""

from __future__ import annotations

import argparse
import json
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any

import pytest

from shared.audit.asof import Axis, Question, Selection, explain_text, timeline
from shared.cli.audit import add_audit_commands, question
from shared.eventstore import Actor, GlobalPosition, RecordedEvent
from shared.legaltime import TimelineOrder

ZONE = "America/Mexico_City"


def event(event_type: str, occurred: datetime, recorded: datetime, version: int = 1,
          stream: str = "RWY-1") -> RecordedEvent:
    return RecordedEvent(
        event_id=uuid.uuid4(), stream_id=stream, stream_type="case", version=version,
        event_type=event_type, schema_version=1, payload_json=json.dumps({"case_id": stream}),
        occurred_at=occurred, recorded_at=recorded, actor=Actor("clerk-1", "clerk"),
        correlation_id="c", causation_id=None, prev_hash="0" * 64, hash="0" * 64,
        position=GlobalPosition.START)


# A transfer entered after the fact: the handoff at 23:30 local time on 20 Jan 2026 (05:30 UTC
# on the 21st), typed in on 25 Jan; a hearing dated and recorded on the 19th.
HEARING = event("judicial.hearing_held", datetime(2026, 1, 19, 6, tzinfo=UTC),
                datetime(2026, 1, 19, 17, tzinfo=UTC))
HANDOFF = event("transport.custody_transferred", datetime(2026, 1, 21, 5, 30, tzinfo=UTC),
                datetime(2026, 1, 25, 16, tzinfo=UTC))


def test_the_recorded_axis_keeps_what_was_recorded_by_the_instant() -> None:
    asked = Question.recorded(datetime(2026, 1, 21, 12, tzinfo=UTC), zone=ZONE)
    assert asked.axis is Axis.RECORDED
    assert [asked.keeps(e) for e in (HEARING, HANDOFF)] == [True, False]


def test_the_legal_axis_keeps_every_event_of_a_legal_date_up_to_the_day_asked() -> None:
    on_the_20th = Question.legal(date(2026, 1, 20), zone=ZONE)
    assert on_the_20th.axis is Axis.LEGAL
    # 05:30 UTC on the 21st is 23:30 on the 20th in Mexico City: the handoff counts on the 20th.
    assert [on_the_20th.keeps(e) for e in (HEARING, HANDOFF)] == [True, True]
    on_the_19th = Question.legal(date(2026, 1, 19), zone=ZONE)
    assert [on_the_19th.keeps(e) for e in (HEARING, HANDOFF)] == [True, False]
    in_utc = Question.legal(date(2026, 1, 20), zone="UTC")
    assert in_utc.keeps(HANDOFF) is False, "in UTC the handoff is on the 21st"


def test_each_answer_names_its_axis_in_a_field_and_a_sentence() -> None:
    recorded = Question.recorded(datetime(2026, 1, 21, 12, tzinfo=UTC), zone=ZONE)
    fields = recorded.fields("RWY-1")
    assert fields["axis"] == "recorded" and "legal_date" not in fields
    assert "What Runway knew of RWY-1 at 2026-01-21T12:00:00" in fields["answer"]
    assert "recorded axis" in fields["answer"]
    legal = Question.legal(date(2026, 1, 20), zone=ZONE).fields("RWY-1")
    assert legal["axis"] == "legal" and legal["legal_date"] == "2026-01-20"
    assert "legal position of RWY-1 on 2026-01-20" in legal["answer"]
    assert "legal axis" in legal["answer"] and legal["legal_timezone"] == ZONE


def test_the_timeline_by_legal_time_puts_acts_in_the_order_they_happened() -> None:
    landed = event("court.intake_opened", datetime(2026, 1, 21, 9, tzinfo=UTC),
                   datetime(2026, 1, 21, 9, 1, tzinfo=UTC))
    streams = {"transport": [HANDOFF], "judicial": [HEARING], "court": [landed]}
    legal = timeline(streams, TimelineOrder.LEGAL, ZONE)
    assert [e["event_type"] for e in legal] == [
        "judicial.hearing_held", "transport.custody_transferred", "court.intake_opened"]
    handoff = legal[1]
    assert handoff["legal_date"] == "2026-01-20", "its day in Mexico City, not UTC's 21st"
    assert handoff["recorded_at"].startswith("2026-01-25T16:00"), "recorded time beside it"
    recorded = timeline(streams, TimelineOrder.RECORDED, ZONE)
    assert [e["event_type"] for e in recorded] == [
        "judicial.hearing_held", "court.intake_opened", "transport.custody_transferred"]


def test_legal_time_ties_go_by_recorded_time_then_by_stream_version() -> None:
    day = datetime(2026, 1, 20, 6, tzinfo=UTC)
    second = event("judicial.hearing_held", day, datetime(2026, 1, 22, tzinfo=UTC), version=2)
    first = event("judicial.formal_request_received", day, datetime(2026, 1, 22, tzinfo=UTC),
                  version=1)
    earlier = event("judicial.case_opened", day, datetime(2026, 1, 21, tzinfo=UTC), version=9,
                    stream="RWY-2")
    order = timeline({"judicial": [second, first, earlier]}, TimelineOrder.LEGAL, ZONE)
    assert [e["event_type"] for e in order] == [
        "judicial.case_opened", "judicial.formal_request_received", "judicial.hearing_held"]


def explained(question: Question, blockers: list[dict[str, Any]]) -> dict[str, Any]:
    return {"case_id": "RWY-1", "at": "2026-01-21T12:00:00.000000Z",
            **question.fields("RWY-1"), "blocked": bool(blockers), "blockers": blockers}


def test_explain_text_says_which_axis_it_answered() -> None:
    blocker = {"service": "judicial", "rule": "surrender_not_ordered", "detail": "not yet",
               "evidence": [], "missing": ["judicial.surrender_ordered"]}
    recorded = explain_text(explained(Question.recorded(zone=ZONE), [blocker]))
    assert recorded.splitlines()[0] == ("RWY-1 at 2026-01-21T12:00:00.000000Z (recorded axis: "
                                        "as Runway knew it then) was held back by:")
    assert "recorded axis" in recorded.splitlines()[-1]
    legal = explain_text(explained(Question.legal(date(2026, 1, 20), zone=ZONE), []))
    assert legal.startswith("RWY-1 on legal date 2026-01-20 (legal axis, as known at ")
    assert "nothing held the case back" in legal


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_audit_commands(parser.add_subparsers(dest="command"))
    return parser.parse_args(["audit", *argv])


def test_the_commands_ask_on_the_axis_their_flags_name() -> None:
    recorded = question(parse("as-of", "RWY-1", "--recorded", "2026-01-21T12:00Z"))
    assert recorded.axis is Axis.RECORDED
    assert recorded.known_at == datetime(2026, 1, 21, 12, tzinfo=UTC)
    assert question(parse("explain", "RWY-1", "--at", "2026-01-21T12:00:00Z")).known_at == (
        recorded.known_at), "--at stays the recorded axis' older spelling"
    legal = question(parse("explain", "RWY-1", "--legal-date", "2026-01-20"))
    assert legal.axis is Axis.LEGAL and legal.on == date(2026, 1, 20)
    assert question(parse("as-of", "RWY-1")).axis is Axis.RECORDED
    assert parse("as-of", "RWY-1").order == "legal"
    assert parse("as-of", "RWY-1", "--order", "recorded").order == "recorded"


@pytest.mark.parametrize("argv", [
    ("as-of", "RWY-1", "--recorded", "2026-01-21T12:00Z", "--legal-date", "2026-01-20"),
    ("as-of", "RWY-1", "--legal-date", "20/01/2026"),
    ("explain", "RWY-1", "--recorded", "yesterday"),
    ("explain", "RWY-1", "--recorded", "9999-12-31T23:59:59-05:00"),
    ("as-of", "RWY-1", "--order", "alphabetical"),
])
def test_a_bad_or_double_axis_is_refused_naming_the_flag(
    argv: tuple[str, ...], capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exited:
        parse(*argv)
    assert exited.value.code == 2
    assert "--" in capsys.readouterr().err


def test_the_export_report_and_the_actors_show_legal_dates_in_the_legal_time_zone(
    legal_timezone: Callable[[str | None], None],
) -> None:
    from shared.audit.actors import Action, actions_text
    from shared.audit.export import report_text

    legal_timezone(None)
    report = report_text("RWY-1", [("transport", HANDOFF), ("judicial", HEARING)])
    happened = report.split("order they happened in law")[1].splitlines()[1:]
    assert happened[0].startswith("  2026-01-19  recorded 2026-01-19T17:00:00  judicial")
    assert happened[1].startswith("  2026-01-20  recorded 2026-01-25T16:00:00  transport")
    action = Action.of("transport", HANDOFF, ZONE)
    assert action.legal_date == "2026-01-20"
    assert "2026-01-25T16:00:00  2026-01-20" in actions_text("RWY-1", [action])
    legal_timezone("UTC")
    assert "  2026-01-21  recorded 2026-01-25T16:00:00  transport" in report_text(
        "RWY-1", [("transport", HANDOFF)])


def test_an_unknown_legal_time_zone_is_a_usage_error_naming_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from shared.cli.audit import target
    from shared.cli.failures import EXIT_USAGE, CommandFailed

    monkeypatch.setenv("LEGAL_TIMEZONE", "Mars/Olympus")
    with pytest.raises(CommandFailed) as refused:
        target(parse("verify"))
    assert refused.value.code == EXIT_USAGE
    assert str(refused.value).startswith("LEGAL_TIMEZONE 'Mars/Olympus' is not a time zone")


def test_on_the_legal_axis_a_stream_is_folded_up_to_its_last_act_of_a_date_asked() -> None:
    # A transfer entered after the fact: the manifest assignment is timed at its entry (25 Jan),
    # the handoff it made possible at its act (the 20th). On the 20th the handoff counts; a
    # service that cannot fold it without its booking gets the assignment too, named apart.
    assigned = event("transport.manifest_assigned", datetime(2026, 1, 25, 15, tzinfo=UTC),
                     datetime(2026, 1, 25, 15, tzinfo=UTC), version=1)
    handoff = event("transport.custody_transferred", HANDOFF.occurred_at,
                    datetime(2026, 1, 25, 16, tzinfo=UTC), version=2)
    later = event("transport.person_landed", datetime(2026, 1, 21, 9, tzinfo=UTC),
                  datetime(2026, 1, 25, 17, tzinfo=UTC), version=3)
    chosen = Selection.of(Question.legal(date(2026, 1, 20), zone=ZONE), [assigned, handoff, later])
    assert chosen.dated == [handoff]
    assert chosen.folded == [assigned, handoff], "never past the last act of a date asked"
    assert chosen.rested_on == [assigned]

    def strict_fold(events: Sequence[RecordedEvent]) -> list[str]:
        if events and events[0].event_type != "transport.manifest_assigned":
            raise AssertionError("a custody transfer needs its booking")
        return [e.event_type for e in events]

    assert chosen.fold(strict_fold) == (["transport.manifest_assigned",
                                         "transport.custody_transferred"], True)
    assert chosen.fold(lambda events: len(events)) == (1, False), "the dated events first"
    nothing = Selection.of(Question.legal(date(2026, 1, 19), zone=ZONE), [assigned, handoff])
    assert nothing.dated == nothing.folded == []
    knew = Selection.of(Question.recorded(datetime(2026, 1, 25, 16, tzinfo=UTC), zone=ZONE),
                        [assigned, handoff])
    assert knew.dated == knew.folded == [assigned, handoff] and knew.rested_on == []


def test_explain_text_names_what_it_folded_beyond_the_date() -> None:
    result = explained(Question.legal(date(2026, 1, 20), zone=ZONE), [])
    result["rested_on"] = [{"service": "transport", "event_type": "transport.manifest_assigned",
                            "version": 1, "legal_date": "2026-01-25"}]
    text = explain_text(result)
    assert "Folded too, though of later legal dates" in text
    assert "[transport] transport.manifest_assigned (v1, legal date 2026-01-25)" in text
