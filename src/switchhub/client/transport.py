"""One HTTP exchange with the hub, as api.md asks a client to behave.

* mutual TLS (the operator's API certificate) and the bearer credential of a named user;
* an `Idempotency-Key` (uuid4) on every POST and PATCH, generated once per call and sent again on
  each retry, so a retry after a lost answer returns the first answer instead of filing twice;
* 429 and 503 honour `Retry-After`; 502/504 and lost connections back off exponentially; retries
  are bounded (`max_retries`) and a wait longer than `max_wait` is not slept but raised;
* `RateLimit-*` of every answer is remembered: when the bucket is empty the next request waits
  for one token (Reset / (Limit − Remaining) seconds) instead of earning a 429.
"""

from __future__ import annotations

import asyncio
import ssl
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx

from switchhub.client.errors import TransportError, error_for, parse_retry_after

RETRY_STATUSES = frozenset({429, 502, 503, 504})
IDEMPOTENT_HEADER = "Idempotency-Key"
Sleep = Callable[[float], Awaitable[None]]


@dataclass
class RateLimitState:
    """The hub's last `RateLimit-*` headers (seconds and tokens; None before the first answer)."""
    limit: int | None = None
    remaining: int | None = None
    reset: float | None = None
    seen_at: float = 0.0

    def update(self, headers: httpx.Headers, now: float) -> None:
        try:
            if "ratelimit-remaining" in headers:
                self.limit = int(headers.get("ratelimit-limit", "0")) or None
                self.remaining = int(headers["ratelimit-remaining"])
                self.reset = float(headers.get("ratelimit-reset", "0"))
                self.seen_at = now
        except ValueError:
            pass

    def wait_before_next(self, now: float) -> float:
        """Seconds to wait for one token when the bucket was empty at the last answer."""
        if self.remaining is None or self.remaining > 0 or not self.reset:
            return 0.0
        per_token = self.reset / max(1, (self.limit or 1) - self.remaining)
        return max(0.0, per_token - (now - self.seen_at))


def ssl_context(*, ca: str | None = None, cert: str | None = None, key: str | None = None) -> ssl.SSLContext:
    """Server verified against `ca` (system CAs without it); the client certificate when given."""
    ctx = ssl.create_default_context(cafile=ca) if ca else ssl.create_default_context()
    if cert:
        ctx.load_cert_chain(cert, key)
    return ctx


class Transport:
    """Sends requests with the policies above; the client methods build on `request` and `stream`."""

    def __init__(self, base_url: str, *, token: str | None = None, verify: ssl.SSLContext | bool = True,
                 timeout: float = 30.0, max_retries: int = 3, max_wait: float = 120.0, backoff: float = 0.5,
                 language: str = "ja", transport: httpx.AsyncBaseTransport | None = None,
                 sleep: Sleep | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        headers = {"Accept": "application/json", "Accept-Language": language,
                   "User-Agent": "switchhub-client/0.1"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.http = httpx.AsyncClient(base_url=base_url.rstrip("/") + "/api/v1", headers=headers,
                                      verify=verify, timeout=timeout, transport=transport,
                                      follow_redirects=False)
        self.max_retries, self.max_wait, self.backoff = max_retries, max_wait, backoff
        self.rate = RateLimitState()
        self._sleep: Sleep = sleep or asyncio.sleep
        self._clock = clock

    async def aclose(self) -> None:
        await self.http.aclose()

    async def request(self, method: str, path: str, *, params: dict[str, Any] | None = None,
                      json: Any = None, idempotency_key: str | None = None) -> httpx.Response:
        """The answer of a successful exchange (body read); a problem answer raises its typed error."""
        return await self._exchange(method, path, params, json, idempotency_key, stream=False)

    async def stream(self, method: str, path: str, *, params: dict[str, Any] | None = None) -> httpx.Response:
        """A successful answer whose body is still to be read (`aiter_raw`); the caller closes it."""
        return await self._exchange(method, path, params, None, None, stream=True)

    async def _exchange(self, method: str, path: str, params: dict[str, Any] | None, body: Any,
                        idempotency_key: str | None, *, stream: bool) -> httpx.Response:
        headers = {}
        if method in ("POST", "PATCH"):
            headers[IDEMPOTENT_HEADER] = idempotency_key or str(uuid.uuid4())
        clean = {k: v for k, v in (params or {}).items() if v is not None and v != ""}
        attempt = 0
        while True:
            await self._pace()
            request = self.http.build_request(method, path, params=clean, json=body, headers=headers)
            try:
                response = await self.http.send(request, stream=True)
            except httpx.TransportError as exc:
                if attempt >= self.max_retries:
                    raise TransportError(f"{method} {path}: {type(exc).__name__}: {exc}") from exc
                await self._wait(self._backoff(attempt))
                attempt += 1
                continue
            self.rate.update(response.headers, self._clock())
            if response.status_code in RETRY_STATUSES and attempt < self.max_retries:
                hinted = parse_retry_after(response.headers.get("retry-after"))
                wait = hinted if hinted is not None else self._backoff(attempt)
                if wait <= self.max_wait:  # a longer wait is not slept: the typed error carries Retry-After
                    await response.aclose()
                    await self._wait(wait)
                    attempt += 1
                    continue
            if response.status_code >= 400:
                await self._raise(response)
            if not stream:
                await response.aread()
                await response.aclose()
            return response

    async def _raise(self, response: httpx.Response) -> None:
        try:
            await response.aread()
        finally:
            await response.aclose()
        try:
            body: Any = response.json()
        except ValueError:
            body = response.text
        raise error_for(response.status_code, body, dict(response.headers))

    def _backoff(self, attempt: int) -> float:
        return self.backoff * (2 ** attempt)

    async def _pace(self) -> None:
        wait = self.rate.wait_before_next(self._clock())
        if wait > 0:
            await self._wait(min(wait, self.max_wait))

    async def _wait(self, seconds: float) -> None:
        if seconds > 0:
            await self._sleep(seconds)
