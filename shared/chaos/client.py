"""A client of the public HTTP APIs that behaves as a real one does while parts of the cluster
die: a connection error, a 502/503/504 or a 409 concurrency conflict is retried after a pause;
a command whose first attempt may have been applied (no answer came back) and whose retry is
refused by a rule that means "this act is already recorded" is taken as applied (the service
re-decided on the state the first attempt left). Any other refusal is the caller's, as if no
answer had been lost: an amparo window still open says nothing of the first attempt. Every
such decision is counted, so the report can say how often it happened."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

from services.intake.rules import REQUEST_REFERENCE_UNIQUE
from shared.demo.api import ROLES, local_tokens

RETRY_STATUSES = frozenset({502, 503, 504})
# A command is given this long to get through a fault (a broker or PostgreSQL restart takes
# tens of seconds on a slow box); past it the failure is the workload's to report.
COMMAND_DEADLINE_S = 600.0
FIRST_PAUSE_S = 0.2
MAX_PAUSE_S = 3.0
# Refusals of an act already recorded that do not say "already" in their rule id: intake's
# second case for one requester's reference.
RECORDED_RULES = frozenset({REQUEST_REFERENCE_UNIQUE.id})


def means_recorded(rule: str, also: frozenset[str] = frozenset()) -> bool:
    """Whether a refusal by `rule` means the act it refuses is already on the record (the
    services name those rules `<act>_already_<done>`); `also`: the caller's own."""
    return "already" in rule or rule in RECORDED_RULES or rule in also


class Refused(RuntimeError):
    """A final answer that is not a success: a rule refusal, a 404, a 422, a 500."""

    def __init__(self, method: str, path: str, status: int, body: dict[str, Any]) -> None:
        self.status, self.body = status, body
        super().__init__(f"{method} {path}: {status} {body}")

    @property
    def rule(self) -> str | None:
        rule = self.body.get("rule")
        return None if rule is None else str(rule)


@dataclass
class Stats:
    """What the client met: retries by cause, and answers it took as 'already applied'."""

    retries: Counter[str] = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)


class ChaosApi:
    def __init__(self, urls: dict[str, str], stats: Stats | None = None) -> None:
        self.stats = stats or Stats()
        self._clients = {
            service: httpx.AsyncClient(
                base_url=url, timeout=httpx.Timeout(60, connect=10),
                limits=httpx.Limits(keepalive_expiry=3, max_connections=40),
                headers={"Authorization": f"Bearer {local_tokens(*ROLES[service])}",
                         "X-Correlation-Id": "chaos"})
            for service, url in urls.items() if service in ROLES}

    async def close(self) -> None:
        await asyncio.gather(*(c.aclose() for c in self._clients.values()))

    async def _send(self, method: str, service: str, path: str, body: Any) -> httpx.Response:
        """One attempt; None-like failures raise _Retry with its cause."""
        try:
            response = await self._clients[service].request(method, path, json=body)
        except httpx.TransportError as error:
            raise _Retry(type(error).__name__, ambiguous=method != "GET") from error
        if response.status_code in RETRY_STATUSES:
            # A 503 from a replica that lost PostgreSQL mid-commit, or a 504, leaves the
            # command's fate unknown; HAProxy's own 503 (no replica up) does not, but a
            # client cannot tell them apart.
            raise _Retry(str(response.status_code), ambiguous=method != "GET")
        if response.status_code == 409 and _json(response).get("error") == \
                "concurrency_conflict":
            raise _Retry("409 concurrency_conflict", ambiguous=False)
        if response.status_code >= 500:
            # A finding (the check fails on it); the client still tries again, as a real one
            # would, so the run goes on and the other checks still tell what they know.
            self.stats.server_errors.append(f"{method} {service}{path}: "
                                            f"{response.status_code} {response.text[:300]}")
            raise _Retry(str(response.status_code), ambiguous=method != "GET")
        return response

    async def request(self, method: str, service: str, path: str,
                      body: Any = None) -> tuple[httpx.Response, bool]:
        """The final answer and whether an earlier attempt may have been applied."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + COMMAND_DEADLINE_S
        pause, maybe_applied = FIRST_PAUSE_S, False
        while True:
            try:
                return await self._send(method, service, path, body), maybe_applied
            except _Retry as retry:
                self.stats.retries[retry.cause] += 1
                maybe_applied = maybe_applied or retry.ambiguous
                if loop.time() > deadline:
                    raise TimeoutError(f"{method} {service}{path}: still {retry.cause} after "
                                       f"{COMMAND_DEADLINE_S:.0f} s") from retry
            await asyncio.sleep(pause)  # a real client's back-off, not synchronisation
            pause = min(pause * 2, MAX_PAUSE_S)

    async def post(self, service: str, path: str, body: Any, *, method: str = "POST",
                   applied_if: frozenset[str] = frozenset()) -> dict[str, Any]:
        """The answer; {"already_applied": True, ...} when an attempt whose answer was lost
        is refused as already recorded (means_recorded, with the rules in `applied_if`:
        those that mean it for this command, e.g. a departed flight for its departure)."""
        response, maybe_applied = await self.request(method, service, path, body)
        if response.status_code < 300:
            return _json(response)
        answer = _json(response)
        rule = str(answer.get("rule") or "")
        if maybe_applied and response.status_code == 409 and rule and \
                means_recorded(rule, applied_if):
            # The lost first attempt was recorded; the service now refuses it as done.
            self.stats.retries["applied before the answer was lost"] += 1
            return {"already_applied": True, **answer}
        raise Refused(method, f"{service}{path}", response.status_code, answer)

    async def get(self, service: str, path: str) -> dict[str, Any] | None:
        response, _ = await self.request("GET", service, path)
        if response.status_code == 404:
            return None
        if response.status_code >= 300:
            raise Refused("GET", f"{service}{path}", response.status_code, _json(response))
        return _json(response)


class _Retry(Exception):
    def __init__(self, cause: str, *, ambiguous: bool) -> None:
        super().__init__(cause)
        self.cause, self.ambiguous = cause, ambiguous


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        answer = response.json()
    except ValueError:
        return {"detail": response.text[:500]}
    return answer if isinstance(answer, dict) else {"items": answer}
