"""All SQL of notifications (P8): e-mail subscriptions, webhooks and the delivery log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from switchhub.db import driver

_FAN_OUT_SQL = (
    "INSERT INTO deliveries (operator_code, channel, target, webhook_id, event_id, event_kind, payload,"
    " next_attempt_at)"
    " SELECT s.operator_code, 'email', s.email, CAST(NULL AS bigint), :eid, :kind, CAST(:p AS jsonb), CAST(:now AS timestamptz) FROM subscriptions s"
    "  WHERE s.operator_code = ANY(CAST(:ops AS text[])) AND s.event_kind = :kind"
    " UNION ALL"
    " SELECT w.operator_code, 'webhook', w.url, w.id, :eid, :kind, CAST(:p AS jsonb), CAST(:now AS timestamptz) FROM webhooks w"
    "  WHERE w.operator_code = ANY(CAST(:ops AS text[])) AND w.active"
    "  AND (cardinality(w.event_kinds) = 0 OR :kind = ANY(w.event_kinds))"
    " ON CONFLICT (channel, target, event_id) DO NOTHING")
_FAN_OUT = text(_FAN_OUT_SQL)


# -- fan-out: pending deliveries created in the transaction of the change -----------------------

async def insert_deliveries(conn: AsyncConnection, *, operator_codes: list[str], event_id: str, event_kind: str,
                            body: str, now: datetime) -> int:
    """One pending delivery per e-mail subscription of the event's kind and per active webhook
    (all kinds, or this one) of the given operators; an event already queued for a target is
    skipped. `body` is the payload as JSON text. Returns how many deliveries were created."""
    return await driver.execute(conn, _FAN_OUT_SQL, _fan_out_params(operator_codes, event_id, event_kind, body, now))


async def queue_deliveries(conn: AsyncConnection, *, operator_codes: list[str], event_id: str, event_kind: str,
                           body: str, now: datetime) -> None:
    """`insert_deliveries` without its count: held with the transaction's other writes (driver.hold)."""
    await driver.write(conn, _FAN_OUT_SQL, _fan_out_params(operator_codes, event_id, event_kind, body, now))


def _fan_out_params(operator_codes: list[str], event_id: str, event_kind: str, body: str, now: datetime
                    ) -> dict[str, Any]:
    return {"eid": event_id, "kind": event_kind, "p": body, "now": now, "ops": operator_codes}


async def insert_deliveries_many(conn: AsyncConnection, *, event_kind: str,
                                 events: list[tuple[list[str], str, str]], now: datetime) -> None:
    """`insert_deliveries` for many events of one kind, (operators, event id, JSON body) each, in
    one executemany."""
    await driver.send_held(conn)  # SQLAlchemy's executemany (pipelined) follows what the transaction holds
    await conn.execute(_FAN_OUT, [_fan_out_params(ops, eid, event_kind, body, now) for ops, eid, body in events])


async def interested_operators(conn: AsyncConnection, event_kind: str) -> list[str]:
    """Operators with an e-mail subscription to the kind or an active webhook that takes it."""
    return [r["operator_code"] for r in await driver.fetch(
        conn, "SELECT DISTINCT operator_code FROM subscriptions WHERE event_kind = :kind"
              " UNION SELECT DISTINCT operator_code FROM webhooks WHERE active"
              " AND (cardinality(event_kinds) = 0 OR :kind = ANY(event_kinds))", {"kind": event_kind})]


# -- webhooks and subscriptions of an operator -------------------------------------------------

async def insert_webhook(conn: AsyncConnection, operator_code: str, url: str, secret: str,
                         kinds: list[str]) -> dict[str, Any]:
    """A new active webhook; returns its `id` and `created_at`."""
    row = (await conn.execute(text(
        "INSERT INTO webhooks (operator_code, url, secret, event_kinds) VALUES (:op, :u, :s, :k)"
        " RETURNING id, created_at"),
        {"op": operator_code, "u": url, "s": secret, "k": kinds})).first()
    return dict(row._mapping)


async def webhooks_of(conn: AsyncConnection, operator_code: str) -> list[dict[str, Any]]:
    """The operator's webhooks, active or stopped, oldest first (never the secret)."""
    rows = await conn.execute(text("SELECT id, url, event_kinds, active, created_at FROM webhooks"
                                   " WHERE operator_code = :op ORDER BY id"), {"op": operator_code})
    return [dict(r._mapping) for r in rows]


async def deactivate_webhook(conn: AsyncConnection, webhook_id: int, operator_code: str) -> bool:
    """Stop an active webhook of the operator; False when there is no such active webhook."""
    result = await conn.execute(text(
        "UPDATE webhooks SET active = false WHERE id = :id AND operator_code = :op AND active"),
        {"id": webhook_id, "op": operator_code})
    return result.rowcount == 1


async def delete_subscription(conn: AsyncConnection, subscription_id: int, operator_code: str) -> bool:
    """Remove a subscription of the operator; False when the operator has no such subscription."""
    result = await conn.execute(text("DELETE FROM subscriptions WHERE id = :id AND operator_code = :op"),
                                {"id": subscription_id, "op": operator_code})
    return result.rowcount == 1


async def upsert_subscription(conn: AsyncConnection, operator_code: str, email: str, kind: str,
                              created_by: str | None) -> int:
    """Subscribe the address to the kind (again: only `created_by` changes); returns the id."""
    row = (await conn.execute(text(
        "INSERT INTO subscriptions (operator_code, email, event_kind, created_by) VALUES (:op, :e, :k, :by)"
        " ON CONFLICT (operator_code, email, event_kind) DO UPDATE SET created_by = EXCLUDED.created_by"
        " RETURNING id"), {"op": operator_code, "e": email, "k": kind, "by": created_by})).first()
    return row.id


async def subscriptions_of(conn: AsyncConnection, operator_code: str) -> list[dict[str, Any]]:
    """The operator's e-mail subscriptions, oldest first."""
    rows = await conn.execute(text("SELECT id, email, event_kind FROM subscriptions WHERE operator_code = :op"
                                   " ORDER BY id"), {"op": operator_code})
    return [dict(r._mapping) for r in rows]


# -- the delivery log --------------------------------------------------------------------------

_LOG_FILTER = (" WHERE operator_code = :op AND (:status = '' OR status = :status)"
               " AND (:kind = '' OR event_kind = :kind)")


async def count_deliveries(conn: AsyncConnection, operator_code: str, status: str = "", kind: str = "") -> int:
    """How many deliveries the operator's log holds (of the status and kind, '' for any)."""
    return (await conn.execute(text("SELECT count(*) FROM deliveries" + _LOG_FILTER),
                               {"op": operator_code, "status": status, "kind": kind})).scalar_one()


async def deliveries_page(conn: AsyncConnection, operator_code: str, offset: int, limit: int, status: str = "",
                          kind: str = "") -> list[dict[str, Any]]:
    """One page of the operator's delivery log, newest first (of the status and kind, '' for any)."""
    rows = await conn.execute(text(
        "SELECT id, channel, target, event_id, event_kind, status, attempts, next_attempt_at, last_error,"
        " delivered_at, created_at FROM deliveries" + _LOG_FILTER + " ORDER BY id DESC OFFSET :o LIMIT :n"),
        {"op": operator_code, "o": offset, "n": limit, "status": status, "kind": kind})
    return [dict(r._mapping) for r in rows]


async def insert_test_delivery(conn: AsyncConnection, webhook_id: int, operator_code: str, event_id: str,
                               body: str, now: datetime) -> int | None:
    """A pending `webhook.test` delivery to one active webhook of the operator (None: no such webhook);
    the worker sends it like any other, signed with the webhook's secret."""
    row = (await conn.execute(text(
        "INSERT INTO deliveries (operator_code, channel, target, webhook_id, event_id, event_kind, payload,"
        " next_attempt_at) SELECT w.operator_code, 'webhook', w.url, w.id, :eid, 'webhook.test', CAST(:p AS jsonb),"
        " CAST(:now AS timestamptz) FROM webhooks w WHERE w.id = :id AND w.operator_code = :op AND w.active"
        " RETURNING id"), {"id": webhook_id, "op": operator_code, "eid": event_id, "p": body, "now": now})).first()
    return row.id if row else None


async def users_with_email(conn: AsyncConnection, operator_code: str) -> list[dict[str, Any]]:
    """The operator's active people with an e-mail address (whom an admin can subscribe)."""
    rows = await conn.execute(text(
        "SELECT login_id, display_name, email FROM users WHERE operator_code = :op AND NOT is_api_user"
        " AND status = 'active' AND email <> '' ORDER BY login_id"), {"op": operator_code})
    return [dict(r._mapping) for r in rows]


# -- sending (the worker, one short transaction per delivery) ----------------------------------

async def lock_next_due(conn: AsyncConnection, now: datetime) -> Row | None:
    """The oldest pending delivery due at `now`, locked for this transaction (rows another worker
    holds are skipped), with its webhook's signing secret (`secret`, NULL for e-mail)."""
    return (await conn.execute(text(
        "SELECT d.*, w.secret FROM deliveries d LEFT JOIN webhooks w ON w.id = d.webhook_id"
        " WHERE d.status = 'pending' AND d.next_attempt_at <= :now ORDER BY d.next_attempt_at, d.id"
        " LIMIT 1 FOR UPDATE OF d SKIP LOCKED"), {"now": now})).first()


async def record_failed_attempt(conn: AsyncConnection, delivery_id: int, *, attempts: int, first_attempt_at: datetime,
                                error: str, status: str, next_attempt_at: datetime) -> None:
    """Log a failed attempt: its reason code, the status (pending or failed) and the next try."""
    await conn.execute(text(
        "UPDATE deliveries SET attempts = :a, first_attempt_at = :f, last_error = :e,"
        " status = :s, next_attempt_at = :next WHERE id = :id"),
        {"a": attempts, "f": first_attempt_at, "e": error, "s": status, "next": next_attempt_at, "id": delivery_id})


async def record_delivered(conn: AsyncConnection, delivery_id: int, *, first_attempt_at: datetime,
                           now: datetime) -> None:
    """Log the attempt that succeeded: the delivery is done."""
    await conn.execute(text(
        "UPDATE deliveries SET attempts = attempts + 1, first_attempt_at = :f, status = 'delivered',"
        " delivered_at = :now, last_error = '' WHERE id = :id"), {"f": first_attempt_at, "now": now, "id": delivery_id})
