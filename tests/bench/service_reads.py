"""Two service reads that grew heavier, with many cases loaded:
`python -m tests.bench.service_reads` prints one JSON document (progress on stderr).

Intake, judicial and transport run as their own processes on fresh PostgreSQL databases and
topics; intake is given 1,000 requests (100 with --quick) over its batch API, as for the
console figure, and judicial and transport open them from Kafka. A judicial clerk then walks
200 treaty cases (20 with --quick) over judicial's API through 15 steps, from provisional
detention through an amparo, its appeal and a basis change to a national-security transfer:
their streams hold 17 events (case_opened and the steps' 16 events; `stream_events` reports
the versions read back); the other cases' streams hold 1. Once transport has applied the walks,
one signed-in auditor asks, one request at a time, alternating with the baselines:
    judicial_case       judicial GET /cases/{id}, rotating over the walked cases: the stored
                        row's updated_at, then the whole stream loaded and folded, judged on
                        today's date (services/judicial/api.py `_shown_today`); beside it
                        the same route on 1-event streams (`unwalked`)
    transport_list      transport GET /cases (its default page of 100) and
                        GET /cases?eligible=false (the page whose SQL filters held people):
                        each reads every waiting dead letter of the holding kinds first
                        (services/transport/holds.py); measured with none waiting, then
                        again with 100 (10 with --quick) waiting dead letters recorded, on
                        distinct cases, as transport's consumer records them
and, in the same run, the raw baselines: each service's cheapest authenticated read that
touches its database (judicial GET /cases?limit=1, transport GET /flights?limit=1), and the
same data read directly through the service's own database: judicial's stored view row
(one SELECT by case_id), transport's page query without the dead letters read
(read_model.list_cases) and the dead letters read alone (holds.holding). Each figure is
reported with p50/p95 and its ratios to the baselines.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import sqlalchemy as sa

from services.judicial import read_model as judicial_rows
from services.transport import holds
from services.transport import read_model as transport_rows
from shared.db import Database
from shared.deadletters import store
from shared.legaltime import legal_date
from shared.retry import poll
from tests.bench.common import percentiles, ratio, sized, stopwatch
from tests.bench.console_pages import WARM_UP, percentiles_p95, seeded_and_opened
from tests.bench.load import running_stack, say, token
from tests.support.stack import Stack

# (full run, --quick run)
CASES = (1000, 100)
WALKED = (200, 20)
SAMPLES = (300, 30)
DEAD_LETTERS = (100, 10)
SERVICES = ("intake", "judicial", "transport")
WALKERS = 8  # cases walked at once; each case's steps go one after the other
LIST_PAGE = 1000  # the largest page a list route answers
HOLDING_TYPE = "judicial.amparo_suspension_granted.v1"  # a fact that holds the person

Call = Callable[[int], Awaitable[object]]
Steps = list[tuple[str, dict[str, Any]]]
Timings = dict[str, dict[str, float]]


def walk_steps(today: date) -> Steps:
    """A treaty case from provisional detention to a national-security transfer, dated in
    the past so that no clock runs out while the bench runs (15 steps, 16 events: the
    appeal's denial also lifts the suspension)."""
    def ago(days: int) -> str:
        return (today - timedelta(days=days)).isoformat()
    amparo = {"amparo_id": "AMP-B1"}
    return [
        ("provisional-detention", {"ordered_on": ago(40)}),
        ("formal-request", {"received_on": ago(35)}),
        ("hearing", {"held_on": ago(34)}),
        ("objections", {"filed_on": ago(33), "summary": "the evidence is insufficient"}),
        ("evidence-extension", {"extended_on": ago(32), "additional_days": 10,
                                "reason": "a witness abroad"}),
        ("evidence-extension", {"extended_on": ago(30), "additional_days": 5,
                                "reason": "a certified translation pending"}),
        ("judge-opinion", {"issued_on": ago(25), "favorable": True}),
        ("sre-decision", {"decision": "granted", "decided_on": ago(20),
                          "notified_on": ago(20)}),
        ("amparo", {**amparo, "filed_on": ago(18)}),
        ("amparo-suspension", {**amparo, "granted_on": ago(17)}),
        ("amparo-ruling", {**amparo, "outcome": "denied", "ruled_on": ago(10),
                           "notified_on": ago(10)}),
        ("amparo-appeal", {**amparo, "filed_on": ago(5), "appellant": "complainant"}),
        ("amparo-appeal-ruling", {**amparo, "decided_on": ago(2), "outcome": "denied"}),
        ("basis-change", {"changed_on": ago(0), "to_basis": "national_security",
                          "reason": "overtaken by a national-security transfer",
                          "authority": "SRE"}),
        ("national-security-transfer", {"authorized_at": datetime.now(UTC).isoformat(),
                                        "us_request_reference": "DOJ-OIA-BENCH",
                                        "authority": "SSPC"}),
    ]


def bearer(role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(f'bench-{role}', role)}"}


async def listed(http: httpx.AsyncClient, url: str) -> list[dict[str, Any]]:
    """Every row of a service's case list, page by page."""
    rows: list[dict[str, Any]] = []
    while True:
        found = (await http.get(url, params={"limit": LIST_PAGE, "offset": len(rows)})
                 ).raise_for_status().json()["cases"]
        rows += found
        if len(found) < LIST_PAGE:
            return rows


async def treaty_cases(judicial: str, count: int) -> list[str]:
    """The first `count` treaty cases judicial lists (the walk is a treaty case's)."""
    async with httpx.AsyncClient(headers=bearer("auditor"), timeout=60) as http:
        rows = await listed(http, f"{judicial}/cases")
    return [r["case_id"] for r in rows if r["legal_basis"] == "treaty"][:count]


async def walk(judicial: str, case_ids: Sequence[str]) -> None:
    """Each case through `walk_steps`, WALKERS cases at a time."""
    steps = walk_steps(legal_date(datetime.now(UTC)))
    pending = list(case_ids)
    async with httpx.AsyncClient(base_url=judicial, headers=bearer("judicial_clerk"),
                                 timeout=60) as http:
        async def walker() -> None:
            while pending:
                case_id = pending.pop()
                for step, body in steps:
                    (await http.post(f"/cases/{case_id}/{step}", json=body)
                     ).raise_for_status()

        await asyncio.gather(*(walker() for _ in range(WALKERS)))


async def walks_applied(transport: str, walked: Sequence[str]) -> None:
    """Until transport has applied every walk's last step (the transfer authorised: the
    surrender_not_ordered rule no longer fails), so its consumer is idle while we sample."""
    async def applied() -> bool:
        async with httpx.AsyncClient(headers=bearer("auditor"), timeout=60) as http:
            rows = await listed(http, f"{transport}/cases")
        done = {r["case_id"] for r in rows if "surrender_not_ordered" not in r["failing_rules"]}
        return done >= set(walked)

    await poll(applied, within=300, every=1.0, what="transport applied the judicial walks")


async def timed(samples: int, calls: dict[str, Call]) -> Timings:
    """Every call in turn, `samples` rounds after a warm-up, so that all of them see the
    same machine; p50/p95 (ms) of each."""
    for n in range(WARM_UP):
        for call in calls.values():
            await call(n)
    took: dict[str, list[float]] = {name: [] for name in calls}
    for n in range(samples):
        for name, call in calls.items():
            with stopwatch(took[name].append):
                await call(n)
    return {name: {**percentiles(t), "p95": percentiles_p95(t)} for name, t in took.items()}


def compared(ms: Timings, figures: Sequence[str], baselines: Sequence[str]) -> dict[str, Any]:
    """The timings with each figure's p50 and p95 ratio to each baseline."""
    ratios = {f"{figure}_vs_{baseline}_{p}": ratio(ms[figure][p], ms[baseline][p])
              for figure in figures for baseline in baselines for p in ("p50", "p95")}
    return {"ms": ms, "ratios": ratios}


def rotating(http: httpx.AsyncClient, url: str, ids: Sequence[str]) -> Call:
    async def call(n: int) -> None:
        (await http.get(f"{url}/cases/{ids[n % len(ids)]}")).raise_for_status()
    return call


def fetching(http: httpx.AsyncClient, url: str, **params: Any) -> Call:
    async def call(_: int) -> None:
        (await http.get(url, params=params)).raise_for_status()
    return call


async def stream_events(http: httpx.AsyncClient, judicial: str,
                        ids: Sequence[str]) -> dict[str, int]:
    """The judicial stream's length (its version) over `ids`: min and max."""
    versions = [(await http.get(f"{judicial}/cases/{case_id}")).raise_for_status()
                .json()["version"] for case_id in ids]
    return {"min": min(versions), "max": max(versions)}


async def measure_judicial(stack: Stack, db: Database, walked: Sequence[str],
                           unwalked: Sequence[str], samples: int) -> dict[str, Any]:
    judicial = stack.url("judicial")

    async def view_row(n: int) -> None:
        query = sa.select(judicial_rows.cases.c.view).where(
            judicial_rows.cases.c.case_id == walked[n % len(walked)])
        async with db.connect() as conn:
            assert await conn.scalar(query) is not None

    async with httpx.AsyncClient(headers=bearer("auditor"), timeout=60) as http:
        lengths = {"walked": await stream_events(http, judicial, walked),
                   "unwalked": await stream_events(http, judicial, unwalked)}
        say(f"judicial GET /cases/{{id}}: {samples} rounds, streams {lengths}")
        ms = await timed(samples, {
            "walked": rotating(http, judicial, walked),
            "unwalked": rotating(http, judicial, unwalked),
            "http_baseline": fetching(http, f"{judicial}/cases", limit=1),
            "sql_view_row": view_row})
    return {"route": "GET /cases/{id} (judicial)", "stream_events": lengths,
            "http_baseline": "GET /cases?limit=1 (judicial)",
            **compared(ms, ("walked", "unwalked"), ("http_baseline", "sql_view_row"))}


async def measure_transport(stack: Stack, db: Database, samples: int) -> dict[str, Any]:
    transport = stack.url("transport")

    async def sql_page(_: int) -> None:
        async with db.connect() as conn:
            await transport_rows.list_cases(conn, eligible=None, status=None,
                                            today=legal_date(datetime.now(UTC)), limit=100,
                                            offset=0)

    async def dead_letters_read(_: int) -> None:
        async with db.connect() as conn:
            await holds.holding(conn, None)

    async with httpx.AsyncClient(headers=bearer("auditor"), timeout=60) as http:
        ms = await timed(samples, {
            "list": fetching(http, f"{transport}/cases"),
            "list_not_eligible": fetching(http, f"{transport}/cases", eligible="false"),
            "http_baseline": fetching(http, f"{transport}/flights", limit=1),
            "sql_page": sql_page, "sql_dead_letters_read": dead_letters_read})
    return compared(ms, ("list", "list_not_eligible"), ("http_baseline", "sql_page"))


async def record_dead_letters(db: Database, namespace: str, case_ids: Sequence[str]) -> None:
    """One waiting dead letter of a holding kind on each case, as transport's judicial
    consumer records one it could not apply (offsets far past any the run produces)."""
    failed_at = datetime.now(UTC)
    async with db.transaction() as conn:
        for n, case_id in enumerate(case_ids):
            await store.record(conn, store.Letter(
                consumer="transport.judicial-events",
                topic=f"{namespace}.runway.judicial.events", partition=0,
                offset=1_000_000_000 + n, key=case_id.encode(),
                value=json.dumps({"case_id": case_id}).encode(),
                headers=[("ce_type", HOLDING_TYPE.encode()),
                         ("ce_id", str(uuid.uuid4()).encode())],
                error_type="BenchSeeded", error_message="recorded by the bench",
                attempts=1, failed_at=failed_at))


async def measure_transport_both(stack: Stack, db: Database, ids: Sequence[str],
                                 samples: int) -> dict[str, Any]:
    """Transport's list with no dead letter waiting, then with some on distinct cases."""
    say(f"transport GET /cases: {samples} rounds, no dead letters waiting")
    none = await measure_transport(stack, db, samples)
    held = ids[::max(1, len(ids) // sized(DEAD_LETTERS))][:sized(DEAD_LETTERS)]
    await record_dead_letters(db, stack.namespace, held)
    async with db.connect() as conn:
        holding = len(await holds.holding(conn, None))  # as the route reads them
    say(f"transport GET /cases: {samples} rounds, {len(held)} dead letters waiting")
    some = await measure_transport(stack, db, samples)
    return {"route": "GET /cases (transport, default page of 100; and ?eligible=false)",
            "http_baseline": "GET /flights?limit=1 (transport)",
            "no_dead_letters": none,
            "with_dead_letters": {"waiting": len(held), "cases_held": holding, **some}}


async def measure(stack: Stack, ids: Sequence[str], walked: Sequence[str],
                  samples: int) -> dict[str, Any]:
    judicial_db = Database(stack.services["judicial"].database_url, pool_size=2)
    transport_db = Database(stack.services["transport"].database_url, pool_size=2)
    skip = set(walked)
    unwalked = [case_id for case_id in ids if case_id not in skip][:len(walked)]
    try:
        case = await measure_judicial(stack, judicial_db, walked, unwalked, samples)
        listing = await measure_transport_both(stack, transport_db, ids, samples)
    finally:
        await judicial_db.dispose()
        await transport_db.dispose()
    return {"cases_loaded": len(ids), "cases_walked": len(walked), "samples": samples,
            "sequential": True, "judicial_case": case, "transport_list": listing}


async def main() -> dict[str, Any]:
    cases, samples = sized(CASES), sized(SAMPLES)
    async with running_stack(SERVICES) as stack:
        ids = await seeded_and_opened(stack, cases, ("judicial", "transport"))
        walked = await treaty_cases(stack.url("judicial"), sized(WALKED))
        say(f"walking {len(walked)} treaty cases through judicial's steps")
        await walk(stack.url("judicial"), walked)
        await walks_applied(stack.url("transport"), walked)
        return await measure(stack, ids, walked, samples)


if __name__ == "__main__":
    print(json.dumps({"reads": asyncio.run(main())}, indent=2))
