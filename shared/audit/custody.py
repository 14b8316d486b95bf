"""A cross-service invariant `runway audit verify` checks: nobody is released from Mexican
custody after being handed over to the US (issue 14).

Judicial learns of the handover from transport's custody transfer and refuses any release
after it; this check proves it from the logs alone, whatever the order the events were
recorded in: a judicial `released_from_custody` whose legal date is on or after the legal date
of the case's custody transfer is a false record (the person was already in US custody),
unless judicial's own record voids it: an expiry (or a provisional lapse) that a late-arriving
handover, an appeal filed in time or another act dated before it showed void takes the release
recorded with it (`release_voided`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from shared.eventstore import RecordedEvent
from shared.legaltime import legal_date

HANDOVER = "transport.custody_transferred"
RELEASE = "judicial.released_from_custody"
# Judicial's voids of an expiry, and the payload field holding the day of the release voided.
VOIDS = {"judicial.pickup_expiry_voided": "deadline_on",
         "judicial.pickup_expiry_voided_by_appeal": "released_on",
         "judicial.pickup_expiry_voided_by_earlier_act": "released_on",
         "judicial.provisional_lapse_voided": "released_on"}


@dataclass(frozen=True)
class ReleasedInUsCustody:
    release: RecordedEvent
    released_on: date
    handed_over_on: date
    handover: RecordedEvent

    @property
    def problem(self) -> str:
        return (f"released from custody on {self.released_on} though handed over to the US "
                f"on {self.handed_over_on} ({HANDOVER} {self.handover.event_id}): a release "
                "of a person in US custody")


@dataclass
class CustodyCheck:
    zone: str
    handovers: dict[str, RecordedEvent] = field(default_factory=dict)
    releases: list[RecordedEvent] = field(default_factory=list)
    voided: set[tuple[str, str]] = field(default_factory=set)  # (case id, release day, ISO)

    def see(self, stream: list[RecordedEvent]) -> None:
        for event in stream:
            case_id = event.payload.get("case_id")
            if event.event_type == HANDOVER and isinstance(case_id, str):
                earliest = self.handovers.get(case_id)
                if earliest is None or event.occurred_at < earliest.occurred_at:
                    self.handovers[case_id] = event
            elif event.event_type == RELEASE:
                self.releases.append(event)
            elif event.event_type in VOIDS and event.payload.get("release_voided"):
                day = event.payload.get(VOIDS[event.event_type])
                self.voided.add((str(case_id), str(day)))

    def violations(self) -> list[ReleasedInUsCustody]:
        found: list[ReleasedInUsCustody] = []
        for release in self.releases:
            handover = self.handovers.get(str(release.payload.get("case_id")))
            if handover is None:
                continue
            released_on = legal_date(release.occurred_at, self.zone)
            if (str(release.payload.get("case_id")), released_on.isoformat()) in self.voided:
                continue  # judicial's record says this release did not hold
            handed_over_on = legal_date(handover.occurred_at, self.zone)
            if released_on >= handed_over_on:
                found.append(ReleasedInUsCustody(release, released_on, handed_over_on,
                                                 handover))
        return found
