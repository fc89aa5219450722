"""The suite's side of the wire: the hub's mutual-TLS client, the acting-operator headers of each
role it plays, and the time every answer took (the deadline check reads them)."""

from __future__ import annotations

import json
import ssl
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from switchhub.contract import headers as h


@dataclass(frozen=True)
class Actor:
    """An operator the suite acts for, as the hub names it (the area trusts these from the hub only)."""

    code: str
    kind: str
    areas: str = ""

    def headers(self) -> dict[str, str]:
        return {
            h.OPERATOR: self.code,
            h.OPERATOR_KIND: self.kind,
            h.OPERATOR_AREAS: self.areas,
            h.USER: f"{self.code.lower()}-conformance",
            h.ROLE: "api",
        }


@dataclass
class Exchange:
    """One request and its answer (status 0: no answer within the client's timeout)."""

    method: str
    path: str  # the contract's path template, e.g. /area/v1/supply-points/{spid}
    url: str
    status: int
    content_type: str
    body: Any
    raw: bytes
    elapsed_s: float
    headers: dict[str, str] = field(default_factory=dict)
    error: str = ""

    @property
    def operation(self) -> str:
        return f"{self.method} {self.path}"


class AreaProbe:
    def __init__(
        self,
        base_url: str,
        *,
        cert: str | None,
        key: str | None,
        ca: str | None,
        timeout_s: float,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        verify: Any = True
        if transport is None:
            ctx = ssl.create_default_context(cafile=ca) if ca else ssl.create_default_context()
            if cert:
                ctx.load_cert_chain(cert, key)
            verify = ctx
        self.exchanges: list[Exchange] = []
        self._client = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            verify=verify,
            transport=transport,
            timeout=httpx.Timeout(timeout_s, connect=min(timeout_s, 5.0)),
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def call(
        self,
        method: str,
        template: str,
        actor: Actor | None,
        *,
        path: str | None = None,
        params: dict[str, Any] | None = None,
        json_body: Any = None,
        content: bytes | None = None,
        extra_headers: dict[str, str] | None = None,
    ) -> Exchange:
        url = path or template
        headers = {**(actor.headers() if actor else {}), **(extra_headers or {})}
        if content is not None:
            headers["content-type"] = "application/json"
        started = time.perf_counter()
        try:
            resp = await self._client.request(
                method, url, params=params, json=json_body, content=content, headers=headers
            )
        except httpx.TimeoutException:
            ex = Exchange(
                method, template, url, 0, "", None, b"", time.perf_counter() - started, error="timeout"
            )
        except httpx.HTTPError as exc:
            ex = Exchange(
                method,
                template,
                url,
                0,
                "",
                None,
                b"",
                time.perf_counter() - started,
                error=f"{type(exc).__name__}: {exc}",
            )
        else:
            raw = resp.content
            ctype = resp.headers.get("content-type", "")
            body: Any = None
            if "json" in ctype:
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = None
            ex = Exchange(
                method,
                template,
                url,
                resp.status_code,
                ctype,
                body,
                raw,
                time.perf_counter() - started,
                {k.lower(): v for k, v in resp.headers.items()},
            )
        self.exchanges.append(ex)
        return ex
