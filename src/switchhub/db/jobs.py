"""Durable keyed jobs in PostgreSQL (hub and area each have a `jobs` table).

A job is written in the same transaction as the change that causes it, so a rolled-back
change schedules nothing and a committed one is never lost. `(kind, key)` is unique: a
deadline monitor that schedules "expire relay R" twice gets one job, and a job runs its
handler and is marked done in one transaction, so its database effect happens once.
Jobs are named `domain.verb` and declared next to their domain (see each `tasks.py`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from switchhub.db import driver
from switchhub.metrics import JOBS

log = logging.getLogger("switchhub.jobs")
Handler = Callable[[AsyncConnection, dict[str, Any], datetime], Awaitable[None]]


async def enqueue(conn: AsyncConnection, kind: str, key: str, run_at: datetime, payload: dict[str, Any] | None = None,
                  *, reschedule: bool = False) -> None:
    """Schedule `kind` for `key` (once); with reschedule=True a pending job moves to the new time."""
    await driver.write(
        conn, f"INSERT INTO jobs (kind, key, run_at, payload) VALUES (:kind, :key, :run_at, CAST(:payload AS jsonb))"
              f" {_on_conflict(reschedule)}",
        {"kind": kind, "key": key, "run_at": run_at, "payload": json.dumps(payload or {}, default=str)})


async def enqueue_each(conn: AsyncConnection, items: list[tuple[str, str, datetime]], *, reschedule: bool = False
                       ) -> None:
    """`enqueue` of several (kind, key, run_at) without payload, in one statement."""
    if items:
        await driver.write(conn, "INSERT INTO jobs (kind, key, run_at, payload) SELECT k, key, r, '{}' FROM unnest("
                                 "CAST(:kinds AS text[]), CAST(:keys AS text[]), CAST(:runs AS timestamptz[]))"
                                 f" AS t(k, key, r) {_on_conflict(reschedule)}",
                           {"kinds": [i[0] for i in items], "keys": [i[1] for i in items],
                            "runs": [i[2] for i in items]})


async def enqueue_many(conn: AsyncConnection, kind: str, items: list[tuple[str, datetime]]) -> None:
    """`enqueue` of many keys of one kind (no payload), in one statement."""
    await enqueue_each(conn, [(kind, key, run_at) for key, run_at in items])


def _on_conflict(reschedule: bool) -> str:
    """A job already queued for (kind, key) stays once; rescheduled, a pending one moves to the new time."""
    return ("ON CONFLICT (kind, key) DO UPDATE SET run_at = EXCLUDED.run_at, payload = EXCLUDED.payload"
            " WHERE jobs.done_at IS NULL" if reschedule else "ON CONFLICT (kind, key) DO NOTHING")


async def cancel(conn: AsyncConnection, kind: str | list[str], key: str | list[str], now: datetime) -> None:
    """End the pending job of `kind` for `key` (or of each of several kinds and keys, in one statement)."""
    kinds = [kind] if isinstance(kind, str) else kind
    keys = [key] if isinstance(key, str) else key
    await driver.write(conn, "UPDATE jobs SET done_at = :now, last_error = 'cancelled'"
                             " WHERE kind = ANY(CAST(:kinds AS text[])) AND key = ANY(CAST(:keys AS text[]))"
                             " AND done_at IS NULL",
                       {"kinds": kinds, "keys": keys, "now": now})


async def run_due(engine: AsyncEngine, handlers: dict[str, Handler], now: datetime, *, limit: int = 100) -> int:
    """Run jobs due at `now`, each in its own transaction; failures are retried with back-off."""
    done = 0
    for _ in range(limit):
        outcome = None
        async with engine.begin() as conn:
            row = (await conn.execute(text(
                "SELECT id, kind, key, payload, attempts FROM jobs WHERE done_at IS NULL AND run_at <= :now"
                " AND kind = ANY(CAST(:kinds AS text[])) ORDER BY run_at, id LIMIT 1 FOR UPDATE SKIP LOCKED"),
                {"now": now, "kinds": list(handlers)})).first()
            if row is None:
                return done
            try:
                async with conn.begin_nested():
                    await handlers[row.kind](conn, {**row.payload, "_key": row.key}, now)
                await conn.execute(text("UPDATE jobs SET done_at = :now, attempts = attempts + 1 WHERE id = :id"),
                                   {"now": now, "id": row.id})
                done += 1
                outcome = "done"
            except Exception as exc:  # the handler's work is rolled back to the savepoint; retry later
                log.exception("job %s %s failed", row.kind, row.key)
                delay = timedelta(seconds=min(30 * 2 ** row.attempts, 3600))
                await conn.execute(text("UPDATE jobs SET attempts = attempts + 1, last_error = :e, run_at = :next"
                                        " WHERE id = :id"), {"e": repr(exc)[:500], "next": now + delay, "id": row.id})
                outcome = "failed"
        JOBS.labels(row.kind, outcome).inc()  # counted once its transaction committed
    return done


async def due_counts(conn: AsyncConnection, now: datetime) -> dict[str, int]:
    """Jobs due and not done, by kind (the queue depth; the partial index jobs_due serves it)."""
    rows = await conn.execute(text("SELECT kind, count(*) FROM jobs WHERE done_at IS NULL AND run_at <= :now"
                                   " GROUP BY kind"), {"now": now})
    return {kind: n for kind, n in rows}
