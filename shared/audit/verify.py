"""`runway audit verify`: prove the stores and the logs are whole and agree.

For every stream of every service's store: versions run 1..n without gaps and the hash chain
holds. For every stored event: it is on the service's topic with the same content (payload
bytes, key, and every CloudEvents header the relay writes: id, source, type, subject, time,
actor, correlation, causation, stream, version, recorded time and hashes); a second copy
with the same content is reported as a redelivery (the relay publishes at least once;
consumers de-duplicate), a copy that differs is tampering. A message on a topic that no
store holds is reported too.

Custody (an error): nobody is released from Mexican custody on or after the legal date of
their handover to the US (shared/audit/custody.py).

Legal time (a warning, never a failure): every event's occurred_at should fall on the legal
date its legal time stands for (shared/audit/legal_times.py: the document's date, or its
cause's in another store); one that does not was probably stamped with the time it was
entered rather than the act's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from shared.eventstore import RecordedEvent, verify_stream
from shared.legaltime import legal_zone_name
from shared.messaging.cloudevents import to_kafka

from .custody import CustodyCheck
from .legal_times import Mismatch, PendingCause, check_causes, check_stream
from .sources import (
    AuditTarget,
    Message,
    occurrences,
    publication_state,
    stored_streams,
    topic_messages,
)

ERROR, WARNING, NOTE = "error", "warning", "note"


@dataclass(frozen=True)
class Finding:
    severity: str
    service: str
    stream_id: str
    version: int | None
    event_id: str
    problem: str

    def __str__(self) -> str:
        version = "-" if self.version is None else str(self.version)
        return (f"{self.severity.upper():<5} {self.service} stream {self.stream_id} version "
                f"{version} event {self.event_id}: {self.problem}")


@dataclass
class VerifyReport:
    events: int = 0
    streams: int = 0
    messages: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == WARNING]

    @property
    def ok(self) -> bool:
        return not self.errors


def compare(event: RecordedEvent, message: Message, service: str) -> list[str]:
    """How a published message differs from the stored event (empty: identical): every
    CloudEvents header the relay writes, the key and the payload bytes."""
    key = (message.key or b"").decode("utf-8", "replace")
    expected = to_kafka(event, topic=message.topic, key=key, source=f"/runway/{service}")
    published = {k: v for k, v in message.headers}
    wanted = dict(expected.headers)
    differences = [
        f"{name} is {published.get(name, b'').decode('utf-8', 'replace')!r} on Kafka, "
        f"{value.decode()!r} in the store"
        for name, value in wanted.items() if published.get(name) != value]
    differences += [f"{name} is on Kafka but Runway never writes it"
                    for name in published.keys() - wanted.keys() if name.startswith("ce_")]
    if key != event.stream_id and event.payload.get("case_id") != key:
        differences.append(f"key {key!r} names neither the stream nor the case")
    if message.value != expected.value:
        differences.append("payload differs between Kafka and the store")
    return differences


@dataclass
class _LegalTimes:
    """The legal-time check's state across services: a derived event's cause may be in any
    store, so causes are looked up once every store has been read."""

    zone: str
    pending: list[tuple[str, PendingCause]] = field(default_factory=list)

    def check(self, report: VerifyReport, service: str, stream: list[RecordedEvent]) -> None:
        found, pending = check_stream(stream, self.zone)
        report.findings += [_warning(service, m) for m in found]
        self.pending += [(service, p) for p in pending]

    async def check_causes(self, report: VerifyReport, stores: dict[str, str]) -> None:
        causes: dict[str, tuple[str, datetime]] = {}
        wanted = {p.cause_id for _, p in self.pending}
        for url in stores.values() if wanted else ():
            causes.update(await occurrences(url, wanted - causes.keys()))
        for service, item in self.pending:
            report.findings += [_warning(service, m)
                                for m in check_causes([item], causes, self.zone)]


def _warning(service: str, mismatch: Mismatch) -> Finding:
    event = mismatch.event
    return Finding(WARNING, service, event.stream_id, event.version, str(event.event_id),
                   f"{event.event_type}: legal time: {mismatch.detail}")


async def verify(target: AuditTarget, progress: Callable[[int], None] | None = None
                 ) -> VerifyReport:
    report = VerifyReport()
    legal = _LegalTimes(legal_zone_name())
    custody = CustodyCheck(legal_zone_name())
    for service, url in target.stores.items():
        await _verify_service(report, service, url, target, progress, legal, custody)
    await legal.check_causes(report, target.stores)
    report.findings += [Finding(ERROR, "judicial", v.release.stream_id, v.release.version,
                                str(v.release.event_id), v.problem)
                        for v in custody.violations()]
    return report


async def _verify_service(report: VerifyReport, service: str, url: str, target: AuditTarget,
                          progress: Callable[[int], None] | None, legal: _LegalTimes,
                          custody: CustodyCheck) -> None:
    published = await publication_state(url)
    messages = await topic_messages(target.bootstrap, target.topic(service), target.security)
    report.messages += sum(len(m) for m in messages.values())
    seen: set[str] = set()
    async for stream in stored_streams(url):
        report.streams += 1
        report.events += len(stream)
        for problem in verify_stream(stream):
            report.findings.append(Finding(ERROR, service, problem.stream_id, problem.version,
                                           problem.event_id, problem.problem))
        legal.check(report, service, stream)
        custody.see(stream)
        for event in stream:
            event_id = str(event.event_id)
            seen.add(event_id)
            _check_publication(report, service, event, messages.get(event_id, []),
                               published.get(event_id))
        if progress:
            progress(report.events)
    for event_id, copies in messages.items():
        if event_id not in seen:
            headers = {k: v.decode("utf-8", "replace") for k, v in copies[0].headers}
            report.findings.append(Finding(
                ERROR, service, headers.get("ce_streamid", "?"),
                int(headers.get("ce_streamversion", "0") or 0), event_id,
                f"on {target.topic(service)} but not in the store (deleted from the store, "
                "or injected into the topic)"))


def _check_publication(report: VerifyReport, service: str, event: RecordedEvent,
                       copies: list[Message],
                       marked: bool | None) -> None:
    def add(severity: str, problem: str) -> None:
        report.findings.append(Finding(severity, service, event.stream_id, event.version,
                                       str(event.event_id), problem))

    if not copies:
        if marked is False:
            add(NOTE, "still in the outbox, not yet published")
        elif marked is True:
            add(ERROR, "marked published but missing from Kafka")
        else:
            add(ERROR, "never published (no outbox row and not on Kafka)")
        return
    for copy in copies:
        for difference in compare(event, copy, service):
            add(ERROR, f"partition {copy.partition} offset {copy.offset}: {difference}")
    if len(copies) > 1:
        add(NOTE, f"published {len(copies)} times with the same id (a relay redelivery; "
                  "consumers apply it once)")
