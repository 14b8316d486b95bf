"""The end-of-run checks of a chaos run, each a row of the table: what was checked, whether it
held, and the numbers behind it. They read the stores and Kafka directly, as an auditor does,
and the services' public read APIs for the final state of each case."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import subprocess
import sys
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import asyncpg
from aiokafka.errors import KafkaError

from shared.audit.sources import read_to_checkpoint
from shared.consumer.runtime import ALL_TYPES
from shared.db import asyncpg_dsn
from shared.infra import acls
from shared.messaging.cloudevents import from_kafka, split_ce_type
from shared.messaging.topics import dead_letter_topic, events_topic
from shared.retry import poll
from shared.settings import REPO_ROOT

from .client import ChaosApi, Refused
from .oracle import expected
from .workload import Played

SETTLE_S = 900.0  # consumers catch up after the last fault; generous for a slow box
FLOWN_STATUSES = frozenset({"custody_transferred", "in_transit", "landed"})


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class Consumes:
    """One consumer group of a service, as its ServiceSpec declares it: the topic it reads
    and the event types it applies there (None: every type, a "*" handler)."""

    service: str
    consumer: str
    topic: str
    types: frozenset[str] | None


@dataclass(frozen=True)
class Target:
    stores: dict[str, str]  # service -> SQLAlchemy URL of its store
    bootstrap: str
    namespace: str
    # The consumers to check; None: every service's declared ones (declared_consumers).
    consumers: tuple[Consumes, ...] | None = None

    def declared(self) -> tuple[Consumes, ...]:
        if self.consumers is not None:
            return self.consumers
        return declared_consumers(self.namespace)


@functools.cache
def declared_consumers(namespace: str) -> tuple[Consumes, ...]:
    """Every consumer of every service, read off the specs (shared/infra/acls.py builds
    them the same way for the ACLs): what each must have applied, whatever its inbox says."""
    return tuple(Consumes(service, spec.name, topic, _types(spec.handlers))
                 for service, specs in acls.declared_consumers(namespace).items()
                 for spec in specs for topic in spec.topics)


def _types(handlers: Mapping[str, Any]) -> frozenset[str] | None:
    """The event types of the handlers' ce_types (any version: an older one is upcast)."""
    if ALL_TYPES in handlers:
        return None
    return frozenset(split_ce_type(key)[0] for key in handlers)


# --- runway audit --------------------------------------------------------------------------


def audit_command(target: Target, *command: str) -> tuple[int, str]:
    """`runway audit <command>` against the run's stores and brokers, as an operator runs it."""
    stores = [arg for service, url in target.stores.items()
              for arg in ("--store", f"{service}={url}")]
    argv = [sys.executable, "-m", "shared.cli.main", "audit", *stores,
            "--bootstrap", target.bootstrap, "--namespace", target.namespace, *command]
    done = subprocess.run(argv, capture_output=True, text=True, cwd=REPO_ROOT, timeout=3600,
                          env={**os.environ, "PYTHONPATH": str(REPO_ROOT)})
    return done.returncode, (done.stdout + done.stderr).strip()


def verify_check(target: Target) -> Check:
    code, out = audit_command(target, "verify")
    last = out.splitlines()[-1] if out else ""
    lines = [line for line in out.splitlines() if line.startswith("verify:")]
    return Check("runway audit verify", code == 0, (lines[-1] if lines else last)[:200]
                 if code == 0 else out[-1500:])


def replay_check(target: Target) -> Check:
    code, out = audit_command(target, "replay")
    lines = [line for line in out.splitlines() if line.startswith("replay from")]
    return Check("runway audit replay identical", code == 0,
                 (lines[-1] if lines else out[-200:])[:200] if code == 0 else out[-1500:])


# --- the oracle ----------------------------------------------------------------------------


async def observed(api: ChaosApi, played: Played) -> dict[str, Any]:
    case = played.case_id
    judicial = await api.get("judicial", f"/cases/{case}") or {}
    transport = await api.get("transport", f"/cases/{case}") or {}
    court = await api.get("court", f"/cases/{case}")
    return {"judicial": judicial.get("status"), "transport": transport.get("status"),
            "court": court is not None,
            "lapsed": bool(judicial.get("provisional_detention_lapsed"))}


async def observed_or_none(api: ChaosApi, played: Played) -> dict[str, Any]:
    """What `observed` says, or {} when the read APIs gave no answer in time (the oracle
    check has already failed that case)."""
    try:
        return await observed(api, played)
    except (TimeoutError, Refused):
        return {}


def mismatch(played: Played, seen: dict[str, Any]) -> str | None:
    want = expected(played.script)
    if played.error:
        return f"not entered: {played.error[:200]}"
    wrong = []
    if seen["judicial"] != want.judicial_status:
        wrong.append(f"judicial {seen['judicial']} (want {want.judicial_status})")
    if seen["transport"] != want.transport_status:
        wrong.append(f"transport {seen['transport']} (want {want.transport_status})")
    if seen["lapsed"] != want.lapsed:
        wrong.append(f"provisional detention lapsed {seen['lapsed']} (want {want.lapsed})")
    if seen["court"] != want.flown:
        wrong.append(f"court record {seen['court']} (want {want.flown})")
    return "; ".join(wrong) or None


async def oracle_check(api: ChaosApi, people: list[Played]) -> tuple[Check, dict[str, Any]]:
    """Wait (generously) for every case to reach the oracle's state; report those that don't."""
    last: dict[str, str] = {}
    seen_by_case: dict[str, dict[str, Any]] = {}
    gate = asyncio.Semaphore(16)

    async def one(played: Played) -> None:
        try:
            async with gate:
                seen = await observed(api, played) if played.case_id else {}
        except (TimeoutError, Refused) as error:  # unread is not matching: the case differs
            last[played.script.reference] = f"{played.script.kind}: could not be read: {error}"
            return
        seen_by_case[str(played.case_id)] = seen
        wrong = mismatch(played, seen) if seen else f"not entered: {played.error}"
        if wrong:
            last[played.script.reference] = f"{played.script.kind}: {wrong}"
        else:
            last.pop(played.script.reference, None)

    async def all_match() -> bool:
        pending = [p for p in people if p.script.reference in last or not seen_by_case]
        await asyncio.gather(*(one(p) for p in pending or people))
        return not last

    with contextlib.suppress(TimeoutError):  # the cases still differing are the finding
        await poll(all_match, within=SETTLE_S, every=5, what="every case in the oracle's state")
    by_outcome: dict[str, int] = defaultdict(int)
    for played in people:
        by_outcome[expected(played.script).outcome] += 1
    counts = ", ".join(f"{n} {k}" for k, n in sorted(by_outcome.items()))
    detail = (f"{len(people)} cases ({counts})" if not last else
              f"{len(last)} of {len(people)} differ; e.g. " +
              "; ".join(f"{k}: {v}" for k, v in list(last.items())[:5]))
    return Check("every case in the oracle's final state", not last, detail), \
        {"mismatches": last, "outcomes": dict(by_outcome)}


def flown_without_clearance(people: list[Played], seen: dict[str, dict[str, Any]]) -> Check:
    """Anyone whose custody passed to the US although the oracle says they must stay."""
    wrong = [f"{p.script.reference} ({p.script.kind})" for p in people
             if seen.get(str(p.case_id), {}).get("transport") in FLOWN_STATUSES
             and not expected(p.script).flown]
    return Check("nobody flown without clearance", not wrong,
                 "none" if not wrong else ", ".join(wrong[:10]))


# --- events, inboxes, dead letters ---------------------------------------------------------


async def topic_events(bootstrap: str, topic: str) -> dict[str, str]:
    """Every event on `topic`: its id and type (a re-sent duplicate counts once)."""
    found: dict[str, str] = {}

    def keep(batch: list[Any]) -> None:
        for message in batch:
            event = from_kafka(list(message.headers), message.value)
            found[str(event.event_id)] = event.event_type

    await read_to_checkpoint(bootstrap, topic, keep, timeout_s=600)
    return found


async def _fetch(url: str, sql: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        return list(await conn.fetch(sql))
    finally:
        await conn.close()


async def caught_up(target: Target) -> bool:
    """Whether nothing is still on its way: every stored event is on Kafka and in the inbox
    of every consumer that handles its type. The last fault's replica answers before its
    consumer groups have finished rebalancing, so the checks wait for this first."""
    try:
        lost, _, _ = await _events(target)
    except KafkaError:  # a broker of the last faults still rejoining: not settled yet
        return False
    return not lost


async def events_check(target: Target) -> tuple[Check, Check, dict[str, Any]]:
    """No event lost (every stored event on its topic; every consumer's inbox holds every
    event of each topic it reads, bar dead letters) and none applied twice (no two events of
    one stream and type caused by the same message)."""
    lost, numbers, twice = await _events(target)
    stored_total = sum(n["stored"] for n in numbers.values())
    return (Check("no event lost", not lost,
                  f"{stored_total} events stored, all on Kafka and in every consumer's inbox"
                  if not lost else "; ".join(lost)[:600]),
            Check("no effect applied twice", not twice,
                  "no message caused the same event twice" if not twice
                  else "; ".join(twice[:5])),
            numbers)


async def _events(target: Target) -> tuple[list[str], dict[str, Any], list[str]]:
    """What events_check judges: the events lost (as lines), the counts, and the effects
    applied twice (as lines)."""
    on_kafka = {s: await topic_events(target.bootstrap, events_topic(s, target.namespace))
                for s in target.stores}
    lost, numbers, twice = [], {}, []
    for service, url in target.stores.items():
        stored = {str(r["event_id"]) for r in await _fetch(url, "SELECT event_id FROM events")}
        unpublished = (await _fetch(url, "SELECT count(*) AS n FROM outbox "
                                         "WHERE published_at IS NULL"))[0]["n"]
        missing = stored - set(on_kafka[service])
        numbers[service] = {"stored": len(stored), "on_kafka": len(set(on_kafka[service])),
                            "unpublished": unpublished}
        if missing or unpublished:
            lost.append(f"{service}: {len(missing)} stored events not on Kafka, "
                        f"{unpublished} outbox rows unpublished")
        inbox = await _fetch(url, "SELECT consumer, topic, event_id FROM inbox")
        read: dict[tuple[str, str], set[str]] = defaultdict(set)
        for row in inbox:
            read[(row["consumer"], row["topic"])].add(str(row["event_id"]))
        sources = {events_topic(s, target.namespace): s for s in on_kafka}
        for use in target.declared():
            source = sources.get(use.topic)
            if use.service != service or source is None:
                continue  # a service or topic this run does not have
            # What the consumer declares it handles, not what its inbox shows it took: one
            # stalled before its first event of a type would otherwise go unseen.
            ids = read[(use.consumer, use.topic)]
            not_applied = {i for i, kind in on_kafka[source].items()
                           if use.types is None or kind in use.types} - ids
            numbers[service][f"inbox {use.consumer} <- {source}"] = len(ids)
            if not_applied:
                lost.append(f"{service}/{use.consumer}: {len(not_applied)} of {source}'s "
                            "events not in its inbox")
        doubles = await _fetch(url, "SELECT stream_id, event_type, causation_id, count(*) AS n "
                                    "FROM events WHERE causation_id IS NOT NULL GROUP BY "
                                    "stream_id, event_type, causation_id HAVING count(*) > 1")
        twice += [f"{service}: {r['stream_id']} {r['event_type']} x{r['n']} "
                  f"(caused by {r['causation_id']})" for r in doubles]
    return lost, numbers, twice


async def dead_letter_check(target: Target) -> tuple[Check, dict[str, int]]:
    counts = {s: len(await topic_ids_raw(target.bootstrap, dead_letter_topic(s, target.namespace)))
              for s in target.stores}
    total = sum(counts.values())
    return Check("dead-letter topics empty", total == 0,
                 "empty" if total == 0 else ", ".join(f"{s}: {n}" for s, n in counts.items()
                                                      if n)), counts


async def topic_ids_raw(bootstrap: str, topic: str) -> list[bytes | None]:
    values: list[bytes | None] = []
    await read_to_checkpoint(bootstrap, topic, lambda batch: values.extend(
        m.value for m in batch), timeout_s=600)
    return values


def server_error_check(errors: list[str]) -> Check:
    return Check("no 500 answered to a client", not errors,
                 "none" if not errors else f"{len(errors)}: " + "; ".join(errors[:3]))
