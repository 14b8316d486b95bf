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

import asyncio
import functools
import logging
import shutil
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.clock import parse_iso_utc
from shared.db import Database, driver_connection, drop_database, with_database
from shared.eventstore import Actor, GlobalPosition, RecordedEvent, schema
from shared.messaging.cloudevents import ConsumedEvent
from shared.migrate import migrate_url

from .sources import AuditTarget, Message, read_to_checkpoint, stored_streams

log = logging.getLogger("runway.audit.replay")


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
    #                                                (ties: each stream in its order)


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
    needs the exact JSON text (which the hash chain covers). Decodes only the headers it
    reads: this runs once per message and was the largest cost of a replay from Kafka."""
    attrs = dict(headers)
    try:
        name, _, version = attrs["ce_type"].decode().rpartition(".v")
        causation = attrs.get("ce_causationid")
        return RecordedEvent(
            event_id=uuid.UUID(attrs["ce_id"].decode()),
            stream_id=attrs["ce_streamid"].decode(),
            stream_type=attrs["ce_streamtype"].decode(),
            version=int(attrs["ce_streamversion"]), event_type=name,
            schema_version=int(version), payload_json=value.decode(),
            occurred_at=_instant(attrs["ce_time"]),
            recorded_at=_instant(attrs["ce_recordedat"]),
            actor=Actor(attrs["ce_actor"].decode(), attrs["ce_actorrole"].decode()),
            correlation_id=attrs["ce_correlationid"].decode(),
            causation_id=None if causation is None else causation.decode(),
            prev_hash=attrs["ce_prevhash"].decode(), hash=attrs["ce_eventhash"].decode(),
            position=GlobalPosition.START)
    except (KeyError, ValueError) as error:
        # Unreadable messages are the verify command's business; the replay must not guess.
        raise ValueError(f"message {attrs.get('ce_id', b'?')!r} cannot be replayed: "
                         f"{error!r}") from error


def _instant(text: bytes) -> datetime:
    """parse_iso_utc for the wire form, which is always UTC with a Z (3.11 reads the Z)."""
    value = datetime.fromisoformat(text.decode())
    return value if value.tzinfo is UTC else parse_iso_utc(text.decode())


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


def recorded_order(item: tuple[str, RecordedEvent]) -> tuple[Any, ...]:
    """By recorded time; the events one command records share it, so each stream's are then
    in their own order, as the live consumers apply them (a random tie-break let a rebuild
    take another of them as the newest)."""
    service, event = item
    return (event.recorded_at, service, event.stream_id, event.version)


def by_stream(events: Sequence[RecordedEvent]) -> dict[str, list[RecordedEvent]]:
    streams: dict[str, list[RecordedEvent]] = defaultdict(list)
    for event in events:
        streams[event.stream_id].append(event)
    for stream in streams.values():
        stream.sort(key=lambda e: e.version)
    return dict(streams)


async def table_rows(conn: AsyncConnection, spec: TableSpec,
                     table: sa.Table | None = None) -> dict[tuple[Any, ...], dict[str, Any]]:
    # Values compare as the driver returns them (aware datetimes, UUIDs, exact JSON text):
    # both databases are written by the same code from the same events.
    if conn.dialect.name == "postgresql":
        # Straight from asyncpg: SQLAlchemy's row objects cost more than the whole query.
        driver = await driver_connection(conn)
        records = await driver.fetch(f'SELECT * FROM "{spec.name}"')
        rows = [dict(record.items()) for record in records]
    else:
        if table is None:
            table = await reflect(conn, spec.name)
        result = await conn.execute(sa.select(table))
        rows = [dict(row._mapping) for row in result.all()]
    return {tuple(row[k] for k in spec.key): row for row in rows}


async def reflect(conn: AsyncConnection, name: str) -> sa.Table:
    metadata = sa.MetaData()
    await conn.run_sync(lambda sync: metadata.reflect(sync, only=[name]))
    return metadata.tables[name]


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
        if current == row:
            continue  # the common case, one comparison in C
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
    """A new, migrated database for one service's rebuilt read models: on PostgreSQL a new
    database on `server_url`'s server, on SQLite (the embedded default) a new file in a
    temporary folder."""
    if make_url(server_url).get_backend_name() == "sqlite":
        folder = tempfile.mkdtemp(prefix=_SQLITE_FOLDER_PREFIX)
        url = make_url(server_url).set(database=str(Path(folder) / f"{service}.db"))
        url_text = url.render_as_string(hide_password=False)
    else:
        url_text = with_database(server_url, f"replay_{service}_{uuid.uuid4().hex[:10]}")
        await _create_postgres_database(server_url, url_text)
    await migrate_url(url_text, replay.migrations)
    return url_text


_SQLITE_FOLDER_PREFIX = "runway-replay-"


async def _create_postgres_database(server_url: str, url: str) -> None:
    admin = Database(with_database(server_url, "postgres"), pool_size=1)
    try:
        async with admin.engine.connect() as conn:
            autocommit = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await autocommit.execute(sa.text(f'CREATE DATABASE "{url.rsplit("/", 1)[1]}"'))
    finally:
        await admin.dispose()


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
    wanted = [uuid.UUID(str(i)) for i in ids]
    for url in stores.values() if ids else ():
        database = Database(url, pool_size=1)
        try:
            async with database.connect() as conn:
                result = await conn.execute(sa.select(schema.events.c.event_id)
                                            .where(schema.events.c.event_id.in_(wanted)))
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
            tables = ([await reflect(live, spec.name) for spec in replay.tables]
                      if not live_db.is_postgres else [None] * len(replay.tables))
            # Both databases at once: each server prepares its rows while we read the other's.
            both = await asyncio.gather(_all_rows(live, replay.tables, tables),
                                        _all_rows(rebuilt, replay.tables, tables))
            cache = {spec.name: (both[0][i], both[1][i]) for i, spec in enumerate(replay.tables)}
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


async def _all_rows(conn: AsyncConnection, specs: Sequence[TableSpec],
                    tables: Sequence[sa.Table | None]) -> list[Rows]:
    return [await table_rows(conn, spec, table)
            for spec, table in zip(specs, tables, strict=True)]


async def drop(server_url: str, url: str) -> None:
    """Remove a rebuilt database (on SQLite, its temporary folder)."""
    if make_url(url).get_backend_name() == "sqlite":
        folder = Path(make_url(url).database or "").parent
        if folder.name.startswith(_SQLITE_FOLDER_PREFIX):
            shutil.rmtree(folder, ignore_errors=True)
        return
    name = url.rsplit("/", 1)[1]
    if not await drop_database(server_url, name):
        # The audit's answer stands; a rebuilt copy left over is only disk.
        log.warning("rebuilt database left behind: a superuser session held it",
                    extra={"database": name})


async def load_events(target: AuditTarget, source: str, report: ReplayReport,
                      progress: Callable[[int], None] | None
                      ) -> dict[str, list[RecordedEvent]]:
    """Every service's events, the services read at the same time (one's broker or database
    works while another's messages are decoded)."""
    async def one(service: str, url: str) -> list[RecordedEvent]:
        if source == "kafka":
            events, report.checkpoint[service] = await read_kafka(target, service, progress)
        else:
            events = [e async for stream in stored_streams(url) for e in stream]
        report.events += len(events)
        if progress:
            progress(report.events)
        return events

    services = list(target.stores.items())
    loaded = await asyncio.gather(*(one(service, url) for service, url in services))
    return {service: events for (service, _), events in zip(services, loaded, strict=True)}


async def replay(target: AuditTarget, replays: dict[str, ReadModelReplay], server_url: str,
                 *, source: str = "kafka", keep: bool = False,
                 progress: Callable[[int], None] | None = None) -> ReplayReport:
    started = time.monotonic()
    report = ReplayReport(source=source)
    audited = {s: spec for s, spec in replays.items() if s in target.stores}
    # The fresh databases are created and migrated while the events are read, one after
    # another: alembic's `op` and `context` are process-wide, so two migrations at once clash.
    fresh: dict[str, asyncio.Task[str]] = {}
    for service, spec in audited.items():
        fresh[service] = asyncio.create_task(
            _after(list(fresh.values()), functools.partial(_fresh_database, spec, service,
                                                           server_url)))
    try:
        events = await load_events(target, source, report, progress)
        report.phases["read"] = time.monotonic() - started
        everything = sorted(((s, e) for s, evs in events.items() for e in evs),
                            key=recorded_order)
        for service, spec in audited.items():
            data = ReplayInput(service, by_stream(events.get(service, [])), everything)
            phase = time.monotonic()
            rebuilt = report.databases[service] = await fresh[service]
            _add(report, "prepare", phase)
            phase = time.monotonic()
            await _rebuild(spec, data, rebuilt)
            _add(report, "rebuild", phase)
            phase = time.monotonic()
            differences, rows = await compare_databases(service, spec, target.stores[service],
                                                        rebuilt, target.stores)
            _add(report, "compare", phase)
            report.differences += differences
            report.rows += rows
    finally:
        await _settle_databases(fresh, server_url, keep)
    report.seconds = time.monotonic() - started
    return report


async def _after(earlier: list[asyncio.Task[str]], work: Callable[[], Awaitable[str]]) -> str:
    await asyncio.gather(*earlier, return_exceptions=True)
    return await work()


def _add(report: ReplayReport, phase: str, since: float) -> None:
    report.phases[phase] = report.phases.get(phase, 0.0) + time.monotonic() - since


async def _settle_databases(fresh: dict[str, asyncio.Task[str]], server_url: str,
                            keep: bool) -> None:
    """Drop the rebuilt databases unless kept; a failed replay drops them all the same."""
    for task in fresh.values():
        if not task.done():
            task.cancel()
    outcomes = await asyncio.gather(*fresh.values(), return_exceptions=True)
    for url in outcomes:
        if isinstance(url, str) and not keep:
            await drop(server_url, url)
