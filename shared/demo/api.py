"""A small client of the services' public APIs, acting as clerks and officers would."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx

from shared.retry import poll
from shared.security import AuthSettings, TokenIssuer

ROLES = {
    "intake": ("operator-demo", "operator"),
    "judicial": ("clerk-demo", "judicial_clerk"),
    "assurance": ("officer-demo", "assurance_officer"),
    "transport": ("marshal-demo", "transport_officer"),
    "court": ("court-clerk-demo", "court_clerk"),
}


class ApiError(RuntimeError):
    def __init__(self, method: str, url: str, response: httpx.Response) -> None:
        self.status = response.status_code
        try:
            self.body: dict[str, Any] = response.json()
        except ValueError:
            self.body = {"detail": response.text}
        super().__init__(f"{method} {url}: {self.status} {self.body}")

    @property
    def rule(self) -> str | None:
        rule = self.body.get("rule")
        return None if rule is None else str(rule)


def local_tokens(subject: str, role: str) -> str:
    """A token from the local issuer (a local run trusts it; see `runway token`)."""
    return TokenIssuer(AuthSettings()).issue(subject, [role])


class Api:
    def __init__(self, urls: dict[str, str],
                 token_for: Callable[[str, str], str] = local_tokens) -> None:
        self._clients = {
            # Idle connections are dropped before the server's keep-alive (uvicorn: 5 s)
            # would close them under a request being sent (an httpx.ReadError).
            service: httpx.AsyncClient(base_url=url, timeout=60, limits=httpx.Limits(
                keepalive_expiry=3), headers={
                "Authorization": f"Bearer {token_for(*ROLES[service])}",
                "X-Correlation-Id": "mass-transfer-scenario"})
            # Only the services the demo acts on (a stack may also run, e.g., the console).
            for service, url in urls.items() if service in ROLES}

    async def close(self) -> None:
        await asyncio.gather(*(c.aclose() for c in self._clients.values()))

    async def post(self, service: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        for _attempt in range(5):
            response = await self._clients[service].post(path, json=body)
            if response.status_code == 409 and response.json().get(
                    "error") == "concurrency_conflict":
                # Someone (a scheduler, a consumer) changed the case meanwhile: the service
                # re-decides on the new state when asked again.
                continue
            break
        if response.status_code >= 300:
            raise ApiError("POST", f"{service}{path}", response)
        result: dict[str, Any] = response.json()
        return result

    async def get(self, service: str, path: str) -> dict[str, Any] | None:
        response = await self._clients[service].get(path)
        if response.status_code == 404:
            return None
        if response.status_code >= 300:
            raise ApiError("GET", f"{service}{path}", response)
        result: dict[str, Any] = response.json()
        return result

    async def wait(self, service: str, path: str, holds: Callable[[dict[str, Any]], bool],
                   what: str, timeout: float = 60) -> dict[str, Any]:
        """Poll a read endpoint until `holds` (events travel through Kafka meanwhile)."""
        found: dict[str, Any] | None = None  # the last answer, for the error

        async def holding() -> dict[str, Any] | None:
            nonlocal found
            found = await self.get(service, path)
            return found if found is not None and holds(found) else None

        return await poll(holding, within=timeout, every=0.1, give_up=lambda _: TimeoutError(
            f"gave up waiting for {what} ({service}{path}): {found}"))
