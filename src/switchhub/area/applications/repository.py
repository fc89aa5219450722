"""All SQL of applications, the change feed and the supply/customer periods they change."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from switchhub.db import driver, joined
from switchhub.kernel.clock import get_clock
from switchhub.kernel.codes import ApplicationStage, ApplicationType

OPEN_STAGES = [s.value for s in ApplicationStage if not s.terminal]

FEED_LOCK = 7_211_001
COLUMNS = ("application_no, area, spid, type, stage, applicant_code, received_at, requested_date, effective_date,"
           " payload, relay_no, channel, meter_work, customer_request, matched_with, matching_deadline, reason_code,"
           " messages, notes, supply_start_date, supply_end_date, meter_replaced_date, counterpart_code, previous, updated_at")


async def lock_point(conn: AsyncConnection, spid: str) -> None:
    """Serialise filings for one point so that the second of a pair always sees the first."""
    await driver.execute(conn, "SELECT pg_advisory_xact_lock(hashtext(:s))", {"s": spid})


async def lock_point_of(conn: AsyncConnection, application_no: str) -> None:
    """The point lock of an application's point (execution serialises with filings there)."""
    await driver.execute(conn, "SELECT pg_advisory_xact_lock(hashtext(rtrim(spid))) FROM applications"
                               " WHERE application_no = :no", {"no": application_no})


async def point_state(conn: AsyncConnection, area: str, spid: str, on: date) -> dict[str, Any] | None:
    d = await driver.fetch_one(conn, (
        "SELECT p.spid, p.channel, p.contract_status, p.capacity_method, p.reading_day_code, p.meters,"
        " p.contract_current, p.breaker_remote,"
        " (SELECT s.retailer_code FROM supply_periods s WHERE s.area = p.area AND s.spid = p.spid"
        "   AND s.valid_from <= :on AND (s.valid_to IS NULL OR s.valid_to >= :on) ORDER BY s.valid_from DESC LIMIT 1)"
        "   AS supplier,"
        " (SELECT c.name_kanji FROM customer_periods c WHERE c.area = p.area AND c.spid = p.spid"
        "   AND c.valid_to IS NULL ORDER BY c.valid_from DESC LIMIT 1) AS customer_name"
        " FROM supply_points p WHERE p.area = :area AND p.spid = :spid"),
        {"area": area, "spid": spid, "on": on})
    if d is None:
        return None
    d["smart"] = any(m.get("smart") for m in (d["meters"] or []))
    return d


async def open_applications(conn: AsyncConnection, area: str, spid: str) -> list[dict[str, Any]]:
    return await driver.fetch(conn, f"SELECT {COLUMNS} FROM applications WHERE area = :area AND spid = :spid"
                                    " AND stage = ANY(:open) ORDER BY received_at FOR UPDATE",
                              {"area": area, "spid": spid, "open": OPEN_STAGES})


async def insert(conn: AsyncConnection, app: dict[str, Any], today: date) -> str:
    """Store a new application under the next number, `<area><received day YYYYMMDD><8 digits>`
    (more digits once the sequence passes them), drawn in the same statement; returns the number."""
    [row] = await driver.fetch(conn, (
        "INSERT INTO applications (application_no, area, spid, type, stage, applicant_code, received_at,"
        " requested_date, payload, relay_no, channel, meter_work, customer_request, matching_deadline, previous)"
        " VALUES ((SELECT CAST(:prefix AS text) || lpad(n::text, greatest(8, length(n::text)), '0')"
        " FROM nextval('applications_no_seq') AS n), :area, :spid, :type, :stage, :applicant_code, :received_at,"
        " :requested_date, CAST(:payload AS jsonb), :relay_no, :channel, :meter_work, :customer_request,"
        " :matching_deadline, CAST(:previous AS jsonb)) RETURNING application_no"),
        {**app, "prefix": f"{app['area']}{today:%Y%m%d}",
         "payload": json.dumps(app["payload"], ensure_ascii=False, default=str),
         "previous": json.dumps(app.get("previous"), ensure_ascii=False, default=str)})
    return row["application_no"]


JSON_COLUMNS = frozenset({"payload", "previous"})


def _assignments(sets: dict[str, Any], message: dict[str, Any] | None) -> tuple[str, dict[str, Any]]:
    """`SET` clause and parameters writing the given columns (and appending one coded message). The
    parameters are named `set_<column>`: the statement's own (`payload`: the event's, `area`, …) are
    not columns' values (a correction's new `payload` once became its stage event's payload, which the
    hub refused, holding back every later event of the area)."""
    assignments = ", ".join(f"{k} = CAST(:set_{k} AS jsonb)" if k in JSON_COLUMNS else f"{k} = :set_{k}"
                            for k in sets)
    params = {f"set_{k}": json.dumps(v, ensure_ascii=False, default=str) if k in JSON_COLUMNS else v
              for k, v in sets.items()}
    if message:
        params["set_msg"] = json.dumps([message], ensure_ascii=False)
        assignments += ", messages = messages || CAST(:set_msg AS jsonb)"
    return assignments + ", updated_at = now()", params


async def record_change(conn: AsyncConnection, app: dict[str, Any], sets: dict[str, Any] | None,
                        message: dict[str, Any] | None, change: dict[str, str | None], event: tuple[str, str]
                        ) -> None:
    """One stage change in one statement: the application's new columns (`sets`; None for one just
    inserted), its entry in the ordered change log (the feed) and its outbox event (`event`: kind and
    payload, outbox.repository.encoded).

    The feed lock serialises the tail of stage-changing transactions so that the feed's sequence is
    the commit order: the change row is selected from the lock's row, so its sequence number is drawn
    after the lock is held, and the event from the change row, so it follows it. `at` is the
    application clock's (the history is shown; a sandbox's clock moves it)."""
    params: dict[str, Any] = {
        "no": app["application_no"], "op": app["applicant_code"], "area": app["area"], "f": change["from_stage"],
        "t": change["to_stage"], "rule": change["rule"], "reason": change["reason"], "actor": change["actor"],
        "at": get_clock().now(), "feed_lock": FEED_LOCK, "kind": event[0], "payload": event[1]}
    update = ""
    if sets is not None:
        assignments, values = _assignments(sets, message)
        update = f", state AS (UPDATE applications SET {assignments} WHERE application_no = :no)"
        params.update(values)
    await driver.write(conn, (
        f"WITH feed AS (SELECT pg_advisory_xact_lock(:feed_lock)){update},"
        " change AS (INSERT INTO application_changes (application_no, applicant_code, area, from_stage, to_stage,"
        " rule, reason_code, actor, at) SELECT :no, :op, :area, :f, :t, :rule, :reason, :actor,"
        " CAST(:at AS timestamptz) FROM feed RETURNING seq)"
        " INSERT INTO outbox_events (area, kind, payload) SELECT :area, :kind, CAST(:payload AS jsonb) FROM change"),
        params)


async def get(conn: AsyncConnection, application_no: str, *, for_update: bool = False) -> dict[str, Any] | None:
    return await driver.fetch_one(conn, f"SELECT {COLUMNS} FROM applications WHERE application_no = :no"
                                        + (" FOR UPDATE" if for_update else ""), {"no": application_no})


async def with_history(conn: AsyncConnection, application_no: str
                       ) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """One application and its change log in order, in one statement (db/joined.py)."""
    columns = ", ".join(f"a.{c.strip()}" for c in COLUMNS.split(","))
    rows = await driver.fetch(conn, (
        f"SELECT {columns}, c.seq AS h_seq, c.from_stage AS h_from_stage, c.to_stage AS h_to_stage, c.rule AS h_rule,"
        " c.reason_code AS h_reason_code, c.actor AS h_actor, c.at AS h_at FROM applications a"
        " LEFT JOIN application_changes c ON c.application_no = a.application_no WHERE a.application_no = :no"
        " ORDER BY c.seq"), {"no": application_no})
    return joined.split(rows, "h_", "at")


async def feed(conn: AsyncConnection, area: str, applicant: str, after: int, limit: int) -> list[dict[str, Any]]:
    rows = await conn.execute(text(
        "SELECT c.seq, c.application_no, c.from_stage, c.to_stage, c.rule, c.reason_code, c.at, a.type, a.spid,"
        " a.requested_date FROM application_changes c JOIN applications a ON a.application_no = c.application_no"
        " WHERE c.area = :area AND c.applicant_code = :op AND c.seq > :after ORDER BY c.seq LIMIT :n"),
        {"area": area, "op": applicant, "after": after, "n": limit})
    return [dict(r._mapping) for r in rows]


async def unmatched_pairs(conn: AsyncConnection, limit: int = 100) -> list[tuple[str, str]]:
    rows = await conn.execute(text(
        "SELECT s.application_no, e.application_no FROM applications s JOIN applications e"
        " ON e.area = s.area AND e.spid = s.spid AND e.requested_date = s.requested_date"
        " WHERE s.type = ANY(:start) AND e.type = ANY(:end) AND s.stage = ANY(:waiting) AND e.stage = ANY(:waiting)"
        " LIMIT :n"),
        {"n": limit, "start": [ApplicationType.SWITCH_START.value, ApplicationType.FIT_SWITCH_START.value],
         "end": [ApplicationType.SWITCH_END.value, ApplicationType.FIT_SWITCH_END.value],
         "waiting": [ApplicationStage.METER_WORK.value, ApplicationStage.AWAITING_MATCH.value]})
    return [(r[0], r[1]) for r in rows]


async def end_supply(conn: AsyncConnection, area: str, spid: str, retailer: str, last_day: date) -> int:
    result = await conn.execute(text(
        "UPDATE supply_periods SET valid_to = :d WHERE area = :area AND spid = :spid AND retailer_code = :r"
        " AND valid_to IS NULL"), {"d": last_day, "area": area, "spid": spid, "r": retailer})
    return result.rowcount


async def start_supply(conn: AsyncConnection, area: str, spid: str, retailer: str, first_day: date) -> None:
    await conn.execute(text("INSERT INTO supply_periods (area, spid, retailer_code, valid_from)"
                            " VALUES (:area, :spid, :r, :d)"), {"area": area, "spid": spid, "r": retailer, "d": first_day})


async def change_customer(conn: AsyncConnection, area: str, spid: str, first_day: date, kana: str, kanji: str,
                          phone: str) -> None:
    """A new customer period from `first_day` unless the same customer continues (same kanji name)."""
    current = (await conn.execute(text(
        "SELECT id, name_kanji FROM customer_periods WHERE area = :area AND spid = :spid AND valid_to IS NULL"),
        {"area": area, "spid": spid})).first()
    if current is not None and current.name_kanji.replace(" ", "") == kanji.replace(" ", ""):
        await conn.execute(text("UPDATE customer_periods SET phone = :p WHERE area = :area AND id = :id"),
                           {"p": phone, "area": area, "id": current.id})
        return
    await end_customer(conn, area, spid, first_day - timedelta(days=1))
    await start_customer(conn, area, spid, first_day, kana, kanji, phone)


async def mark_meter_replaced(conn: AsyncConnection, area: str, spid: str) -> None:
    await conn.execute(text(
        "UPDATE supply_points SET meters = (SELECT jsonb_agg(m || '{\"smart\": true, \"meter_type\": \"1\","
        " \"interval_collectable\": true, \"auto_reading\": true}'::jsonb) FROM jsonb_array_elements(meters) m),"
        " updated_at = now() WHERE area = :area AND spid = :spid"), {"area": area, "spid": spid})


async def current_customer(conn: AsyncConnection, area: str, spid: str, on: date) -> dict[str, Any] | None:
    row = (await conn.execute(text(
        "SELECT id, name_kana, name_kanji, phone, contact_phone FROM customer_periods WHERE area = :area"
        " AND spid = :spid AND valid_from <= :on AND (valid_to IS NULL OR valid_to >= :on)"
        " ORDER BY valid_from DESC LIMIT 1"), {"area": area, "spid": spid, "on": on})).first()
    return dict(row._mapping) if row else None


async def end_customer(conn: AsyncConnection, area: str, spid: str, last_day: date) -> None:
    """No customer period of the point covers a day after `last_day`: one that reaches past it ends
    on it, one that would begin later ends the day before it begins (covering no day; area 0014), so
    a period started the day after never overlaps another (the export joins on that)."""
    await conn.execute(text(
        "UPDATE customer_periods SET valid_to = GREATEST(:d, valid_from - 1) WHERE area = :area AND spid = :spid"
        " AND (valid_to IS NULL OR valid_to > :d)"), {"d": last_day, "area": area, "spid": spid})


async def start_customer(conn: AsyncConnection, area: str, spid: str, first_day: date, kana: str, kanji: str,
                         phone: str, contact_phone: str = "") -> None:
    await conn.execute(text("INSERT INTO customer_periods (area, spid, name_kana, name_kanji, phone, contact_phone,"
                            " valid_from) VALUES (:area, :spid, :kana, :kanji, :p, :cp, :d)"),
                       {"area": area, "spid": spid, "kana": kana, "kanji": kanji, "p": phone, "cp": contact_phone,
                        "d": first_day})


async def update_customer_phone(conn: AsyncConnection, area: str, customer_id: int, phone: str) -> None:
    await conn.execute(text("UPDATE customer_periods SET phone = :p WHERE area = :area AND id = :id"),
                       {"p": phone, "area": area, "id": customer_id})


POINT_COLUMNS = frozenset({"contract_status", "contract_current", "current_limit_value", "service_menu",
                           "capacity_method", "contract_capacity", "contract_power"})


async def set_point(conn: AsyncConnection, area: str, spid: str, sets: dict[str, Any]) -> None:
    """Contract fields of the point master changed by an execution (names from POINT_COLUMNS only)."""
    unknown = set(sets) - POINT_COLUMNS
    if unknown:
        raise ValueError(f"not a point contract column: {sorted(unknown)}")
    assignments = ", ".join(f"{k} = :{k}" for k in sets)
    await conn.execute(text(f"UPDATE supply_points SET {assignments}, updated_at = now()"
                            " WHERE area = :area AND spid = :spid"), {**sets, "area": area, "spid": spid})


async def mark_meter_removed(conn: AsyncConnection, area: str, spid: str, day: date) -> None:
    await conn.execute(text(
        "UPDATE supply_points SET meters = (SELECT coalesce(jsonb_agg(m || jsonb_build_object('removed', true,"
        " 'removed_date', CAST(:d AS text))), '[]'::jsonb) FROM jsonb_array_elements(meters) m),"
        " updated_at = now() WHERE area = :area AND spid = :spid"), {"d": day.isoformat(), "area": area, "spid": spid})


# -- idempotency of filings, corrections and withdrawals (the hub forwards the caller's key) ------

async def claim_key(conn: AsyncConnection, operator: str, key: str, digest: str) -> bool:
    """Take (operator, key) in this transaction; False when it exists (a concurrent holder is waited for)."""
    row = (await conn.execute(text(
        "INSERT INTO idempotency_keys (operator_code, key, request_hash, status_code, response_body)"
        " VALUES (:op, :k, :h, 0, '') ON CONFLICT DO NOTHING RETURNING 1"),
        {"op": operator, "k": key, "h": digest})).first()
    return row is not None


async def stored_answer(conn: AsyncConnection, operator: str, key: str) -> tuple[str, int, bytes] | None:
    row = (await conn.execute(text(
        "SELECT request_hash, status_code, response_body FROM idempotency_keys WHERE operator_code = :op AND key = :k"),
        {"op": operator, "k": key})).first()
    return (row.request_hash, row.status_code, bytes(row.response_body)) if row else None


async def store_answer(conn: AsyncConnection, operator: str, key: str, status: int, body: bytes) -> None:
    await conn.execute(text("UPDATE idempotency_keys SET status_code = :s, response_body = :b"
                            " WHERE operator_code = :op AND key = :k"), {"s": status, "b": body, "op": operator, "k": key})
