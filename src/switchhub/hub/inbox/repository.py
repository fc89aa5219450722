"""All SQL of the event inbox: the (area, event id) key that drops duplicates."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection


async def record(conn: AsyncConnection, area: str, event_id: int, kind: str, payload: dict[str, Any]) -> bool:
    """Keep the event; False when it was already received (a redelivery)."""
    new = (await conn.execute(text(
        "INSERT INTO area_events (area, event_id, kind, payload) VALUES (:a, :i, :k, CAST(:p AS jsonb))"
        " ON CONFLICT DO NOTHING RETURNING event_id"),
        {"a": area, "i": event_id, "k": kind, "p": json.dumps(payload, ensure_ascii=False)})).first()
    return new is not None


async def requested_date_of(conn: AsyncConnection, area: str, application_no: str) -> str | None:
    """The latest date an area reported for one of its applications (its stage-changed events)."""
    row = (await conn.execute(text(
        "SELECT payload->>'requested_date' FROM area_events WHERE area = :a AND kind = 'application.stage_changed'"
        " AND payload->>'application_no' = :no ORDER BY event_id DESC LIMIT 1"),
        {"a": area, "no": application_no})).first()
    return row[0] or None if row else None
