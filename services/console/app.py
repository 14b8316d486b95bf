"""The console's pages: FastAPI routes rendering Jinja2 templates.

Each page reads what it shows from the services' APIs with the signed-in user's token and
renders it on the server; a form posts back here, the console calls the API, and either
redirects (the act was recorded) or renders the form again with the API's answer beside it and
every value kept. Pages work without JavaScript; static/console.js only adds live updates.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.responses import StreamingResponse

from shared.legaltime import legal_date
from shared.retry import poll
from shared.security import load_matrix
from shared.topology import DEFAULT_PORTS

from . import batch, i18n, listing, live, rule_texts, submission
from .api import LIST_CEILING, LIST_PAGE, ApiError, Apis, Unreachable
from .dates import Dates
from .session import (
    COOKIE,
    LANGUAGE_COOKIE,
    Session,
    decode_cookie,
    encode_cookie,
    local_session,
    session_from_token,
)
from .settings import ConsoleSettings
from .steps import STEPS, FormProblem, allowed_steps, body_of, may, on

log = logging.getLogger("runway.console")
HERE = Path(__file__).resolve().parent
LIVE_PING_S = 15.0
LIVE_CATCH_UP_S = 5.0
# On a live fragment rendered before intake's timeline showed the event it was asked for.
CATCHING_UP_HEADER = "Runway-Catching-Up"
# On a live fragment whose session ended: where its page's script sends the user to sign in.
SIGN_IN_HEADER = "Runway-Sign-In"


# The services whose view of a case says what holds it back before the landing: one that has
# not opened the case yet cannot say that nothing does.
HOLDING_SERVICES = ("judicial", "assurance", "transport")

# A page's forms before any was tried.
NO_STEP: dict[str, Any] = {"open_step": None, "step_values": {}, "step_problems": {},
                           "step_refusal": None, "recorded": None}


@dataclass(frozen=True)
class Attempt:
    """A step form's post: the API's answer (None when it was not recorded), and the form as
    sent with its problems by field (422) or the API's refusal (403, 409)."""

    step_id: str
    answer: Any
    form: dict[str, str]
    problems: dict[str, list[dict[str, Any]]]
    refusal: dict[str, Any] | None

    @property
    def code(self) -> int:
        """The status of the page that shows the form again."""
        return 422 if self.problems else 409

    def reopened(self) -> dict[str, Any]:
        """The page's arguments that reopen the step's form with what went wrong."""
        return {"open_step": self.step_id, "step_values": self.form,
                "step_problems": self.problems, "step_refusal": self.refusal}


class SignInNeeded(Exception):
    """No valid session, or the API no longer accepts its token."""


def create_app(settings: ConsoleSettings, apis: Apis | None = None) -> FastAPI:
    hub = live.Hub()
    matrix = load_matrix()
    clients = apis or Apis(settings.service_urls(), settings.api_timeout_s)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        stop = asyncio.Event()
        task = None
        if settings.live_updates:
            task = asyncio.create_task(live.run(
                hub, settings.kafka_bootstrap_servers, settings.topic_namespace,
                DEFAULT_PORTS, settings.kafka_security.resolve(), stop))
        try:
            yield
        finally:
            stop.set()
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await clients.close()

    app = FastAPI(title="Runway console", lifespan=lifespan, docs_url=None, redoc_url=None,
                  openapi_url=None)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.globals["label"] = i18n.label_or_value
    templates.env.globals["problem"] = i18n.problem_text

    def language(request: Request) -> str:
        return i18n.choose(request.cookies.get(LANGUAGE_COOKIE),
                           request.headers.get("accept-language"))

    def session_of(request: Request) -> Session:
        session = decode_cookie(request.cookies.get(COOKIE), settings.cookie_secret,
                                settings.auth.roles_claim)
        if session is None:
            raise SignInNeeded
        return session

    def render(request: Request, template: str, code: int = 200,
               **context: Any) -> HTMLResponse:
        lang = language(request)
        session = decode_cookie(request.cookies.get(COOKIE), settings.cookie_secret,
                                settings.auth.roles_claim)
        dates = Dates(lang, settings.legal_timezone)
        return templates.TemplateResponse(request, template, status_code=code, context={
            "t": i18n.translator(lang), "lang": lang, "session": session,
            "day": dates.day, "instant": dates.instant, "zone": settings.legal_timezone,
            "may_submit": bool(session and may(session.roles, "intake", "POST", "/cases",
                                               matrix)),
            "may_audit": bool(session and may(session.roles, "audit", "GET", "/verify",
                                              matrix)),
            "page_url": _page_url(request), **context})

    async def call(session: Session, service: str, method: str, path: str, **kw: Any) -> Any:
        try:
            return await clients.call(session.token, service, method, path, **kw)
        except ApiError as error:
            if error.status == 401:
                raise SignInNeeded from error
            raise

    @app.exception_handler(SignInNeeded)
    async def _sign_in(request: Request, _error: SignInNeeded) -> Response:
        # Back to the page after signing in: for a form's post, the page the form was on; for
        # a live fragment, the page it is part of (its script goes there: a redirect would
        # put the sign-in page inside the page).
        fragment = request.url.path.endswith("/live")
        back = str(request.url) if request.method == "GET" else \
            request.headers.get("referer", "/cases")
        if fragment:
            back = request.url.path.removesuffix("/live") or "/cases"
        target = "/sign-in?next=" + quote(_local_path(back), safe="")
        response: Response = Response(status_code=401, headers={SIGN_IN_HEADER: target}) \
            if fragment else RedirectResponse(target, status_code=303)
        response.delete_cookie(COOKIE)
        return response

    @app.exception_handler(Unreachable)
    async def _unreachable(request: Request, error: Unreachable) -> Response:
        return render(request, "error.html", 502, message_key="error.unreachable",
                      service=error.service)

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, error: ApiError) -> Response:
        key = {403: "error.forbidden", 404: "error.not_found"}.get(
            error.status, "error.failed" if error.status >= 500 else "error.api")
        return render(request, "error.html", error.status if error.status < 500 else 502,
                      message_key=key, service=error.service, detail=error.detail)

    @app.middleware("http")
    async def same_origin_posts(request: Request, call_next: Any) -> Response:
        # The session cookie is SameSite=Lax; a POST must also come from our own pages.
        if request.method == "POST":
            origin = request.headers.get("origin")
            if origin and urlsplit(origin).netloc != request.url.netloc:
                return JSONResponse({"error": "forbidden", "detail": "cross-site form post"},
                                    status_code=403)
        response: Response = await call_next(request)
        return response

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> dict[str, Any]:
        return {"status": "ready", "live_updates": "off" if not settings.live_updates
                else ("subscribed" if hub.assigned else "joining")}

    @app.get("/", include_in_schema=False)
    async def home() -> Response:
        return RedirectResponse("/cases", status_code=303)

    # --- signing in and out, language ----------------------------------------------------

    # The roles a person signs in as here: those the matrix lets read the case list (not the
    # services' own, nor operations, whose dead letters have no page here).
    console_roles = [role for role in matrix.roles
                     if may([role], "intake", "GET", "/cases", matrix) and role != "service"]

    @app.get("/sign-in", response_class=HTMLResponse)
    async def sign_in_page(request: Request, next: str = "/cases") -> Response:
        return render(request, "sign_in.html", local=settings.local_issuer(),
                      roles=console_roles, next=_local_path(next), problem=None, values={})

    @app.post("/sign-in")
    async def sign_in(request: Request) -> Response:
        form = await _form(request)
        target = _local_path(form.get("next") or "/cases")
        problem = None
        session = None
        if settings.local_issuer():
            subject, role = form.get("subject", "").strip(), form.get("role", "")
            if not subject:
                problem = "sign_in.subject_required"
            elif role not in console_roles:
                problem = "sign_in.role_required"
            else:
                session = local_session(settings.auth, subject, role)
        else:
            try:
                session = session_from_token(form.get("token", "").strip(),
                                             settings.auth.roles_claim)
            except ValueError:
                problem = "sign_in.token_invalid"
        if session is None:
            return render(request, "sign_in.html", 422, local=settings.local_issuer(),
                          roles=console_roles, next=target, problem=problem,
                          values=form)
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(COOKIE, encode_cookie(session, settings.cookie_secret),
                            httponly=True, samesite="lax", secure=settings.cookie_secure,
                            max_age=max(1, int((session.expires_at
                                                - datetime.now(UTC)).total_seconds())))
        return response

    @app.post("/sign-out")
    async def sign_out() -> Response:
        response = RedirectResponse("/sign-in", status_code=303)
        response.delete_cookie(COOKIE)
        return response

    @app.post("/language")
    async def set_language(request: Request) -> Response:
        form = await _form(request)
        chosen = form.get("language", "")
        response = RedirectResponse(_local_path(form.get("next") or "/cases"), status_code=303)
        if chosen in i18n.LANGUAGES:
            response.set_cookie(LANGUAGE_COOKIE, chosen, max_age=365 * 86400, samesite="lax",
                                httponly=True, secure=settings.cookie_secure)
        return response

    # --- cases -------------------------------------------------------------------------------

    @app.get("/cases", response_class=HTMLResponse)
    async def cases(request: Request) -> Response:
        return render(request, "cases.html", **await case_list(request, session_of(request)))

    async def case_list(request: Request, session: Session) -> dict[str, Any]:
        # Intake's list and assurance's flags at once: the page waits for the slower only.
        everything, flagged = await asyncio.gather(_all_cases(call, session),
                                                   _flagged_cases(call, session))
        everything = [{**case, "flagged": case["case_id"] in (flagged or ())}
                      for case in everything]
        query = listing.CaseQuery.of(dict(request.query_params))
        shown = listing.select(everything, query, settings.page_size)
        return {"listed": shown, "query": query, "everything": len(everything),
                "flags_unavailable": flagged is None}

    @app.get("/cases/live", response_class=HTMLResponse)
    async def cases_live(request: Request, event: str = "", case: str = "") -> Response:
        """The list's changing parts, for a live update (as the case page's fragment)."""
        session = session_of(request)
        if event and case:  # wait for intake to have projected what Kafka told us
            await _timeline_shows(call, session, case, event)
        return render(request, "cases_list.html", **await case_list(request, session))

    @app.get("/cases/events")
    async def every_case_events(request: Request) -> Response:
        # The stream calls no API itself: intake first checks that this token may read the
        # cases (its 401 sends the user to sign in, its 403 is the error page), as every
        # page does by reading them.
        await call(session_of(request), "intake", "GET", "/cases", params={"limit": 1})
        return live_stream(request, live.EVERY_CASE)

    @app.get("/cases/{case_id}", response_class=HTMLResponse)
    async def case_page(request: Request, case_id: str, recorded: str = "",
                        version: int | None = None) -> Response:
        session = session_of(request)
        step = STEPS.get(recorded)
        if step is not None and version is not None:
            # Just recorded by this user: intake's cross-service timeline learns of it from
            # Kafka a moment later; wait (boundedly) so the page shows the act it confirms.
            await _timeline_reaches(call, session, case_id, step.service, version)
        view = await _case_view(call, session, case_id, language(request), settings)
        return render(request, "case.html", **view,
                      steps=on("case", allowed_steps(session.roles, matrix)), open_step=None,
                      step_values={}, step_problems={}, step_refusal=None,
                      recorded=_recorded(request.query_params.get("recorded")))

    @app.get("/cases/{case_id}/live", response_class=HTMLResponse)
    async def case_live(request: Request, case_id: str, event: str = "") -> Response:
        session = session_of(request)
        # Kafka told us as soon as the event was published; intake's cross-service timeline
        # learns of it from the same topic a moment later. Wait (boundedly) for it there, so
        # the page never shows a status without the event that moved it; if intake is further
        # behind, the page is told to ask again (console.js) rather than left without it.
        behind = bool(event) and not await _timeline_shows(call, session, case_id, event)
        view = await _case_view(call, session, case_id, language(request), settings)
        response = render(request, "case_live.html", **view)
        if behind:
            response.headers[CATCHING_UP_HEADER] = event
        return response

    def live_stream(request: Request, case_id: str) -> Response:
        async def stream() -> AsyncIterator[str]:
            async with hub.watch(case_id) as queue:
                yield "event: ready\ndata: watching\n\n"
                while not await request.is_disconnected():
                    try:
                        change = await asyncio.wait_for(queue.get(), LIVE_PING_S)
                    except TimeoutError:
                        yield ": ping\n\n"
                        continue
                    yield f"event: changed\ndata: {change.as_data()}\n\n"

        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store"})

    @app.get("/cases/{case_id}/events")
    async def case_events(request: Request, case_id: str) -> Response:
        # As for every case's stream: intake checks the token may read this case first.
        await call(session_of(request), "intake", "GET",
                   f"/cases/{quote(case_id, safe='')}")
        return live_stream(request, case_id)

    async def attempt(request: Request, session: Session, step_id: str, subject: str,
                      subject_id: str) -> Attempt:
        """Record a step through its API: the API's answer, or the form with its problems by
        field or its refusal. Raises for an unknown step or an answer a page can't show."""
        step = STEPS.get(step_id)
        if step is None or step.subject != subject:
            raise ApiError(404, {"error": "not_found", "detail": step_id}, "console")
        form = await _form(request)
        problems: dict[str, list[dict[str, Any]]] = {}
        refusal = None
        try:
            body = body_of(step, form, settings.legal_timezone)
            answer = await call(session, step.service, "POST", step.url(subject_id, form),
                                json=body)
            return Attempt(step_id, answer, form, problems, refusal)
        except FormProblem as problem:
            problems[problem.name] = [{"msg_key": problem.message_key}]
        except ApiError as error:
            if error.status == 422:
                for p in rule_texts.with_statements(error.problems(), language(request)):
                    loc = [str(x) for x in p.get("loc", []) if x != "body"]
                    problems.setdefault(step.form_field(loc), []).append(p)
            elif error.status in (403, 404, 409):  # 404: an id in the form names nothing
                refusal = {"status": error.status, "rule": error.rule,
                           "shown": rule_texts.shown(error.rule, language(request))
                           if error.rule else None, "detail": error.detail}
            else:
                raise
        return Attempt(step_id, None, form, problems, refusal)

    async def record_step(request: Request, step_id: str, subject: str, subject_id: str, *,
                          done: Callable[[Any], Response],
                          again: Callable[[Session, Attempt], Awaitable[Response]]) -> Response:
        """Every step form's post: `done` answers a recorded step (a redirect), `again` renders
        the subject's page with the form reopened beside what went wrong."""
        session = session_of(request)
        tried = await attempt(request, session, step_id, subject, subject_id)
        if tried.answer is None:
            return await again(session, tried)
        return done(tried.answer)

    def recorded_redirect(page: str, step_id: str, anchor: str = "",
                          answer: Any = None) -> Response:
        """To the page that confirms the step, with the stream version the step reached when
        the API answers it (the page waits for intake's timeline to reach it)."""
        version = answer.get("version") if isinstance(answer, dict) else None
        query = f"recorded={step_id}" + (f"&version={version}" if isinstance(version, int)
                                         else "")
        return RedirectResponse(f"{page}?{query}{anchor}", status_code=303)

    @app.post("/cases/{case_id}/steps/{step_id}", response_class=HTMLResponse)
    async def take_step(request: Request, case_id: str, step_id: str) -> Response:
        async def again(session: Session, tried: Attempt) -> Response:
            view = await _case_view(call, session, case_id, language(request), settings)
            return render(request, "case.html", tried.code, **view,
                          steps=on("case", allowed_steps(session.roles, matrix)),
                          **tried.reopened(), recorded=None)

        return await record_step(
            request, step_id, "case", case_id, again=again,
            done=lambda answer: recorded_redirect(f"/cases/{quote(case_id)}", step_id,
                                                  "#recorded", answer))

    # --- submit ------------------------------------------------------------------------------

    def may_not_submit(request: Request, session: Session) -> Response | None:
        """The error page for a role intake would refuse a submission (the page never offers
        the form to it); None for a role that may submit."""
        if may(session.roles, "intake", "POST", "/cases", matrix):
            return None
        return render(request, "error.html", 403, message_key="error.forbidden",
                      service="intake")

    @app.get("/submit", response_class=HTMLResponse)
    async def submit_page(request: Request) -> Response:
        refused = may_not_submit(request, session_of(request))
        if refused is not None:
            return refused
        return render(request, "submit.html", values={}, placed={}, general=[],
                      form=_submit_form())

    @app.post("/submit", response_class=HTMLResponse)
    async def submit(request: Request) -> Response:
        session = session_of(request)
        refused = may_not_submit(request, session)
        if refused is not None:
            return refused
        form = await _form(request)
        body = submission.body_of(form)
        unreadable = submission.unreadable_answers(body)
        try:
            if unreadable:  # a yes/no answer neither yes nor no: never guessed, never sent
                placed, general = submission.place_problems(unreadable,
                                                            submission.all_names())
                return render(request, "submit.html", 422, values=form, placed=placed,
                              general=general, form=_submit_form())
            created = await call(session, "intake", "POST", "/cases", json=body)
            return RedirectResponse(f"/cases/{created['case_id']}?recorded=submitted",
                                    status_code=303)
        except ApiError as error:
            lang = language(request)
            if error.status == 422:
                placed, general = submission.place_problems(
                    rule_texts.with_statements(error.problems(), lang), submission.all_names())
            elif error.status in (403, 409):
                placed, general = {}, [{"msg": error.detail, "rule": error.rule,
                                        "shown": rule_texts.shown(error.rule, lang)
                                        if error.rule else None}]
            else:
                raise
        return render(request, "submit.html", 422, values=form, placed=placed,
                      general=general, form=_submit_form())

    @app.post("/submit/batch", response_class=HTMLResponse)
    async def submit_batch(request: Request) -> Response:
        session = session_of(request)
        refused = may_not_submit(request, session)
        if refused is not None:
            return refused
        form = await _form(request)
        kind = form.get("format", "json")
        try:
            requests = batch.parse(form.get("batch", ""), kind)
        except batch.BatchUnreadable as error:
            return render(request, "submit.html", 422, values={}, placed={}, general=[],
                          form=_submit_form(), batch_text=form.get("batch", ""),
                          batch_format=kind, batch_problem=str(error), batch_results=None)
        # A CSV row with a yes/no cell neither yes nor no is answered here, on its row; the
        # other rows go to intake.
        unreadable = batch.unreadable(requests, kind)
        sent = [index for index in range(len(requests)) if index not in unreadable]
        answer = None
        try:
            if sent:
                answer = await call(session, "intake", "POST", "/cases/batch",
                                    json={"requests": [requests[i] for i in sent]})
        except ApiError as error:
            if error.status != 422:
                raise
            answer = {"created": 0, "failed": len(sent), "results": [
                {"index": None, "outcome": "invalid", "errors": error.problems()}]}
        answer = batch.merged(answer, sent, unreadable)
        lang = language(request)
        for result in answer["results"]:
            for problem in result.get("errors", []):
                problem["field"] = batch.field_of(problem)
            if result.get("rule"):
                result["shown"] = rule_texts.shown(result["rule"], lang)
        return render(request, "submit.html", 200 if not answer["failed"] else 422, values={},
                      placed={}, general=[], form=_submit_form(),
                      batch_text=form.get("batch", "") if answer["failed"] else "",
                      batch_format=kind, batch_problem=None, batch_results=answer)

    # --- flights -----------------------------------------------------------------------------

    async def flights_page(request: Request, session: Session, code: int = 200,
                           **state: Any) -> Response:
        listed = await _every(call, session, "transport", "/flights", "flights")
        return render(request, "flights.html", code, flights=listed,
                      steps=on("fleet", allowed_steps(session.roles, matrix)),
                      **{**NO_STEP, **state})

    async def flight_page(request: Request, session: Session, flight_id: str,
                          code: int = 200, **state: Any) -> Response:
        shown = await call(session, "transport", "GET", f"/flights/{quote(flight_id)}")
        lang = language(request)
        rules = rule_texts.registry()
        t = i18n.translator(lang)
        for removed in shown.get("removed") or []:
            removed["why"] = _removal_reason(removed.get("reason"), lang, rules, t)
            removed["rule"] = removed.get("reason") in rules
        return render(request, "flight.html", code, flight=shown,
                      steps=on("flight", allowed_steps(session.roles, matrix)),
                      **{**NO_STEP, **state})

    @app.get("/flights", response_class=HTMLResponse)
    async def flights(request: Request) -> Response:
        return await flights_page(request, session_of(request),
                                  recorded=_recorded(request.query_params.get("recorded")))

    @app.get("/flights/{flight_id}", response_class=HTMLResponse)
    async def flight(request: Request, flight_id: str) -> Response:
        return await flight_page(request, session_of(request), flight_id,
                                 recorded=_recorded(request.query_params.get("recorded")))

    @app.post("/flights/steps/{step_id}", response_class=HTMLResponse)
    async def fleet_step(request: Request, step_id: str) -> Response:
        def done(answer: Any) -> Response:
            if "results" in answer:  # a plan: who goes on which flight, who stays and why
                lang = language(request)
                rules = rule_texts.registry()
                for result in answer["results"]:
                    result["shown_rules"] = [rule_texts.shown(r, lang, rules)
                                             for r in result.get("rules", [])]
                return render(request, "plan.html", plan=answer)
            return recorded_redirect(f"/flights/{quote(answer['flight_id'])}", step_id)

        return await record_step(
            request, step_id, "fleet", "", done=done,
            again=lambda session, tried: flights_page(request, session, tried.code,
                                                      **tried.reopened()))

    @app.post("/flights/{flight_id}/steps/{step_id}", response_class=HTMLResponse)
    async def flight_step(request: Request, flight_id: str, step_id: str) -> Response:
        return await record_step(
            request, step_id, "flight", flight_id,
            done=lambda _answer: recorded_redirect(f"/flights/{quote(flight_id)}", step_id),
            again=lambda session, tried: flight_page(request, session, flight_id, tried.code,
                                                     **tried.reopened()))

    # --- auditors ----------------------------------------------------------------------------

    @app.get("/audit", response_class=HTMLResponse)
    async def audit(request: Request, case_id: str = "", legal_date: str = "",
                    recorded: str = "") -> Response:
        session = session_of(request)
        if not may(session.roles, "audit", "GET", "/verify", matrix):
            return render(request, "error.html", 403, message_key="error.forbidden",
                          service="audit")
        found: dict[str, Any] = {"url": clients.urls["audit"], "verify": None, "as_of": None,
                                 "explain": None, "actors": None, "problem": None,
                                 "unreachable": False}
        try:
            found["verify"] = await call(session, "audit", "GET", "/verify")
            if case_id.strip():
                params = {k: v for k, v in (("legal_date", legal_date.strip()),
                                            ("recorded", recorded.strip())) if v}
                path = f"/cases/{quote(case_id.strip(), safe='')}"
                found["as_of"], found["explain"], found["actors"] = await asyncio.gather(
                    call(session, "audit", "GET", f"{path}/as-of", params=params),
                    call(session, "audit", "GET", f"{path}/explain", params=params),
                    call(session, "audit", "GET", f"{path}/actors"))
                lang = language(request)
                rules = rule_texts.registry()
                for blocker in found["explain"].get("blockers", []):
                    blocker["shown"] = rule_texts.shown(blocker["rule"], lang, rules)
        except Unreachable:
            found["unreachable"] = True
        except ApiError as error:
            if error.status not in (404, 422):
                raise
            found["problem"] = error.detail
        return render(request, "audit.html", **found, case_id=case_id, legal_date=legal_date,
                      recorded=recorded)

    @app.get("/audit/cases/{case_id}/export")
    async def audit_export(request: Request, case_id: str) -> Response:
        """The case's history as JSON lines, as the audit API exports it, to download."""
        session = session_of(request)
        try:
            response = await clients.raw(session.token, "audit",
                                         f"/cases/{quote(case_id, safe='')}/export")
        except ApiError as error:
            if error.status == 401:
                raise SignInNeeded from error
            raise
        name = "".join(c for c in case_id if c.isalnum() or c in "-_") or "case"
        return Response(response, media_type="application/x-ndjson", headers={
            "Content-Disposition": f'attachment; filename="{name}.jsonl"'})

    return app


def _recorded(value: str | None) -> str | None:
    """The act the page confirms after a redirect: only one the console records."""
    return value if value == "submitted" or value in STEPS else None


def _submit_form() -> dict[str, Any]:
    return {"person": submission.PERSON, "request": submission.REQUEST,
            "charges": [submission.charge_fields(s) for s in range(submission.CHARGE_SLOTS)],
            "documents": [submission.document_fields(s)
                          for s in range(submission.DOCUMENT_SLOTS)]}


async def _form(request: Request) -> dict[str, str]:
    """The urlencoded form (the console's forms are small; no multipart parser needed)."""
    raw = (await request.body()).decode("utf-8", "replace")
    return dict(parse_qsl(raw, keep_blank_values=True))


def _page_url(request: Request) -> str:
    """The page a user is on, to come back to (after switching language): a page rendered
    in answer to a form's post is the page the form is on (the post's URL takes no GET)."""
    path = request.url.path
    if request.method == "GET":
        return path + (f"?{request.url.query}" if request.url.query else "")
    return path.split("/steps/")[0].removesuffix("/batch") or "/cases"


def _local_path(target: str) -> str:
    """Only a path on this site may be a redirect target (no open redirect)."""
    parts = urlsplit(target)
    path = parts.path if parts.path.startswith("/") and not parts.path.startswith("//") \
        else "/cases"
    return path + (f"?{parts.query}" if parts.query else "")


async def _timeline_shows(call: Any, session: Session, case_id: str, event_id: str) -> bool:
    """Whether intake's timeline of the case shows the event, asked until LIVE_CATCH_UP_S."""
    path = f"/cases/{quote(case_id, safe='')}/timeline"

    async def shows() -> bool:
        timeline = await call(session, "intake", "GET", path)
        return any(e.get("event_id") == event_id for e in timeline.get("events", []))

    try:
        return await poll(shows, within=LIVE_CATCH_UP_S, every=0.1)
    except TimeoutError:  # an event intake does not put on the case's timeline
        return False
    except ApiError as error:
        if error.status == 404:  # no such case (yet): the list shows what intake has
            return False
        raise


async def _timeline_reaches(call: Any, session: Session, case_id: str, service: str,
                            version: int) -> bool:
    """Whether intake's timeline of the case shows `service`'s stream at `version` or later,
    asked until LIVE_CATCH_UP_S."""
    path = f"/cases/{quote(case_id, safe='')}/timeline"
    source = f"/runway/{service}"

    async def reached() -> bool:
        timeline = await call(session, "intake", "GET", path)
        return any(e.get("source") == source and e.get("stream_version", 0) >= version
                   for e in timeline.get("events", []))

    try:
        return await poll(reached, within=LIVE_CATCH_UP_S, every=0.1)
    except TimeoutError:  # shown as intake has it; the live update brings the rest
        return False


async def _every(call: Any, session: Session, service: str, path: str, key: str,
                 **params: str) -> list[dict[str, Any]]:
    """Every item of a service's paged list (up to LIST_CEILING), page after page."""
    found: list[dict[str, Any]] = []
    while len(found) < LIST_CEILING:
        page = (await call(session, service, "GET", path,
                           params={**params, "limit": LIST_PAGE, "offset": len(found)}))[key]
        found += page
        if len(page) < LIST_PAGE:
            break
    return found


async def _all_cases(call: Any, session: Session) -> list[dict[str, Any]]:
    return await _every(call, session, "intake", "/cases", "cases")


async def _flagged_cases(call: Any, session: Session) -> set[str] | None:
    """The cases assurance flags (custody passed without clearance); None if it can't say (the
    list still shows, and says the flags are unknown)."""
    try:
        flagged = await _every(call, session, "assurance", "/cases", "cases",
                               transfer_flagged="true")
    except (ApiError, Unreachable):
        log.warning("assurance's flagged cases unavailable", exc_info=True)
        return None
    return {case["case_id"] for case in flagged}


async def _case_view(call: Any, session: Session, case_id: str, language: str,
                     settings: ConsoleSettings) -> dict[str, Any]:
    """Everything a case page shows, read from every service at once."""
    path = f"/cases/{quote(case_id, safe='')}"
    silent: list[str] = []  # services that did not answer: what they hold is unknown
    # Services that answered they do not have the case (404): the request has not reached
    # them yet (just submitted, or their consumer is behind), so what they would hold back is
    # unknown too; the court opens a case only on its own, after the landing.
    unopened: list[str] = []

    async def optional(service: str, suffix: str = "") -> Any:
        """The service's view of the case; None when the case has not reached it (404)."""
        try:
            return await call(session, service, "GET", path + suffix)
        except ApiError as error:
            if error.status == 404:
                if not suffix and service in HOLDING_SERVICES:
                    unopened.append(service)
                return None
            raise
        except Unreachable:
            silent.append(service)
            return None

    intake, timeline, judicial, assurance, transport, court = await asyncio.gather(
        call(session, "intake", "GET", path), optional("intake", "/timeline"),
        optional("judicial"), optional("assurance"), optional("transport"), optional("court"))
    today = legal_date(datetime.now(UTC), settings.legal_timezone)
    rules = rule_texts.registry()
    views = {"judicial": judicial, "assurance": assurance, "transport": transport,
             "court": court}
    return {"case": intake, **views, "silent": sorted(set(silent)),
            "unopened": [s for s in HOLDING_SERVICES if s in unopened],
            "timeline": _timeline(timeline, settings.legal_timezone),
            "clocks": _clocks(judicial, today), "today": today.isoformat(),
            "holds": _holds(views, language, rules, Dates(language, settings.legal_timezone)),
            "capital": {c["charge_id"]: c for c in (assurance or {}).get("capital_charges", [])}}


def _timeline(timeline: Any, timezone: str) -> list[dict[str, Any]]:
    events = (timeline or {}).get("events", [])
    shown = []
    for event in events:
        occurred = datetime.fromisoformat(event["occurred_at"])
        shown.append({**event, "legal_date": legal_date(occurred, timezone).isoformat()})
    return shown


def _clocks(judicial: Any, today: date) -> list[dict[str, Any]]:
    clocks = []
    for clock in (judicial or {}).get("clocks", []):
        due = clock.get("due_on")
        left = (date.fromisoformat(due) - today).days if due else None
        clocks.append({**clock, "days_left": left})
    return clocks


def _holds(views: dict[str, Any], language: str, rules: dict[str, Any],
           dates: Dates) -> list[dict[str, Any]]:
    """What holds the case back, each rule once, with where the service said so: judicial's
    bars to a surrender order (while one is still to come), assurance's clearance and the
    transfer it flags, transport's eligibility, and the court's bars to each count."""
    judicial, assurance = views["judicial"] or {}, views["assurance"] or {}
    transport, court = views["transport"] or {}, views["court"] or {}
    found: dict[str, dict[str, Any]] = {}

    def add(rule_id: str, service: str, act: str, detail: str | None = None) -> None:
        entry = found.setdefault(rule_id, {"rule": rule_texts.shown(rule_id, language, rules),
                                           "where": [], "details": []})
        entry["where"].append((service, act))
        if detail and detail not in entry["details"]:
            entry["details"].append(detail)

    if _surrender_to_come(judicial):
        for rule_id in judicial.get("surrender_blocked_by", []):
            add(rule_id, "judicial", "surrender")
    blocked = (assurance.get("clearance") or {}).get("blocked")
    if blocked:
        add(blocked["rule"], "assurance", "clearance", blocked.get("detail"))
    flag = (assurance.get("transfer") or {}).get("flag")
    if flag:  # custody passed without the clearance: shown though cleared since
        add(flag["rule"], "assurance", "transfer", i18n.translator(language)(
            "case.flag_dates", transfer=dates.day(flag.get("transfer_legal_date")),
            clearance=dates.day(flag.get("clearance_legal_date"))))
    eligibility = transport.get("eligibility") or {}
    for rule_id in eligibility.get("failing_rules", []):
        add(rule_id, "transport", "manifest", eligibility.get("explanations", {}).get(rule_id))
    for charge in court.get("charges", []):
        for rule_id in charge.get("blocked_by", []):
            add(rule_id, "court", "arraignment", charge["charge_id"])
    return list(found.values())


def _removal_reason(reason: str | None, language: str, rules: dict[str, Any],
                    t: i18n.Translate) -> str:
    """Why transport took a person off a flight, in the user's language: a rule's statement
    (from its book), else the label of transport's own code, else the reason as written."""
    if not reason:
        return "—"
    if reason in rules:
        return rule_texts.shown(reason, language, rules).statement
    return i18n.label_or_value(t, "removal", reason)


def _surrender_to_come(judicial: dict[str, Any]) -> bool:
    """Whether judicial's bars to a surrender order hold a case back: not once the order is
    made, the person handed over or the transfer authorised, nor on the national-security
    basis, which has no order (transport says what that path waits for)."""
    done = ("surrender", "handed_over_on", "transfer_authorized_at")
    return bool(judicial) and judicial.get("legal_basis") != "national_security" \
        and not any(judicial.get(key) for key in done)
