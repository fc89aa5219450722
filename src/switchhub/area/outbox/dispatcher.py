"""Delivers outbox events to the hub at least once (the hub drops duplicates by event ID)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from switchhub.area.outbox import repository

log = logging.getLogger("switchhub.area.outbox")
Poster = Callable[[list[dict[str, Any]]], Awaitable[bool]]


async def deliver(engine: AsyncEngine, post: Poster, *, batch: int = 200) -> int:
    """Send pending events in order; returns how many were confirmed by the hub."""
    sent = 0
    while True:
        async with engine.begin() as conn:
            events = await repository.pending(conn, batch)
            if not events:
                return sent
            body = [{"id": e["id"], "area": e["area"], "kind": e["kind"], "payload": e["payload"],
                     "created_at": e["created_at"].isoformat()} for e in events]
            try:
                ok = await post(body)
            except Exception:
                log.warning("hub unreachable; %d events stay in the outbox", len(events))
                ok = False
            await repository.mark(conn, [e["id"] for e in events], ok)
        if not ok:
            return sent
        sent += len(events)


class HttpsPoster:
    """Posts event batches to the hub over HTTPS with the area's certificate (one kept-alive
    client; close it with `aclose` when the worker stops)."""

    def __init__(self, hub_url: str, cert: tuple[str, str], ca: str, timeout: float = 10.0) -> None:
        import ssl

        import httpx

        ctx = ssl.create_default_context(cafile=ca)
        ctx.load_cert_chain(*cert)
        self._client = httpx.AsyncClient(base_url=hub_url, verify=ctx, timeout=timeout)

    async def __call__(self, events: list[dict[str, Any]]) -> bool:
        resp = await self._client.post("/internal/v1/area-events", json={"events": events})
        return resp.status_code == 200

    async def aclose(self) -> None:
        await self._client.aclose()


def https_poster(hub_url: str, cert: tuple[str, str], ca: str, timeout: float = 10.0) -> HttpsPoster:
    return HttpsPoster(hub_url, cert, ca, timeout)
