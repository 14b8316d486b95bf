"""The console in a real browser, against the real stack: an operator submits a request, a
judicial clerk finds it and records steps (a refused one shows the rule and keeps the input),
the page speaks Spanish on request, a case page updates live, and axe-core finds no serious or
critical violation on any page visited."""

from __future__ import annotations

import json
import os
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from axe_playwright_python.async_playwright import Axe  # type: ignore[import-untyped]
from playwright.async_api import Browser, Page, expect

from services.console import rule_texts
from shared.legaltime import legal_date
from shared.retry import poll
from shared.settings import REPO_ROOT
from tests.browser.conftest import DEADLINE_MS, SCREENSHOTS
from tests.browser.stack import Console
from tests.support.auth import auth_headers
from tests.support.requests import request as request_body
from tests.support.stack import Stack

# The first test also starts the stack (six processes) and one walks a case through three
# roles: room for a machine three times slower than a developer's, whose run takes ~2 minutes.
pytestmark = pytest.mark.timeout(600)

TODAY = legal_date(datetime.now(UTC))
LEGAL = ZoneInfo("America/Mexico_City")


def days_ago(n: int) -> str:
    return (TODAY - timedelta(days=n)).isoformat()


async def accessible(page: Page) -> None:
    """axe-core on the page as it is now: no serious or critical violation."""
    results = await Axe().run(page)
    bad = [f"{v['id']} ({v['impact']}): {v['help']} at "
           f"{[n['target'] for n in v['nodes']][:3]}"
           for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert not bad, f"{page.url}: " + "; ".join(bad)


async def sign_in(page: Page, console: Console, subject: str, role: str) -> None:
    await page.goto(f"{console.url}/sign-in")
    await page.get_by_label("Your name or user id").fill(subject)
    await page.get_by_label("Role").select_option(role)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_text(f"Signed in as {subject}")).to_be_visible()


async def sign_in_by_keyboard(page: Page, console: Console, subject: str) -> None:
    """Keyboard only: Tab to the subject, type, Tab to the role (operator is first), Tab to
    the button, Enter."""
    await page.goto(f"{console.url}/cases")  # not signed in: sent to the sign-in page
    await expect(page).to_have_url(f"{console.url}/sign-in?next=%2Fcases")
    for _ in range(12):
        await page.keyboard.press("Tab")
        if await page.evaluate("document.activeElement.id") == "subject":
            break
    assert await page.evaluate("document.activeElement.id") == "subject"
    await page.keyboard.type(subject)
    await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.id") == "role"
    await page.keyboard.press("Tab")
    await page.keyboard.press("Enter")
    await expect(page).to_have_url(f"{console.url}/cases")


async def submit_by_api(stack: Stack, family: str) -> str:
    async with httpx.AsyncClient(base_url=stack.url("intake"), timeout=10) as http:
        response = await http.post("/cases", json=request_body(family=family),
                                   headers=auth_headers("operator", "op-api"))
    assert response.status_code == 201, response.text
    case_id: str = response.json()["case_id"]
    return case_id


async def judicial_case(stack: Stack, case_id: str) -> dict[str, Any] | None:
    async with httpx.AsyncClient(base_url=stack.url("judicial"), timeout=10) as http:
        response = await http.get(f"/cases/{case_id}", headers=auth_headers("auditor"))
    return response.json() if response.status_code == 200 else None


async def test_an_operator_submits_and_a_clerk_records_steps_through_the_pages(
        stack: Stack, console: Console, browser: Browser, page: Page) -> None:
    family = f"Caro Quintero {uuid.uuid4().hex[:6]}"
    # The operator, keyboard only to sign in.
    await sign_in_by_keyboard(page, console, "op-ana")
    await accessible(page)
    await page.get_by_role("link", name="Submit a request").click()
    await page.get_by_role("button", name="Submit the request").click()
    # Nothing filled in: intake's 422, each answer beside its field.
    given = page.locator("#f-person-given_names")
    await expect(given).to_have_attribute("aria-invalid", "true")
    await expect(page.locator("#f-person-given_names-problems")).to_contain_text(
        "Must not be empty")
    await accessible(page)
    await given.fill("Rafael")
    await page.locator("#f-person-family_names").fill(family)
    await page.locator("#f-person-nationality").fill("Mexican")
    await page.locator("#f-legal_basis").select_option("treaty")
    await page.locator("#f-requesting_district").fill("EDNY")
    await page.locator("#f-prosecutor_office").fill("US Attorney's Office, EDNY")
    await page.locator("#f-request_reference").fill(f"OIA-{family[-6:]}")
    for name, value in (("charge_id", "c1"), ("statute", "21 U.S.C. § 848"),
                        ("description", "continuing criminal enterprise"),
                        ("max_penalty_us-years", "30"), ("mx_equivalent_offence", "delincuencia"),
                        ("max_penalty_mx-years", "40")):
        await page.locator(f"#f-charges-0-{name}").fill(value)
    await page.locator("#f-charges-0-death_penalty_possible").select_option("false")
    await page.locator("#f-documents-0-kind").fill("arrest_warrant")
    await page.locator("#f-documents-0-reference").fill("WAR-1")
    await page.locator("#f-documents-1-kind").fill("diplomatic_note")
    await page.locator("#f-documents-1-reference").fill("DN-1")
    await page.get_by_role("button", name="Submit the request").click()
    await expect(page.get_by_role("status").filter(has_text="Recorded: the request")
                 ).to_be_visible()
    case_id = page.url.split("/cases/")[1].split("?")[0]
    await wait_until(lambda: judicial_case(stack, case_id), "judicial opened the case")
    # A batch pasted as JSON: each request answered on its own, problems named by field.
    await page.get_by_role("link", name="Submit a request").click()
    batch = [request_body(family=f"Lote {family[-6:]}"),
             {**request_body(), "person": {"family_names": "X", "nationality": "Mexican"}}]
    await page.locator("#batch-format").select_option("json")
    await page.locator("#batch-text").fill(json.dumps(batch))
    await page.get_by_role("button", name="Submit the batch").click()
    await expect(page.locator('tr[data-outcome="created"]')).to_have_count(1)
    await expect(page.locator('tr[data-outcome="invalid"]')).to_contain_text(
        "person.given_names")
    await accessible(page)

    # A judicial clerk, in a browser of their own, finds the case by name.
    clerk = await (await browser.new_context(locale="en-US")).new_page()
    clerk.set_default_timeout(DEADLINE_MS)
    await sign_in(clerk, console, "clerk-luz", "judicial_clerk")
    await clerk.get_by_label("Search by name, reference or case id").fill(family)
    await clerk.get_by_label("Search by name, reference or case id").press("Enter")
    await expect(clerk.get_by_text("1 cases found")).to_be_visible()
    await accessible(clerk)
    await clerk.get_by_role("link", name=f"Rafael {family}").click()
    await expect(clerk.get_by_role("heading", level=1)).to_contain_text(f"Rafael {family}")
    hold = clerk.locator('li[data-rule="surrender_not_ordered"]')
    shown = rule_texts.shown("surrender_not_ordered", "en")
    await expect(hold).to_contain_text(shown.statement)
    await expect(hold).to_contain_text(shown.source or "")
    await expect(clerk.locator('tr[data-event-type="intake.request_submitted"]')
                 ).to_contain_text("op-ana (operator)")
    await accessible(clerk)

    # The hearing before the formal request: refused with the rule's text, input kept.
    await clerk.locator("#step-judicial-hearing summary").focus()
    await clerk.keyboard.press("Enter")
    await clerk.locator("#judicial-hearing-held_on").fill(days_ago(1))
    await clerk.locator("#step-judicial-hearing").get_by_role("button", name="Record").click()
    refusal = clerk.locator("#step-judicial-hearing .refusal")
    await expect(refusal).to_be_visible()
    rule_id = await refusal.locator(".rule-id").inner_text()
    assert rule_id in rule_texts.registry(), rule_id
    await expect(refusal).to_contain_text(rule_texts.shown(rule_id, "en").statement)
    await expect(clerk.locator("#judicial-hearing-held_on")).to_have_value(days_ago(1))
    await accessible(clerk)

    # Provisional detention starts the 60-day clock; the page counts the days left.
    await clerk.locator("#step-judicial-provisional_detention summary").click()
    await clerk.locator("#judicial-provisional_detention-ordered_on").fill(days_ago(3))
    await clerk.locator("#step-judicial-provisional_detention").get_by_role(
        "button", name="Record").click()
    await expect(clerk.get_by_text("Recorded: Provisional detention ordered.")).to_be_visible()
    clock = clerk.locator("#clocks-heading + table tbody tr").first
    due = date.fromisoformat(
        await clock.locator("td").nth(2).locator("time").get_attribute("datetime") or "")
    await expect(clock.locator("td").nth(3)).to_have_text(f"{(due - TODAY).days} days")
    # The API's due_on is the first day out of time, so it is not labelled as the last day.
    await expect(clerk.get_by_role("columnheader", name="Out of time from")).to_be_visible()

    # In Spanish: the labels and the rule's statement from the Spanish catalogue.
    await clerk.get_by_label("Language").select_option("es")
    await clerk.get_by_role("button", name="Change").click()
    await expect(clerk.get_by_role("heading", name="Qué detiene el caso")).to_be_visible()
    await expect(clerk.locator('li[data-rule="surrender_not_ordered"]')).to_contain_text(
        rule_texts.shown("surrender_not_ordered", "es").statement)
    await accessible(clerk)
    await clerk.get_by_role("link", name="Vuelos").click()
    await expect(clerk.get_by_role("heading", name="Vuelos")).to_be_visible()
    await accessible(clerk)

    # An auditor: verify OK, and the case as of yesterday's legal date (the detention ordered
    # three days ago is in it; nothing the clerk's role offers is offered to an auditor).
    auditor = await (await browser.new_context(locale="en-US")).new_page()
    auditor.set_default_timeout(DEADLINE_MS)
    await sign_in(auditor, console, "aud-eva", "auditor")
    await auditor.goto(f"{console.url}/cases/{case_id}")
    await expect(auditor.get_by_text("Your role records nothing on this page.")).to_be_visible()
    await auditor.get_by_role("link", name="Auditors").click()
    await expect(auditor.locator('[data-verify-ok="true"]')).to_contain_text("Verify OK")
    await auditor.locator("#case_id").fill(case_id)
    await auditor.locator("#legal_date").fill(days_ago(1))
    await auditor.get_by_role("button", name="Show").click()
    await expect(auditor.locator('tr[data-event-type="judicial.provisional_detention_ordered"]')
                 ).to_be_visible()
    await expect(auditor.get_by_role("table", name="Who did what")).to_contain_text(
        "clerk-luz (judicial_clerk)")
    await accessible(auditor)
    async with auditor.expect_download() as download:
        await auditor.get_by_role("link", name="Download the case's history").click()
    exported = Path(await (await download.value).path()).read_text()
    assert case_id in exported and "judicial.provisional_detention_ordered" in exported


async def test_an_open_case_page_shows_another_users_step_without_a_reload(
        stack: Stack, console: Console, page: Page) -> None:
    marker = uuid.uuid4().hex[:6]
    case_id = await submit_by_api(stack, f"Guzmán {marker}")
    await wait_until(lambda: judicial_case(stack, case_id), "judicial opened the case")
    await sign_in(page, console, "clerk-ana", "judicial_clerk")
    await page.goto(f"{console.url}/cases/{case_id}")
    await expect(page.locator('[data-live-state="connected"]')).to_be_attached()
    await wait_until(lambda: live_subscribed(console), "the console's subscriber joined")
    await page.evaluate("window.sameDocument = true")
    async with httpx.AsyncClient(base_url=stack.url("judicial"), timeout=10) as http:
        response = await http.post(f"/cases/{case_id}/formal-request",
                                   json={"received_on": days_ago(2)},
                                   headers=auth_headers("judicial_clerk", "clerk-other"))
    assert response.status_code == 200, response.text
    recorded = time.monotonic()
    row = page.locator('tr[data-event-type="judicial.formal_request_received"]')
    await expect(row).to_contain_text("clerk-other (judicial_clerk)")
    took = time.monotonic() - recorded
    assert await page.evaluate("window.sameDocument === true"), "the page was reloaded"
    await expect(page.locator(".live-message")).to_contain_text("Updated with a new event")
    # Within a second on a quiet machine; the bound leaves room for a slow CI box.
    assert took < 5, f"the update took {took:.1f} s"

    # The case list, searched by name, shows a request another operator submits meanwhile.
    await page.goto(f"{console.url}/cases?q={marker}")
    await expect(page.get_by_text("1 cases found")).to_be_visible()
    await expect(page.locator('[data-live-state="connected"]')).to_be_attached()
    await page.evaluate("window.sameDocument = true")
    await submit_by_api(stack, f"Guzmán López {marker}")
    await expect(page.get_by_text("2 cases found")).to_be_visible()
    assert await page.evaluate("window.sameDocument === true"), "the list was reloaded"
    await expect(page.locator(".live-message")).to_contain_text("List updated:")
    await accessible(page)


async def wait_until(check: Any, what: str) -> None:
    await poll(check, within=DEADLINE_MS / 1000, every=0.1, what=what)


async def live_subscribed(console: Console) -> bool:
    async with httpx.AsyncClient(timeout=5) as http:
        ready = (await http.get(f"{console.url}/readyz")).json()
    return bool(ready["live_updates"] == "subscribed")


async def transport_case(stack: Stack, case_id: str) -> dict[str, Any] | None:
    async with httpx.AsyncClient(base_url=stack.url("transport"), timeout=10) as http:
        response = await http.get(f"/cases/{case_id}", headers=auth_headers("auditor"))
    return response.json() if response.status_code == 200 else None


async def assurance_case(stack: Stack, case_id: str) -> dict[str, Any] | None:
    async with httpx.AsyncClient(base_url=stack.url("assurance"), timeout=10) as http:
        response = await http.get(f"/cases/{case_id}", headers=auth_headers("auditor"))
    return response.json() if response.status_code == 200 else None


async def new_user(browser: Browser, console: Console, subject: str, role: str) -> Page:
    """Another person at their own desk: a browser context of their own, signed in."""
    window = await (await browser.new_context(locale="en-US",
                                              viewport={"width": 1280, "height": 900})
                    ).new_page()
    window.set_default_timeout(DEADLINE_MS)
    await sign_in(window, console, subject, role)
    await accessible(window)
    return window


async def record(page: Page, step: str, values: dict[str, str],
                 choices: dict[str, str] | None = None) -> None:
    """Open a step's form, fill it in, record it, and see it confirmed."""
    prefix = step.replace(".", "-")
    await page.locator(f"#step-{prefix} summary").click()
    for name, value in values.items():
        await page.locator(f"#{prefix}-{name}").fill(value)
    for name, value in (choices or {}).items():
        await page.locator(f"#{prefix}-{name}").select_option(value)
    await page.locator(f"#step-{prefix}").get_by_role("button", name="Record").click()
    await expect(page.get_by_role("status").filter(has_text="Recorded:")).to_be_visible()
    await accessible(page)


async def submit_national_security_request(page: Page, family: str) -> str:
    """The operator's request through the submit page: a national-security transfer with a
    capital count (c2), so the DOJ's commitment is needed before anyone may fly."""
    await page.get_by_role("link", name="Submit a request").click()
    await accessible(page)
    for field, value in (("person-given_names", "Rafael"), ("person-family_names", family),
                         ("person-nationality", "Mexican"), ("requesting_district", "EDNY"),
                         ("prosecutor_office", "US Attorney's Office, EDNY"),
                         ("us_request_reference", "DOJ-OIA-NS-17")):
        await page.locator(f"#f-{field}").fill(value)
    await page.locator("#f-legal_basis").select_option("national_security")
    counts = ((0, "c1", "21 U.S.C. § 848", "continuing criminal enterprise", "false"),
              (1, "c2", "18 U.S.C. § 1114", "murder of a federal officer", "true"))
    for slot, charge_id, statute, description, capital in counts:
        for name, value in (("charge_id", charge_id), ("statute", statute),
                            ("description", description), ("max_penalty_us-years", "30"),
                            ("mx_equivalent_offence", "homicidio"),
                            ("max_penalty_mx-years", "40")):
            await page.locator(f"#f-charges-{slot}-{name}").fill(value)
        await page.locator(f"#f-charges-{slot}-death_penalty_possible").select_option(capital)
    await page.locator("#f-charges-1-death_penalty_law").fill("18 U.S.C. § 3591")
    await page.get_by_role("button", name="Submit the request").click()
    await expect(page.get_by_role("status").filter(has_text="Recorded: the request")
                 ).to_be_visible()
    await accessible(page)
    return page.url.split("/cases/")[1].split("?")[0]


async def find_case(page: Page, console: Console, family: str) -> None:
    """Search the list by name and open the case, as a newcomer would."""
    await page.goto(f"{console.url}/cases")
    await page.get_by_label("Search by name, reference or case id").fill(family)
    await page.get_by_label("Search by name, reference or case id").press("Enter")
    await expect(page.get_by_text("1 cases found")).to_be_visible()
    await accessible(page)
    await page.get_by_role("link", name=f"Rafael {family}").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text(family)
    await accessible(page)


async def test_a_newcomer_carries_a_case_from_request_to_us_court_through_the_pages(
        stack: Stack, console: Console, browser: Browser, page: Page) -> None:
    """An operator submits, a judicial clerk authorises the transfer, an assurance officer
    records the DOJ commitment, a marshal plans and flies it, the court opens intake and its
    clerk dockets the case, an auditor sees verify OK and the case as of yesterday: every step
    through the pages (the API is only read, to wait for the services to catch up)."""
    family = f"Salazar {uuid.uuid4().hex[:6]}"
    yesterday = TODAY - timedelta(days=1)
    await sign_in(page, console, "op-newcomer", "operator")
    await accessible(page)
    case_id = await submit_national_security_request(page, family)
    await wait_until(lambda: judicial_case(stack, case_id), "judicial opened the case")

    # The judicial clerk: Mexico authorised the transfer yesterday morning (legal time).
    clerk = await new_user(browser, console, "clerk-newcomer", "judicial_clerk")
    await find_case(clerk, console, family)
    await record(clerk, "judicial.national_security_transfer", {
        "authorized_at": f"{yesterday.isoformat()}T09:30",
        "us_request_reference": "DOJ-OIA-NS-17", "authority": "SSPC"})

    # The assurance officer: the DOJ's commitment not to seek death on the capital count.
    await wait_until(lambda: assurance_case(stack, case_id), "assurance opened the case")
    officer = await new_user(browser, console, "officer-newcomer", "assurance_officer")
    await find_case(officer, console, family)
    await record(officer, "assurance.doj_commitment", {
        "reference": "DOJ letter 17", "committed_on": yesterday.isoformat(),
        "authority": "US Department of Justice",
        "scope": "the United States will not seek the death penalty", "charge_ids": "c2",
        "prosecuting_authority": "federal"}, {"seeks_death": "false"})
    await expect(officer.get_by_text("Capital · covered by the DOJ commitment")).to_be_visible()

    async def eligible() -> bool:
        found = await transport_case(stack, case_id)
        return bool(found and found["eligibility"]["eligible"])

    await wait_until(eligible, "transport sees the person eligible")

    # The marshal plans the transfer and flies it.
    marshal = await new_user(browser, console, "marshal-newcomer", "transport_officer")
    await marshal.get_by_role("link", name="Flights").click()
    await accessible(marshal)
    await marshal.locator("#step-transport-plan summary").click()
    await marshal.locator("#transport-plan-case_ids").fill(case_id)
    await marshal.locator("#transport-plan-aircraft").fill("XC-MGA")
    await marshal.locator("#transport-plan-capacity").fill("30")
    await marshal.locator("#transport-plan-departure_base").fill("Mexico City (AIFA)")
    departure = datetime.now(UTC) + timedelta(hours=2)
    await marshal.locator("#transport-plan-scheduled_departure").fill(
        departure.astimezone(LEGAL).strftime("%Y-%m-%dT%H:%M"))
    await marshal.locator("#step-transport-plan").get_by_role("button", name="Record").click()
    await expect(marshal.locator('tr[data-outcome="assigned"]')).to_contain_text(case_id)
    await accessible(marshal)
    await marshal.locator("main ul a").first.click()  # the planned flight
    await expect(marshal.get_by_role("heading", level=1)).to_contain_text("Flight")
    row = marshal.locator("table.list tbody tr").filter(has_text=family)
    await expect(row).to_be_visible()
    airport = (await row.locator("td").nth(1).inner_text()).split(" ")[0]
    await accessible(marshal)
    now = datetime.now(LEGAL)

    def minutes_ago(n: int) -> str:
        return (now - timedelta(minutes=n)).strftime("%Y-%m-%dT%H:%M")

    await record(marshal, "transport.custody", {
        "case_id": case_id, "transferred_at": minutes_ago(30),
        "place": "aboard the aircraft at AIFA", "mexican_officer": "FGR agent",
        "us_marshal": "Marshal Joe"})
    await record(marshal, "transport.departure", {"departed_at": minutes_ago(20)})
    await record(marshal, "transport.landing", {"airport": airport,
                                                "landed_at": minutes_ago(5)})
    await expect(row.locator("td").nth(3)).to_contain_text(airport)  # where it landed

    # The landing opens the US court's intake (court records it on its own); its clerk sees
    # the case there and records the docket number.
    court = await new_user(browser, console, "court-newcomer", "court_clerk")
    await court.goto(f"{console.url}/cases/{case_id}")

    async def in_court() -> bool:
        await court.reload()
        return await court.locator('[data-status="in_us_court"]').count() == 1

    await wait_until(in_court, "the case reached the US court")
    await expect(court.locator('tr[data-event-type="court.intake_opened"]')).to_be_visible()
    await accessible(court)
    await record(court, "court.docket", {"docket_number": "1:26-cr-00017"})
    await expect(court.locator('tr[data-event-type="court.docket_assigned"]')).to_contain_text(
        "court-newcomer (court_clerk)")

    # The auditor: the case page (the README's screenshot), verify OK, and the case as of
    # yesterday's legal date: authorised and committed, not yet flown.
    auditor = await new_user(browser, console, "aud-newcomer", "auditor")
    await find_case(auditor, console, family)
    await expect(auditor.locator('tr[data-event-type="transport.person_landed"]')
                 ).to_be_visible()
    await auditor.screenshot(path=str(case_page_screenshot()), full_page=True)
    await auditor.get_by_role("link", name="Auditors").click()
    await expect(auditor.locator('[data-verify-ok="true"]')).to_contain_text("Verify OK")
    await accessible(auditor)
    await auditor.locator("#case_id").fill(case_id)
    await auditor.locator("#legal_date").fill(yesterday.isoformat())
    await auditor.get_by_role("button", name="Show").click()
    await expect(auditor.locator(
        'tr[data-event-type="judicial.national_security_transfer_authorized"]')).to_be_visible()
    await expect(auditor.locator('tr[data-event-type="transport.person_landed"]')
                 ).to_have_count(0)
    await accessible(auditor)


def case_page_screenshot() -> Path:
    """Where the case page's picture goes: docs/img (the README shows it) when
    RUNWAY_README_SCREENSHOT=1, else beside the failure screenshots (a run leaves git clean)."""
    if os.environ.get("RUNWAY_README_SCREENSHOT") == "1":
        path = REPO_ROOT / "docs" / "img" / "case-page.png"
    else:
        path = SCREENSHOTS / "case-page.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path
