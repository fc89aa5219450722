"""All SQL of relays and their history."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from switchhub.db import driver, joined
from switchhub.kernel.clock import get_clock
from switchhub.kernel.codes import RelayStatus
from switchhub.kernel.visibility import RelayScope

OPEN_STATUSES = [s.value for s in RelayStatus if s.open]

COLUMNS = ("r.relay_no, r.spid, r.area, r.new_retailer, r.current_retailer, r.contract_no, r.customer_name_kana,"
           " r.customer_name_kanji, r.address, r.building, r.requested_switch_date, r.contact_name, r.contact_phone,"
           " r.status, r.status_reason, r.decision, r.decision_staff, r.ng_reasons, r.ng_memo, r.decided_at,"
           " r.withdrawn_by, r.withdrawal_reason, r.decision_deadline, r.switch_start_no, r.registered_by,"
           " r.registered_at, r.updated_at, nr.name AS new_retailer_name, cr.name AS current_retailer_name")
FROM = (" FROM relays r JOIN operators nr ON nr.code = r.new_retailer"
        " JOIN operators cr ON cr.code = r.current_retailer")


async def next_number(conn: AsyncConnection, today: date) -> str:
    n = (await conn.execute(text("SELECT nextval('relay_no_seq')"))).scalar_one()
    return f"R{today:%Y%m%d}{n:07d}"


async def next_numbers(conn: AsyncConnection, today: date, count: int) -> list[str]:
    rows = await driver.fetch(conn, "SELECT nextval('relay_no_seq') AS n FROM generate_series(1, :n)", {"n": count})
    return [f"R{today:%Y%m%d}{r['n']:07d}" for r in rows]


async def open_for_point(conn: AsyncConnection, spid: str) -> dict[str, Any] | None:
    return await driver.fetch_one(conn, f"SELECT {COLUMNS}{FROM} WHERE r.spid = :s AND r.status = ANY(:open)"
                                        " FOR UPDATE OF r", {"s": spid, "open": OPEN_STATUSES})


async def open_for_points(conn: AsyncConnection, spids: list[str], *, for_update: bool) -> dict[str, dict[str, Any]]:
    """The open relay of each of the points that has one (a bulk file's prefetch), locked if asked."""
    if not spids:
        return {}
    rows = await conn.execute(text(f"SELECT {COLUMNS}{FROM} WHERE r.spid = ANY(:s) AND r.status = ANY(:open)" +
                                   (" FOR UPDATE OF r" if for_update else "")), {"s": spids, "open": OPEN_STATUSES})
    return {d["spid"]: d for d in (dict(r._mapping) for r in rows)}


_HISTORY_COLUMNS = ("relay_no", "from_status", "to_status", "rule", "reason_code", "actor")
_ARRAY_TYPES = {"requested_switch_date": "date[]", "decision_deadline": "date[]", "registered_at": "timestamptz[]"}


async def insert_new(conn: AsyncConnection, relays: list[dict[str, Any]]) -> int:
    """One relay or a bulk file's relays, all with the same columns, in one statement (a column array
    each); returns how many were stored. A relay whose point has an open relay of a registration
    committed meanwhile is not stored (the partial unique index `relays_one_open_per_point`; the
    statement waits for a registration still in flight): the caller refuses it, in a transaction
    that stays usable, so no savepoint is needed around the insert (two round trips each)."""
    if not relays:
        return 0
    cols = list(relays[0])
    arrays = ", ".join(f"CAST(:{c} AS {_ARRAY_TYPES.get(c, 'text[]')})" for c in cols)
    rows = await driver.fetch(conn, f"INSERT INTO relays ({', '.join(cols)}) SELECT * FROM unnest({arrays})"
                                    " ON CONFLICT DO NOTHING RETURNING relay_no",
                              {c: [r[c] for r in relays] for c in cols})
    return len(rows)


async def get(conn: AsyncConnection, relay_no: str, *, for_update: bool = False) -> dict[str, Any] | None:
    return await driver.fetch_one(conn, f"SELECT {COLUMNS}{FROM} WHERE r.relay_no = :n" +
                                  (" FOR UPDATE OF r" if for_update else ""), {"n": relay_no})


async def with_history(conn: AsyncConnection, relay_no: str) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """One relay and its history in order, in one statement (db/joined.py)."""
    rows = await driver.fetch(conn, (
        f"SELECT {COLUMNS}, h.from_status AS h_from_status, h.to_status AS h_to_status, h.rule AS h_rule,"
        f" h.reason_code AS h_reason_code, h.actor AS h_actor, h.detail AS h_detail, h.at AS h_at{FROM}"
        " LEFT JOIN relay_history h ON h.relay_no = r.relay_no WHERE r.relay_no = :n ORDER BY h.id"),
        {"n": relay_no})
    return joined.split(rows, "h_", "at")


async def update_fields(conn: AsyncConnection, relay_no: str, fields: dict[str, Any]) -> None:
    assignments = ", ".join(f"{k} = :{k}" for k in fields)
    await driver.write(conn, f"UPDATE relays SET {assignments}, updated_at = :now WHERE relay_no = :relay_no",
                       {**fields, "relay_no": relay_no, "now": get_clock().now()})


async def record_change(conn: AsyncConnection, relay_no: str, fields: dict[str, Any] | None, from_status: str | None,
                        to_status: str, rule: str, reason_code: str, actor: str,
                        detail: dict[str, Any] | None = None) -> None:
    """One status change in one statement: the relay's new columns (`fields`; None for a relay just
    inserted) and its history row. `at` and `updated_at` by the application clock: the history is
    shown, and a sandbox's clock moves it."""
    now = get_clock().now()
    params = {"no": relay_no, "f": from_status, "t": to_status, "rule": rule, "reason": reason_code, "actor": actor,
              "detail": json.dumps(detail or {}, ensure_ascii=False, default=str), "at": now}
    update = ""
    if fields is not None:
        assignments = ", ".join(f"{k} = :set_{k}" for k in fields)
        update = f"WITH state AS (UPDATE relays SET {assignments}, updated_at = :at WHERE relay_no = :no) "
        params.update({f"set_{k}": v for k, v in fields.items()})
    await driver.write(conn, (
        f"{update}INSERT INTO relay_history (relay_no, from_status, to_status, rule, reason_code, actor, detail, at)"
        " VALUES (:no, :f, :t, :rule, :reason, :actor, CAST(:detail AS jsonb), :at)"), params)


async def add_history_many(conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    """History rows (relay_no, from_status, to_status, rule, reason_code, actor, detail) in one statement
    (a column array each, as `insert_new`)."""
    if rows:
        columns = {c: [r.get(c) for r in rows] for c in _HISTORY_COLUMNS}
        columns["detail"] = [json.dumps(r.get("detail") or {}, ensure_ascii=False, default=str) for r in rows]
        await driver.write(conn, (
            "INSERT INTO relay_history (relay_no, from_status, to_status, rule, reason_code, actor, detail, at)"
            " SELECT n, f, t, rule, reason, actor, CAST(d AS jsonb), :at FROM unnest(CAST(:relay_no AS text[]),"
            " CAST(:from_status AS text[]), CAST(:to_status AS text[]), CAST(:rule AS text[]),"
            " CAST(:reason_code AS text[]), CAST(:actor AS text[]), CAST(:detail AS text[])) WITH ORDINALITY"
            " AS h(n, f, t, rule, reason, actor, d, i) ORDER BY i"),
            {**columns, "at": get_clock().now()})


async def search(conn: AsyncConnection, scope: RelayScope, where: list[str], params: dict[str, Any], offset: int,
                 limit: int) -> tuple[int, list[dict[str, Any]]]:
    """Relays within the visibility scope (the only way to list relays) matching the filters."""
    if scope.column is not None:
        where = [f"r.{scope.column} = :scope_operator", *where]
        params = {**params, "scope_operator": scope.operator_code}
    cond = " AND ".join(where) or "true"
    total = (await conn.execute(text(f"SELECT count(*){FROM} WHERE {cond}"), params)).scalar_one()
    rows = await conn.execute(text(f"SELECT {COLUMNS}{FROM} WHERE {cond} ORDER BY r.updated_at DESC, r.relay_no DESC"
                                   " OFFSET :offset LIMIT :limit"), {**params, "offset": offset, "limit": limit})
    return int(total), [dict(r._mapping) for r in rows]


async def count_awaiting_decision(conn: AsyncConnection, current_retailer: str) -> int:
    """Relays addressed to this retailer still awaiting its decision (the portal's badge)."""
    return int((await conn.execute(text(
        "SELECT count(*) FROM relays WHERE current_retailer = :op AND status = :status"),
        {"op": current_retailer, "status": RelayStatus.AWAITING_DECISION.value})).scalar_one())
