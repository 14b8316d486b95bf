"""Erasing a person's personal data: the command, and the reconciler that completes it.

An erasure lives in two databases: the key store (the person's data key deleted, the erasure
recorded) and the case's log (intake.personal_data_erased, which tells the other services to
blank their copies of the name). No transaction spans both, so the key store's record is the
intent and the event follows from it:

* the command appends the event first, in the case's transaction, then erases the key and
  commits. A conflict (a concurrent amendment) surfaces at the append, before the key is
  touched, and the command retries: an erasure depends on no other state of the case;
* only a failed commit after the key is gone leaves an erasure without its event. The
  reconciler, a background task of intake, finds such erasures in the key store (those older
  than ERASURE_RECONCILE_AFTER_S and not yet noted as logged) and appends the event,
  attributed to the officer the key store names, with causation `reconciled-erasure:<person>`.
  It is idempotent: a case whose log holds the erasure gets nothing more.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from shared.aggregate import Loaded
from shared.clock import iso_utc
from shared.errortext import describe
from shared.eventstore import Actor, ConcurrencyConflict, EventContext
from shared.pii.keystore import Erasure
from shared.pii.names import erase_name
from shared.service import BackgroundTask, ServiceRuntime

from . import domain
from .repository import case_repository
from .settings import settings_of

log = logging.getLogger("runway.intake.erasure")

ERASE_ATTEMPTS = 5
RECONCILED = "reconciled-erasure"
PAGE = 100


async def erase(runtime: ServiceRuntime, case_id: str, reason: str,
                context: EventContext) -> dict[str, Any]:
    """Erase the personal data of the case's person; retried on a concurrent change."""
    attempt = 1
    while True:
        try:
            return await _erase_once(runtime, case_id, reason, context)
        except ConcurrencyConflict:
            if attempt >= ERASE_ATTEMPTS:
                raise
            attempt += 1


async def _erase_once(runtime: ServiceRuntime, case_id: str, reason: str,
                      context: EventContext) -> dict[str, Any]:
    async with runtime.command() as conn:
        loaded = await case_repository(runtime).load_existing(conn, case_id)
        person_id = domain.person_to_erase(loaded.state)
        # An erasure the key store holds already (its event lost, or a request at the same
        # moment) is the one the event records: its time and reason.
        earlier = await runtime.pii.erasure(person_id)
        erased_at = earlier.erased_at if earlier else runtime.clock.now()
        why = earlier.reason if earlier else reason
        version = await _record(runtime, conn, loaded, erased_at, why, context)
        # The key goes last: a failure before this point leaves both databases as they were.
        done = await runtime.pii.erase(person_id, case_id=case_id, actor=context.actor,
                                       reason=why, at=erased_at)
        if (done.erased_at, done.reason) != (erased_at, why):
            # Another request erased the key since we looked: record its erasure instead.
            raise ConcurrencyConflict(case_id, loaded.version, None)
    await _note_logged(runtime, person_id)
    return {"case_id": case_id, "person_id": person_id, "erased_at": iso_utc(erased_at),
            "version": version}


async def _record(runtime: ServiceRuntime, conn: AsyncConnection,
                  loaded: Loaded[domain.CaseState], erased_at: datetime, reason: str,
                  context: EventContext) -> int:
    """Append intake.personal_data_erased and blank intake's own copy of the name."""
    events = domain.erase_personal_data(loaded.state, erased_at, reason)
    _, recorded = await case_repository(runtime).append(conn, loaded, events, context)
    await erase_name(conn, loaded.stream_id, loaded.state.person_id, erased_at)
    return recorded[-1].version


async def _note_logged(runtime: ServiceRuntime, person_id: str) -> None:
    """Tell the key store the event is in the log, so the reconciler passes this erasure
    by. Best effort: if it fails, the reconciler finds the event there and notes it."""
    try:
        await runtime.pii.erasure_logged(person_id)
    except Exception as error:
        log.warning("could not note the erasure as logged; the reconciler will",
                    extra={"person_id": person_id, "error": describe(error)})


# --- the reconciler ---------------------------------------------------------------------------

class ErasureReconciler:
    """Appends the missing intake.personal_data_erased of erasures the key store records."""

    def __init__(self, runtime: ServiceRuntime) -> None:
        self.runtime = runtime
        # Erasures of cases this intake does not hold (a key store shared with another
        # installation): reported once per process, then left to their own intake.
        self._foreign: set[str] = set()

    async def run(self, stop: asyncio.Event) -> None:
        """Reconcile every ERASURE_RECONCILE_INTERVAL_S until `stop` is set."""
        while not stop.is_set():
            try:
                await self.reconcile()
            except Exception as error:
                # A database or key store outage must not end the task; the intent waits
                # in the key store.
                log.error("erasure reconciliation failed; retrying",
                          extra={"error": describe(error)})
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    stop.wait(), timeout=settings_of(self.runtime).erasure_reconcile_interval_s)

    async def reconcile(self) -> int:
        """One round over the erasures not yet noted as logged that are old enough (by
        `runtime.clock`); returns how many events it appended."""
        grace = timedelta(seconds=settings_of(self.runtime).erasure_reconcile_after_s)
        erased_before = self.runtime.clock.now() - grace
        appended = 0
        after: tuple[datetime, str] | None = None
        while True:
            page = await self.runtime.pii.unlogged_erasures(erased_before=erased_before,
                                                            after=after, limit=PAGE)
            for erasure in page:
                appended += await self._reconcile_isolated(erasure)
            if len(page) < PAGE:
                return appended
            after = (page[-1].erased_at, page[-1].person_id)

    async def _reconcile_isolated(self, erasure: Erasure) -> int:
        try:
            return int(await self._reconcile_one(erasure))
        except ConcurrencyConflict:
            log.info("erasure deferred: its case changed meanwhile",
                     extra={"case_id": erasure.case_id, "person_id": erasure.person_id})
        except Exception as error:  # one erasure's failure must not hold up the others
            log.error("erasure reconciliation failed for one case; retried next round",
                      extra={"case_id": erasure.case_id, "person_id": erasure.person_id,
                             "error": describe(error)})
        return 0

    async def _reconcile_one(self, erasure: Erasure) -> bool:
        assert erasure.case_id is not None
        repo = case_repository(self.runtime)
        async with self.runtime.command() as conn:
            loaded = await repo.load(conn, erasure.case_id)
            if loaded.state.person_id != erasure.person_id:
                self._report_foreign(erasure)
                return False
            missing = loaded.state.personal_data_erased_at is None
            if missing:
                # The officer the key store names did it; this task only writes it down.
                context = EventContext(Actor(erasure.erased_by, erasure.erased_by_role),
                                       causation_id=f"{RECONCILED}:{erasure.person_id}")
                await _record(self.runtime, conn, loaded, erasure.erased_at, erasure.reason,
                              context)
        await self.runtime.pii.erasure_logged(erasure.person_id)
        if missing:
            log.warning("an erasure's event was missing; appended from the key store's record",
                        extra={"case_id": erasure.case_id, "person_id": erasure.person_id})
        return missing

    def _report_foreign(self, erasure: Erasure) -> None:
        if erasure.person_id not in self._foreign:
            self._foreign.add(erasure.person_id)
            log.warning("the key store records an erasure of a case this intake does not hold",
                        extra={"case_id": erasure.case_id, "person_id": erasure.person_id})


def background(runtime: ServiceRuntime) -> list[BackgroundTask]:
    return [ErasureReconciler(runtime).run]
