"""Live updates: an event reaches the pages open on its case, and only those."""

from __future__ import annotations

import asyncio
import json

from services.console.live import EVERY_CASE, Change, Hub, cases_named, change_of


async def test_an_event_reaches_every_page_open_on_its_case_and_no_other() -> None:
    hub = Hub()
    async with hub.watch("RWY-1") as first, hub.watch("RWY-1") as second, \
            hub.watch("RWY-2") as other:
        change = Change("judicial.hearing_held.v1", "e-1")
        assert hub.publish({"RWY-1"}, change) == 2
        assert await asyncio.wait_for(first.get(), 1) == change
        assert await asyncio.wait_for(second.get(), 1) == change
        assert other.empty()
    assert hub.publish({"RWY-1"}, change) == 0  # closed pages are forgotten


async def test_a_stalled_page_misses_updates_instead_of_holding_them() -> None:
    hub = Hub()
    async with hub.watch("RWY-1") as queue:
        for _ in range(100):
            hub.publish({"RWY-1"}, Change("x", "y"))
        assert queue.qsize() == queue.maxsize


def test_an_event_names_its_case_by_key_or_in_its_data() -> None:
    assert cases_named(b"RWY-1", b'{"case_id": "RWY-1"}') == {"RWY-1"}
    flight = json.dumps({"flight_id": "F-1", "case_id": "RWY-2", "case_ids": ["RWY-3"]})
    # a flight's events are keyed by the flight, which is no case: its data names them
    assert cases_named(b"F-1", flight.encode()) == {"RWY-2", "RWY-3"}
    assert cases_named(b"RWY-4", b'{"reason": "x"}') == {"RWY-4"}
    assert cases_named(None, b"not json") == set()
    assert change_of([("ce_id", b"1"), ("ce_type", b"intake.request_submitted.v2")]) == \
        Change("intake.request_submitted.v2", "1")


async def test_the_case_list_hears_every_case_once_with_the_case_named() -> None:
    hub = Hub()
    async with hub.watch(EVERY_CASE) as listing, hub.watch("RWY-1") as page:
        change = Change("judicial.hearing_held.v1", "e-1")
        assert hub.publish({"RWY-1"}, change) == 2
        assert (await asyncio.wait_for(page.get(), 1)).case_id == ""
        heard = await asyncio.wait_for(listing.get(), 1)
        assert json.loads(heard.as_data()) == {"type": "judicial.hearing_held.v1", "id": "e-1",
                                               "case": "RWY-1"}
        hub.publish({"RWY-2", "RWY-3"}, Change("transport.flight_departed", "e-2"))
        assert listing.qsize() == 1  # one event, one refresh, however many cases it names
