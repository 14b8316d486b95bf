"""The services' public HTTP APIs, called with the signed-in user's bearer token.

Nothing here decides anything: an answer the API refuses (401, 403, 404, 409, 422) comes back
as an ApiError carrying the API's own error body, for the page to show.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

# intake's GET /cases answers at most this many cases per call.
LIST_PAGE = 1000
# The most cases the list page reads to search and count: the intake API has no text search
# and no counts (docs/console.md says what a larger installation needs).
LIST_CEILING = 20_000


@dataclass
class ApiError(Exception):
    status: int
    body: dict[str, Any]
    service: str

    @property
    def rule(self) -> str | None:
        rule = self.body.get("rule")
        return rule if isinstance(rule, str) else None

    @property
    def detail(self) -> Any:
        return self.body.get("detail")

    def problems(self) -> list[dict[str, Any]]:
        """A 422's list of problems (each with loc, msg, type)."""
        detail = self.detail
        return [p for p in detail if isinstance(p, dict)] if isinstance(detail, list) else []

    def __str__(self) -> str:
        return f"{self.service} answered {self.status}: {self.body}"


class Unreachable(Exception):
    """A service did not answer at all."""

    def __init__(self, service: str, error: Exception) -> None:
        super().__init__(f"{service} did not answer ({type(error).__name__})")
        self.service = service


class Apis:
    """One shared HTTP client for the console process; each call carries the user's token."""

    def __init__(self, urls: dict[str, str], timeout: float = 10.0,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.urls = urls
        self._http = httpx.AsyncClient(timeout=timeout, transport=transport)

    async def close(self) -> None:
        await self._http.aclose()

    async def call(self, token: str, service: str, method: str, path: str, *,
                   json: Any = None, params: dict[str, Any] | None = None) -> Any:
        try:
            response = await self._http.request(
                method, f"{self.urls[service]}{path}", json=json, params=params,
                headers={"Authorization": f"Bearer {token}"})
        except httpx.TransportError as error:
            raise Unreachable(service, error) from error
        body = _json(response)
        if response.status_code >= 400:
            raise ApiError(response.status_code, body if isinstance(body, dict) else
                           {"error": "error", "detail": response.text[:500]}, service)
        return body

    async def raw(self, token: str, service: str, path: str) -> bytes:
        """A GET whose answer is not JSON (an export), as bytes."""
        try:
            response = await self._http.get(f"{self.urls[service]}{path}",
                                            headers={"Authorization": f"Bearer {token}"})
        except httpx.TransportError as error:
            raise Unreachable(service, error) from error
        if response.status_code >= 400:
            body = _json(response)
            raise ApiError(response.status_code, body if isinstance(body, dict) else
                           {"error": "error", "detail": response.text[:500]}, service)
        return response.content

    async def get(self, token: str, service: str, path: str,
                  params: dict[str, Any] | None = None) -> Any:
        return await self.call(token, service, "GET", path, params=params)

    async def get_or_none(self, token: str, service: str, path: str) -> Any:
        """A read that may find nothing yet (the case has not reached that service)."""
        try:
            return await self.get(token, service, path)
        except ApiError as error:
            if error.status == 404:
                return None
            raise

    async def post(self, token: str, service: str, path: str, body: Any) -> Any:
        return await self.call(token, service, "POST", path, json=body)


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None
