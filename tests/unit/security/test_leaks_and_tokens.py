"""Security and personal data off the common path (review of 5 Dec 2026): a database error
never puts a name in the log; the console's live streams serve only a token an API accepts;
an erased data key leaves no copy in the SQLite key store's files; a token must name who acts;
a 422 echoes an unknown field's name within the bound. In-process apps on throw-away SQLite
files."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
import sqlalchemy as sa

from services.console import live as console_live
from services.console.api import Apis
from services.console.app import create_app as create_console
from services.console.settings import ConsoleSettings
from services.intake.service import SPEC as INTAKE
from shared.clock import SystemClock
from shared.eventstore import Actor
from shared.logs import JsonFormatter
from shared.migrate import migrate
from shared.pii import keystore
from shared.pii.person import PERSON_CONTEXT, PersonalData
from shared.pii.sealing import associated_data, unseal, unwrap
from shared.pii.settings import PiiSettings
from shared.pii.vault import WRAPPING_CONTEXT, Unreadable, open_vault
from shared.security import AuthSettings, TokenIssuer, TokenRejected, TokenVerifier
from shared.service import ServiceRuntime
from shared.settings import ServiceSettings
from shared.topology import SERVICES
from shared.web.app import create_app


def _token(role: str, subject: str = "review-s12") -> str:
    return TokenIssuer(AuthSettings()).issue(subject, [role])


def _bearer(role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {_token(role)}"}


def _request_body(given: str, family: str) -> dict[str, Any]:
    return {
        "person": {"given_names": given, "family_names": family, "aliases": ["El Flaco"],
                   "date_of_birth": "1979-05-15", "nationality": "Mexican"},
        "legal_basis": "treaty", "requesting_district": "EDNY",
        "prosecutor_office": "US Attorney's Office",
        "charges": [{"charge_id": "c1", "statute": "21 U.S.C. § 848",
                     "description": "continuing criminal enterprise",
                     "max_penalty_us": {"years": 20}, "mx_equivalent_offence": "delincuencia",
                     "max_penalty_mx": {"years": 15}, "death_penalty_possible": False}],
        "documents": [{"kind": "arrest_warrant", "reference": "WAR-1"},
                      {"kind": "diplomatic_note", "reference": "DN-1"}],
    }


class _Captured:
    """Every log record, as the services write it (shared/logs.JsonFormatter), decoded."""

    def __init__(self) -> None:
        self.stream = io.StringIO()
        self.handler = logging.StreamHandler(self.stream)
        self.handler.setFormatter(JsonFormatter("intake"))
        self.handler.setLevel(logging.INFO)  # LOG_LEVEL's default, as the services run

    def text(self) -> str:
        # Decoded, so a name JSON-escaped in the line (\u00ed) is found as written.
        return "\n".join(json.dumps(json.loads(line), ensure_ascii=False)
                         for line in self.stream.getvalue().splitlines() if line.strip())


@pytest.fixture
def captured_logs() -> Iterator[_Captured]:
    captured = _Captured()
    root = logging.getLogger()
    level = root.level
    root.addHandler(captured.handler)
    root.setLevel(logging.INFO)
    try:
        yield captured
    finally:
        root.removeHandler(captured.handler)
        root.setLevel(level)


# --- A database error in a request writes the person's name in clear into the log ------

def test_a_database_error_while_submitting_never_logs_the_persons_name(
        captured_logs: _Captured, tmp_path: Path) -> None:
    """docs/personal-data.md, "Logs and dead letters never quote the data that failed ... A
    database error keeps its driver error class, SQLSTATE and statement, not its parameters
    (shared/errortext.py)"; and its first line: names "never enter ... a log in clear".
    The HTTP layer's catch-all handler logs the SQLAlchemy error through
    shared/logs.JsonFormatter, which wrote its full text, statement parameters included (the
    display name being written to person_names). The fault is injected with a trigger."""
    given, family = "Zacarías", "Quintanilla Obregón"

    async def run() -> httpx.Response:
        directory = tmp_path
        runtime = ServiceRuntime(INTAKE, ServiceSettings(
            service_name="intake", service_database_url=f"sqlite+aiosqlite:///{directory}/i.db",
            kafka_bootstrap_servers="127.0.0.1:9",
            pii=PiiSettings(keystore_url=f"sqlite+aiosqlite:///{directory}/keys.db",
                            keyring_path=tmp_path / "keyring.json")))
        try:
            await migrate(runtime.database, INTAKE.migrations)
            # A fault where the name is written (a full disk, a dropped connection, ...).
            async with runtime.database.transaction() as conn:
                await conn.execute(sa.text(
                    "CREATE TRIGGER fault BEFORE INSERT ON person_names "
                    "BEGIN SELECT RAISE(ABORT, 'constraint failed'); END"))
            app = create_app(runtime, run_background=False)
            transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
            async with httpx.AsyncClient(transport=transport, base_url="http://intake",
                                         headers=_bearer("operator")) as http:
                return await http.post("/cases", json=_request_body(given, family))
        finally:
            await runtime.close()

    answer = asyncio.run(run())
    assert answer.status_code == 500, answer.text
    assert given not in answer.text  # the answer itself is clean ...
    logged = captured_logs.text()
    assert "person_names" in logged  # ... and the log names the failing statement
    # ... but not the person (it quoted "[parameters: (..., 'Zacarías Quintanilla Obregón')]")
    assert given not in logged and family not in logged, logged[-600:]


# --- The console's live streams serve a session no API ever verified -------------------

def _console(**overrides: Any) -> tuple[Any, list[console_live.Hub]]:
    hubs: list[console_live.Hub] = []

    class RecordedHub(console_live.Hub):
        def __init__(self) -> None:
            super().__init__()
            hubs.append(self)

    settings = ConsoleSettings(live_updates=False, cookie_secret="s" * 32, **overrides)
    urls = {name: f"http://{name}" for name in (*SERVICES, "audit")}

    def refuse(request: httpx.Request) -> httpx.Response:  # every API refuses the token
        return httpx.Response(401, json={"error": "invalid_token", "detail": "bad signature"})

    original = console_live.Hub
    console_live.Hub = RecordedHub  # type: ignore[misc]
    try:
        app = create_console(settings, Apis(urls, transport=httpx.MockTransport(refuse)))
    finally:
        console_live.Hub = original  # type: ignore[misc]
    return app, hubs


async def _first_chunks(app: Any, path: str, cookie: str, hub: console_live.Hub
                        ) -> tuple[int, str]:
    """GET `path` on the ASGI app; publish one change once the stream is open; the status
    and what the stream sent, then disconnect."""
    messages: list[dict[str, Any]] = []
    requested = False
    disconnect = asyncio.Event()

    async def receive() -> dict[str, Any]:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await disconnect.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)
        body = message.get("body", b"")
        if message["type"] == "http.response.body" and b"event: ready" in body:
            hub.publish({"RWY-SECRET01"}, console_live.Change(
                "intake.personal_data_erased", "ev-1"))
        if message["type"] == "http.response.body" and (
                b"event: changed" in body or not message.get("more_body", False)):
            disconnect.set()

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "GET", "scheme": "http", "path": path, "raw_path": path.encode(),
             "query_string": b"", "root_path": "", "client": ("203.0.113.9", 4000),
             "server": ("console.test", 80),
             "headers": [(b"host", b"console.test"), (b"cookie", cookie.encode())]}
    with contextlib.suppress(TimeoutError):  # a deadline: a stream that never ends
        await asyncio.wait_for(app(scope, receive, send), timeout=10)
    status = next(m["status"] for m in messages if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
    return status, body.decode("utf-8", "replace")


def test_a_self_made_token_does_not_open_the_consoles_live_feed_of_every_case() -> None:
    """docs/console.md ("Only the public APIs"): "Everything a user sees is what the APIs
    return for that user's token ... access is decided in one place." With an identity
    provider, POST /sign-in takes any JWT-shaped text unverified (session.session_from_token
    decodes with verify_signature=False) and signs it into the cookie; the live streams
    checked only that cookie and never asked an API: a stranger's self-signed token, with no
    Runway role, got every case's id and event type as they happened. Now, as a page does
    when the APIs refuse the token: a redirect to sign-in (or a 401/403)."""
    app, hubs = _console(local_sign_in=False)
    forged = jwt.encode({"sub": "mallory", "exp": int(time.time()) + 3600, "roles": []},
                        "a key of mallory's own choosing, 32+ bytes long", algorithm="HS256")

    async def run() -> tuple[int, str]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://console.test") as c:
            signed_in = await c.post("/sign-in", data={"token": forged, "next": "/cases"})
            assert signed_in.status_code == 303, signed_in.text  # the console took it
            cookie = signed_in.headers["set-cookie"].split(";", 1)[0]
        return await _first_chunks(app, "/cases/events", cookie, hubs[0])

    status, streamed = asyncio.run(run())
    assert status in (303, 401, 403), f"{status}: {streamed!r}"


# --- An erased data key stays in the key store's files ----------------------------------

def test_after_an_erasure_the_key_store_files_no_longer_hold_the_data_key(
        tmp_path: Path) -> None:
    """docs/personal-data.md: "Erasing the person's key makes that ciphertext unreadable for
    good"; "Nobody can show the name any more". On the SQLite key store (the default without
    PostgreSQL, <RUNWAY_DATA_DIR>/keys.db, WAL mode) the deleted row's wrapped DEK stays in
    keys.db-wal after the erasure had answered (and, without secure_delete, in keys.db's free
    pages): whoever held the keyring and the key store's files opened the erased name."""
    directory = tmp_path / "keys"
    directory.mkdir()
    keyring = tmp_path / "keyring.json"

    async def run() -> tuple[bytes, bytes, Any, Any, Any]:
        vault = open_vault(f"sqlite+aiosqlite:///{directory}/keys.db", keyring,
                           clock=SystemClock(), cache_s=0)
        try:
            person_id, sealed = await vault.seal_new_person(
                PERSON_CONTEXT, PersonalData(given_names="Zacarías",
                                             family_names="Quintanilla Obregón"))
            async with vault.database.connect() as conn:
                stored = await keystore.stored_key(conn, person_id)
            assert stored is not None
            await vault.erase(person_id, case_id="RWY-1", reason="court order 2025/117",
                              actor=Actor("privacy.example", "privacy_officer"))
            opened = await vault.open(person_id, PERSON_CONTEXT, sealed)
            assert isinstance(opened, Unreadable) and opened.erased  # the API's view
            on_disk = b"".join(path.read_bytes() for path in sorted(directory.iterdir()))
            return on_disk, stored.wrapped_key, stored, sealed, vault.keyring
        finally:
            await vault.close()

    on_disk, wrapped, stored, sealed, ring = asyncio.run(run())
    if wrapped in on_disk:  # what anyone holding the keyring then recovers:
        dek = unwrap(ring.key(stored.kek_id), wrapped,
                     associated_data(stored.person_id, WRAPPING_CONTEXT))
        recovered = unseal(dek, sealed, associated_data(stored.person_id, PERSON_CONTEXT))
        pytest.fail(f"the erased data key is still in the key store's files; it opens "
                    f"{recovered.decode()}")


# --- A token with an empty subject is accepted -----------------------------------------

def test_a_token_whose_subject_is_empty_is_refused() -> None:
    """docs/security.md, Attribution: "Every event records the authenticated actor: the
    token's `sub`". tokens.py requires the claim to be present ("require": [..., "sub"]) but
    accepts `"sub": ""`, so a command is recorded as done by nobody (and `runway audit
    actors` lists a blank subject). A subject-less token should be 401 like a missing
    claim."""
    issuer = TokenIssuer(AuthSettings())
    token = issuer.issue("", ["operator"])

    async def run() -> Any:
        return await TokenVerifier(AuthSettings()).verify(token)

    with pytest.raises(TokenRejected):
        principal = asyncio.run(run())
        print("accepted:", principal)


# --- A 422 echoes an unknown field's name whole -----------------------------------------

def test_a_422_echoes_at_most_200_characters_of_an_unknown_field() -> None:
    """docs/security.md, Hostile input: "A 422 echoes at most 200 characters of what it
    rejects." An unknown field's name is what extra_forbidden rejects, and the validation
    handler (shared/web/errors.py:_validation) bounds `input` but puts the name in `loc`
    whole: a 100,000-character key comes back in full (up to the 1 MiB body limit)."""
    runtime = ServiceRuntime(INTAKE, ServiceSettings(
        service_name="intake", service_database_url="sqlite+aiosqlite:///:memory:",
        kafka_bootstrap_servers="127.0.0.1:9"))
    app = create_app(runtime, run_background=False)
    body = _request_body("Ana", "López")
    body["k" * 100_000] = 1

    async def run() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://intake",
                                     headers=_bearer("operator")) as http:
            return await http.post("/cases", json=body)

    answer = asyncio.run(run())
    assert answer.status_code == 422
    [problem] = answer.json()["detail"]
    assert problem["type"] == "extra_forbidden"
    echoed = max(len(str(part)) for part in problem["loc"])
    assert echoed <= 200 + 40, f"the 422 echoes a {echoed}-character field name"
