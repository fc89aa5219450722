"""Events to the hub, written in the same transaction as the change they report."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from switchhub.contract.events import kind_of
from switchhub.db import driver


def encoded(event: BaseModel) -> tuple[str, str]:
    """(kind, payload as JSON text) of one contract event, as an outbox row holds it (its kind follows
    from its payload type)."""
    return kind_of(event).value, json.dumps(event.model_dump(mode="json"), ensure_ascii=False)


async def emit(conn: AsyncConnection, area: str, event: BaseModel) -> None:
    """Queue one contract event in this transaction."""
    kind, payload = encoded(event)
    await driver.write(conn, "INSERT INTO outbox_events (area, kind, payload) VALUES (:a, :k, CAST(:p AS jsonb))",
                       {"a": area, "k": kind, "p": payload})


async def pending(conn: AsyncConnection, limit: int) -> list[dict[str, Any]]:
    rows = await conn.execute(text(
        "SELECT id, area, kind, payload, created_at FROM outbox_events WHERE delivered_at IS NULL"
        " ORDER BY id LIMIT :n FOR UPDATE SKIP LOCKED"), {"n": limit})
    return [dict(r._mapping) for r in rows]


async def mark(conn: AsyncConnection, ids: list[int], delivered: bool) -> None:
    if delivered:
        await conn.execute(text("UPDATE outbox_events SET delivered_at = now(), attempts = attempts + 1"
                                " WHERE id = ANY(CAST(:ids AS bigint[]))"), {"ids": ids})
    else:
        await conn.execute(text("UPDATE outbox_events SET attempts = attempts + 1 WHERE id = ANY(CAST(:ids AS bigint[]))"),
                           {"ids": ids})


async def lag_by_area(conn: AsyncConnection) -> dict[str, tuple[int, float]]:
    """Per area: undelivered events and the age in seconds of the oldest (the outbox lag metric;
    the partial index outbox_pending holds exactly the undelivered rows)."""
    rows = await conn.execute(text(
        "SELECT area, count(*), EXTRACT(EPOCH FROM now() - min(created_at)) FROM outbox_events"
        " WHERE delivered_at IS NULL GROUP BY area"))
    return {area: (n, float(age)) for area, n, age in rows}
