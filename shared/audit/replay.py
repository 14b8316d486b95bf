"""`runway audit replay`: rebuild every read model from the logs into fresh databases and
compare them with the live ones.

Source: the Kafka topics from their first offset up to a checkpoint (the end offsets when the
replay starts, printed), or the services' event stores. Each service that offers a
`REPLAY` in `services/<name>/audit.py` rebuilds its tables from those events alone.

Comparison at the checkpoint, while services may keep writing:
- tables with a stream version: rows at the same version must be equal; a live row at a later
  version moved on after the checkpoint (a note); a live row behind, or missing, is an error;
- tables keyed by event id: every replayed event's row must be equal; live rows for events
  after the checkpoint are notes;
- tables keyed by case whose rows follow other tables (`settled_by`): compared only for cases
  none of whose live events lie after the checkpoint.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.clock import parse_iso_utc
from shared.db import Database, with_database
from shared.eventstore import Actor, GlobalPosition, RecordedEvent
from shared.messaging.cloudevents import ConsumedEvent
from shared.migrate import migrate

from .sources import AuditTarget, Message, read_to_checkpoint, stored_streams


@dataclass(frozen=True)
class TableSpec:
    name: str
    key: tuple[str, ...]
    version: str | None = None      # stream-version column
    event_id: str | None = None     # event-id column
    settled_by: tuple[str, str] | None = None  # (event-keyed table, its case column)
    case_column: str = "case_id"


@dataclass(frozen=True)
class ReplayInput:
    service: str
    streams: dict[str, list[RecordedEvent]]        # this service's own streams
    everything: list[tuple[str, RecordedEvent]]    # every service's events, by recorded time


@dataclass(frozen=True)
class ReadModelReplay:
    tables: Sequence[TableSpec]
    rebuild: Callable[[AsyncConnection, ReplayInput], Awaitable[None]]
    migrations: Sequence[str] = ()


@dataclass
class Difference:
    severity: str
    service: str
    table: str
    key: str
    detail: str

    def __str__(self) -> str:
        return f"{self.severity.upper():<5} {self.service}.{self.table} [{self.key}]: {self.detail}"


@dataclass
class ReplayReport:
    source: str
    checkpoint: dict[str, dict[int, int]] = field(default_factory=dict)
    events: int = 0
    rows: int = 0
    seconds: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)  # read, prepare, rebuild, compare
    differences: list[Difference] = field(default_factory=list)
    databases: dict[str, str] = field(default_factory=dict)

    @property
    def errors(self) -> list[Difference]:
        return [d for d in self.differences if d.severity == "error"]


def recorded_from_message(headers: Sequence[tuple[str, bytes]], value: bytes) -> RecordedEvent:
    """A stored event from its Kafka message, without decoding the payload: the replay only
    needs the exact JSON text (which the hash chain covers)."""
    attrs = {k[3:]: v.decode() for k, v in headers if k.startswith("ce_")}
    try:
        name, _, version = attrs["type"].rpartition(".v")
        return RecordedEvent(
            event_id=uuid.UUID(attrs["id"]), stream_id=attrs["streamid"],
            stream_type=attrs["streamtype"], version=int(attrs["streamversion"]),
            event_type=name, schema_version=int(version), payload_json=value.decode(),
            occurred_at=parse_iso_utc(attrs["time"]),
            recorded_at=parse_iso_utc(attrs["recordedat"]),
            actor=Actor(attrs["actor"], attrs["actorrole"]),
            correlation_id=attrs["correlationid"], causation_id=attrs.get("causationid"),
            prev_hash=attrs["prevhash"], hash=attrs["eventhash"],
            position=GlobalPosition.START)
    except (KeyError, ValueError) as error:
        # Unreadable messages are the verify command's business; the replay must not guess.
        raise ValueError(f"message {attrs.get('id', '?')} cannot be replayed: {error!r}"
                         ) from error


def recorded_from(event: ConsumedEvent) -> RecordedEvent:
    return RecordedEvent(
        event_id=event.event_id, stream_id=event.stream_id, stream_type=event.stream_type,
        version=event.stream_version, event_type=event.event_type,
        schema_version=event.schema_version, payload_json=event.data_json,
        occurred_at=event.time, recorded_at=event.recorded_at, actor=event.actor,
        correlation_id=event.correlation_id, causation_id=event.causation_id,
        prev_hash=event.prev_hash, hash=event.event_hash, position=GlobalPosition.START)


def consumed_from(service: str, event: RecordedEvent) -> ConsumedEvent:
    return ConsumedEvent(
        event_id=event.event_id, source=f"/runway/{service}", event_type=event.event_type,
        schema_version=event.schema_version, subject=event.stream_id, time=event.occurred_at,
        data=event.payload, data_json=event.payload_json, actor=event.actor,
        correlation_id=event.correlation_id, causation_id=event.causation_id,
        stream_id=event.stream_id, stream_type=event.stream_type,
        stream_version=event.version, recorded_at=event.recorded_at, event_hash=event.hash,
        prev_hash=event.prev_hash)


async def read_kafka(target: AuditTarget, service: str,
                     progress: Callable[[int], None] | None = None
                     ) -> tuple[list[RecordedEvent], dict[int, int]]:
    """A service's events from the first offset to the end offsets seen now (the checkpoint),
    each event once (a relay redelivery is read once)."""
    events: dict[uuid.UUID, RecordedEvent] = {}

    def keep(messages: list[Message]) -> None:
        for message in messages:
            event = recorded_from_message(message.headers, message.value or b"")
            events.setdefault(event.event_id, event)
        if progress:
            progress(len(events))

    checkpoint = await read_to_checkpoint(target.bootstrap, target.topic(service), keep,
                                          security=target.security)
    return list(events.values()), checkpoint


def by_stream(events: Sequence[RecordedEvent]) -> dict[str, list[RecordedEvent]]:
    streams: dict[str, list[RecordedEvent]] = defaultdict(list)
    for event in events:
        streams[event.stream_id].append(event)
    for stream in streams.values():
        stream.sort(key=lambda e: e.version)
    return dict(streams)


async def table_rows(conn: AsyncConnection, spec: TableSpec) -> dict[tuple[Any, ...],
                                                                     dict[str, Any]]:
    # Values compare as the driver returns them (aware datetimes, UUIDs, exact JSON text):
    # both databases are written by the same code from the same events.
    metadata = sa.MetaData()
    await conn.run_sync(lambda sync: metadata.reflect(sync, only=[spec.name]))
    result = await conn.execute(sa.select(metadata.tables[spec.name]))
    columns = list(result.keys())
    rows = [dict(zip(columns, row, strict=True)) for row in result.all()]
    return {tuple(r[k] for k in spec.key): r for r in rows}


Rows = dict[tuple[Any, ...], dict[str, Any]]


def compare_table(service: str, spec: TableSpec, live: Rows, rebuilt: Rows,
                  unsettled: set[str], later: Callable[[dict[str, Any]], bool]
                  ) -> list[Difference]:
    """Differences between a live table and its rebuild. `later(row)` says whether a live row
    that the log lacks is explained by activity after the checkpoint; if not, the row was
    fabricated or the log lost its events, and that is an error."""
    found: list[Difference] = []

    def add(severity: str, key: tuple[Any, ...], detail: str) -> None:
        found.append(Difference(severity, service, spec.name, ",".join(map(str, key)), detail))

    for key, row in rebuilt.items():
        current = live.get(key)
        if spec.settled_by and str(row.get(spec.case_column)) in unsettled:
            add("note", key, "live row reflects events after the checkpoint; not compared")
            continue
        if current is None:
            add("error", key, "rebuilt from the log but missing from the live read model")
            continue
        if spec.version and current[spec.version] != row[spec.version]:
            ahead = current[spec.version] > row[spec.version]
            add("note" if ahead else "error", key,
                f"live at version {current[spec.version]}, log at {row[spec.version]}"
                + (" (moved on after the checkpoint)" if ahead else ""))
            continue
        changed = sorted(c for c in row if row[c] != current.get(c))
        for column in changed:
            add("error", key, f"{column}: live {current.get(column)!r} != rebuilt {row[column]!r}")
    for key in live.keys() - rebuilt.keys():
        if later(live[key]):
            add("note", key, "in the live read model only (created after the checkpoint)")
        else:
            add("error", key, "in the live read model but not in the log (fabricated, or the "
                              "log lost its events)")
    return found


async def _fresh_database(replay: ReadModelReplay, service: str, server_url: str) -> str:
    """A new, migrated database for one service's rebuilt read models."""
    url = with_database(server_url, f"replay_{service}_{uuid.uuid4().hex[:10]}")
    admin = Database(with_database(server_url, "postgres"), pool_size=1)
    try:
        async with admin.engine.connect() as conn:
            autocommit = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await autocommit.execute(sa.text(f'CREATE DATABASE "{url.rsplit("/", 1)[1]}"'))
    finally:
        await admin.dispose()
    database = Database(url, pool_size=1)
    try:
        await migrate(database, replay.migrations)
    finally:
        await database.dispose()
    return url


async def _rebuild(replay: ReadModelReplay, data: ReplayInput, url: str) -> None:
    database = Database(url, pool_size=1)
    try:
        async with database.transaction() as conn:
            await replay.rebuild(conn, data)
    finally:
        await database.dispose()


async def _streams_in(conn: AsyncConnection) -> set[str]:
    return set((await conn.execute(sa.text("SELECT DISTINCT stream_id FROM events"))).scalars())


async def _events_in(stores: dict[str, str], ids: set[Any]) -> set[str]:
    """Which of `ids` some service's store holds."""
    found: set[str] = set()
    for url in stores.values() if ids else ():
        database = Database(url, pool_size=1)
        try:
            async with database.connect() as conn:
                result = await conn.execute(
                    sa.text("SELECT event_id FROM events WHERE event_id = ANY(:ids)"),
                    {"ids": [uuid.UUID(str(i)) for i in ids]})
                found |= {str(i) for i in result.scalars()}
        finally:
            await database.dispose()
    return found


def _later_rule(spec: TableSpec, streams: set[str], events: set[str]
                ) -> Callable[[dict[str, Any]], bool]:
    """Whether a live-only row is explained by events written after the checkpoint: its
    stream, or its event, is in a store even though the replay did not see it. A row whose
    events no store holds was fabricated (or the store lost them)."""
    def later(row: dict[str, Any]) -> bool:
        if spec.event_id:
            return str(row.get(spec.event_id)) in events
        return str(row.get(spec.case_column)) in streams
    return later


async def compare_databases(service: str, replay: ReadModelReplay, live_url: str,
                            rebuilt_url: str, stores: dict[str, str] | None = None
                            ) -> tuple[list[Difference], int]:
    """Compare a live database's read models with a rebuild. With `stores` (the audited
    installation's), a live-only row is fine when its events arrived after the checkpoint;
    without (two rebuilds compared) every row must match."""
    live_db, rebuilt_db = Database(live_url, pool_size=1), Database(rebuilt_url, pool_size=1)
    differences: list[Difference] = []
    rows = 0
    try:
        async with live_db.connect() as live, rebuilt_db.connect() as rebuilt:
            cache = {spec.name: (await table_rows(live, spec), await table_rows(rebuilt, spec))
                     for spec in replay.tables}
            streams = await _streams_in(live) if stores else set()
        live_only_events = {r[spec.event_id] for spec in replay.tables if spec.event_id
                            for k, r in cache[spec.name][0].items()
                            if k not in cache[spec.name][1]}
        events = await _events_in(stores, live_only_events) if stores else set()
        for spec in replay.tables:
            live_rows, rebuilt_rows = cache[spec.name]
            rows += len(rebuilt_rows)
            unsettled: set[str] = set()
            if spec.settled_by:
                table, column = spec.settled_by
                events_live, events_rebuilt = cache[table]
                unsettled = {str(r[column]) for k, r in events_live.items()
                             if k not in events_rebuilt and str(r.get("event_id")) in events}
            differences += compare_table(service, spec, live_rows, rebuilt_rows, unsettled,
                                         _later_rule(spec, streams, events))
    finally:
        await live_db.dispose()
        await rebuilt_db.dispose()
    return differences, rows


async def drop(server_url: str, url: str) -> None:
    admin = Database(with_database(server_url, "postgres"), pool_size=1)
    try:
        async with admin.engine.connect() as conn:
            autocommit = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await autocommit.execute(
                sa.text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
    finally:
        await admin.dispose()


async def load_events(target: AuditTarget, source: str, report: ReplayReport,
                      progress: Callable[[int], None] | None
                      ) -> dict[str, list[RecordedEvent]]:
    events: dict[str, list[RecordedEvent]] = {}
    for service, url in target.stores.items():
        if source == "kafka":
            events[service], report.checkpoint[service] = await read_kafka(target, service,
                                                                           progress)
        else:
            events[service] = [e async for stream in stored_streams(url) for e in stream]
        report.events += len(events[service])
        if progress:
            progress(report.events)
    return events


async def replay(target: AuditTarget, replays: dict[str, ReadModelReplay], server_url: str,
                 *, source: str = "kafka", keep: bool = False,
                 progress: Callable[[int], None] | None = None) -> ReplayReport:
    import time

    started = time.monotonic()
    report = ReplayReport(source=source)
    events = await load_events(target, source, report, progress)
    report.phases["read"] = time.monotonic() - started
    everything = sorted(((s, e) for s, evs in events.items() for e in evs),
                        key=lambda p: (p[1].recorded_at, str(p[1].event_id)))
    for service, spec in replays.items():
        if service not in target.stores:
            continue
        data = ReplayInput(service, by_stream(events.get(service, [])), everything)
        phase = time.monotonic()
        rebuilt = await _fresh_database(spec, service, server_url)
        report.phases["prepare"] = report.phases.get("prepare", 0) + time.monotonic() - phase
        phase = time.monotonic()
        await _rebuild(spec, data, rebuilt)
        report.phases["rebuild"] = report.phases.get("rebuild", 0) + time.monotonic() - phase
        report.databases[service] = rebuilt
        phase = time.monotonic()
        differences, rows = await compare_databases(service, spec, target.stores[service],
                                                    rebuilt, target.stores)
        report.phases["compare"] = report.phases.get("compare", 0) + time.monotonic() - phase
        report.differences += differences
        report.rows += rows
        if not keep:
            await drop(server_url, rebuilt)
    report.seconds = time.monotonic() - started
    return report

