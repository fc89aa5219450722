"""All SQL of usage password requests, their review, the password pickup and the usage inquiry."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

REQUEST_COLUMNS = (
    "area, application_no, applicant_origin, applicant_code, applicant_email, channel, stage, reason_code,"
    " verification, validity_days, customer_name_kana, customer_name_kanji, address, phone, consent_date,"
    " received_at, review_deadline, decided_at, decided_by, note, issued_at, expires_at,"
    " pickup_password IS NOT NULL AS pickup_pending, updated_at")
STATE_COLUMNS = frozenset({"stage", "reason_code", "decided_at", "decided_by", "note", "issued_at", "expires_at",
                           "password_salt", "password_hash", "pickup_password"})


async def next_number(conn: AsyncConnection, area: str, today: date) -> str:
    """`AAYYYYMMDD` + `U` + 7 digits: the U keeps type 08 numbers apart from the other applications'."""
    n = (await conn.execute(text("SELECT nextval('usage_request_no_seq')"))).scalar_one()
    return f"{area}{today:%Y%m%d}U{n % 10_000_000:07d}"


async def points_for_check(conn: AsyncConnection, area: str, spids: list[str], on: date) -> dict[str, dict[str, Any]]:
    """Each known point's channel, meters, address and its customer period on `on`."""
    rows = await conn.execute(text(
        "SELECT p.spid, p.area, p.channel, p.meters, p.prefecture, p.city, p.town, p.block, p.building, p.room,"
        " c.id AS period_id, c.name_kana, c.name_kanji, c.valid_from AS period_start"
        " FROM supply_points p LEFT JOIN LATERAL (SELECT id, name_kana, name_kanji, valid_from FROM customer_periods c"
        "   WHERE c.area = p.area AND c.spid = p.spid AND c.valid_from <= :on AND (c.valid_to IS NULL OR c.valid_to >= :on)"
        "   ORDER BY c.valid_from DESC, c.id DESC LIMIT 1) c ON true"
        " WHERE p.area = :area AND p.spid = ANY(CAST(:spids AS varchar[]))"),
        {"area": area, "spids": spids, "on": on})
    return {r.spid: dict(r._mapping) for r in rows}


async def spid_areas(conn: AsyncConnection, spids: list[str]) -> dict[str, str]:
    rows = await conn.execute(text("SELECT spid, area FROM supply_points WHERE spid = ANY(CAST(:s AS varchar[]))"),
                              {"s": spids})
    return {r.spid: r.area for r in rows}


async def insert_request(conn: AsyncConnection, row: dict[str, Any]) -> None:
    await conn.execute(text(
        "INSERT INTO usage_requests (area, application_no, applicant_origin, applicant_code, applicant_email, channel,"
        " stage, reason_code, verification, validity_days, customer_name_kana, customer_name_kanji, address, phone,"
        " consent_date, received_at, review_deadline) VALUES (:area, :application_no, :applicant_origin,"
        " :applicant_code, :applicant_email, :channel, :stage, :reason_code,"
        " :verification, :validity_days, :customer_name_kana, :customer_name_kanji, :address, :phone, :consent_date,"
        " :received_at, :review_deadline)"), row)


async def insert_points(conn: AsyncConnection, area: str, application_no: str, points: list[dict[str, Any]]) -> None:
    await conn.execute(text(
        "INSERT INTO usage_request_points (area, application_no, n, spid, customer_period_id, mismatches)"
        " VALUES (:area, :no, :n, :spid, :period_id, CAST(:mismatches AS text[]))"),
        [{"area": area, "no": application_no, **p} for p in points])


async def insert_documents(conn: AsyncConnection, area: str, application_no: str, docs: list[dict[str, Any]]) -> None:
    if docs:
        await conn.execute(text(
            "INSERT INTO usage_documents (area, application_no, n, filename, content_type, size, content)"
            " VALUES (:area, :no, :n, :filename, :content_type, :size, :content)"),
            [{"area": area, "no": application_no, **d} for d in docs])


async def get(conn: AsyncConnection, area: str, application_no: str, *, for_update: bool = False
              ) -> dict[str, Any] | None:
    row = (await conn.execute(text(
        f"SELECT {REQUEST_COLUMNS} FROM usage_requests WHERE area = :area AND application_no = :no"
        + (" FOR UPDATE" if for_update else "")), {"area": area, "no": application_no})).first()
    return dict(row._mapping) if row else None


async def write_state(conn: AsyncConnection, area: str, application_no: str, sets: dict[str, Any]) -> None:
    unknown = set(sets) - STATE_COLUMNS
    if unknown:
        raise ValueError(f"not a usage request state column: {sorted(unknown)}")
    assignments = ", ".join(f"{k} = :{k}" for k in sets)
    await conn.execute(text(f"UPDATE usage_requests SET {assignments}, updated_at = now()"
                            " WHERE area = :area AND application_no = :no"),
                       {**sets, "area": area, "no": application_no})


async def add_history(conn: AsyncConnection, area: str, application_no: str, from_stage: str | None, to_stage: str,
                      rule: str, reason: str, actor: str, at: datetime) -> None:
    await conn.execute(text(
        "INSERT INTO usage_request_history (area, application_no, from_stage, to_stage, rule, reason_code, actor, at)"
        " VALUES (:area, :no, :f, :t, :rule, :reason, :actor, :at)"),
        {"area": area, "no": application_no, "f": from_stage, "t": to_stage, "rule": rule, "reason": reason,
         "actor": actor, "at": at})


async def history(conn: AsyncConnection, area: str, application_no: str) -> list[dict[str, Any]]:
    rows = await conn.execute(text(
        "SELECT seq, from_stage, to_stage, rule, reason_code, actor, at FROM usage_request_history"
        " WHERE area = :area AND application_no = :no ORDER BY seq"), {"area": area, "no": application_no})
    return [dict(r._mapping) for r in rows]


async def points_of(conn: AsyncConnection, area: str, application_no: str) -> list[dict[str, Any]]:
    rows = await conn.execute(text(
        "SELECT n, spid, customer_period_id, mismatches FROM usage_request_points"
        " WHERE area = :area AND application_no = :no ORDER BY n"), {"area": area, "no": application_no})
    return [dict(r._mapping) for r in rows]


async def documents_of(conn: AsyncConnection, area: str, application_no: str) -> list[dict[str, Any]]:
    rows = await conn.execute(text(
        "SELECT n, filename, content_type, size FROM usage_documents WHERE area = :area AND application_no = :no"
        " ORDER BY n"), {"area": area, "no": application_no})
    return [dict(r._mapping) for r in rows]


async def document(conn: AsyncConnection, area: str, application_no: str, n: int) -> dict[str, Any] | None:
    row = (await conn.execute(text(
        "SELECT n, filename, content_type, size, content FROM usage_documents"
        " WHERE area = :area AND application_no = :no AND n = :n"), {"area": area, "no": application_no, "n": n})).first()
    return dict(row._mapping) if row else None


async def take_pickup(conn: AsyncConnection, area: str, application_no: str, now: datetime) -> str | None:
    """The plaintext password, cleared in the same statement: of two concurrent first reads exactly one
    gets it (the row lock of the UPDATE serialises them; the second finds NULL)."""
    row = (await conn.execute(text(
        "WITH old AS (SELECT area, application_no, pickup_password FROM usage_requests"
        "   WHERE area = :area AND application_no = :no AND pickup_password IS NOT NULL FOR UPDATE)"
        " UPDATE usage_requests u SET pickup_password = NULL, picked_up_at = :now, updated_at = now() FROM old"
        " WHERE u.area = old.area AND u.application_no = old.application_no RETURNING old.pickup_password"),
        {"area": area, "no": application_no, "now": now})).first()
    return row[0] if row else None


async def drop_pickup(conn: AsyncConnection, area: str, application_no: str) -> None:
    await conn.execute(text("UPDATE usage_requests SET pickup_password = NULL, updated_at = now()"
                            " WHERE area = :area AND application_no = :no AND pickup_password IS NOT NULL"),
                       {"area": area, "no": application_no})


async def review_page(conn: AsyncConnection, area: str, open_only: bool, offset: int, limit: int
                      ) -> tuple[int, list[dict[str, Any]]]:
    """Requests that went to review (open: still 02), oldest deadline first."""
    where = "r.area = :area AND r.verification = 'review'" + (" AND r.stage = '02'" if open_only else
                                                             " AND r.stage <> '02'")
    total = (await conn.execute(text(f"SELECT count(*) FROM usage_requests r WHERE {where}"),
                                {"area": area})).scalar_one()
    rows = await conn.execute(text(
        "SELECT r.area, r.application_no, r.applicant_origin, r.applicant_code, r.stage, r.received_at,"
        " r.review_deadline,"
        " (SELECT count(*) FROM usage_request_points p WHERE p.area = r.area AND p.application_no = r.application_no)"
        "   AS point_count,"
        " (SELECT count(*) FROM usage_documents d WHERE d.area = r.area AND d.application_no = r.application_no)"
        "   AS documents"
        f" FROM usage_requests r WHERE {where} ORDER BY r.review_deadline, r.received_at, r.application_no"
        " OFFSET :offset LIMIT :limit"), {"area": area, "offset": offset, "limit": limit})
    return int(total), [dict(r._mapping) for r in rows]


async def index_page(conn: AsyncConnection, area: str, after: str, limit: int) -> list[dict[str, Any]]:
    """Retailers' requests (public ones have no applicant) after `after` in application-number order,
    each with its first point as filed (n = 1)."""
    rows = await conn.execute(text(
        "SELECT r.application_no, r.applicant_code, r.stage, r.received_at, trim(p.spid) AS spid"
        " FROM usage_requests r JOIN usage_request_points p ON p.area = r.area"
        " AND p.application_no = r.application_no AND p.n = 1"
        " WHERE r.area = :area AND r.applicant_origin = 'retailer' AND r.application_no > :after"
        " ORDER BY r.application_no LIMIT :limit"), {"area": area, "after": after, "limit": limit})
    return [dict(r._mapping) for r in rows]


async def issued_for_point(conn: AsyncConnection, area: str, spid: str, now: datetime) -> list[dict[str, Any]]:
    """Issued, unexpired requests that cover the point, with their salted hashes (the inquiry path:
    usage_request_points_spid, then the request by its key)."""
    rows = await conn.execute(text(
        "SELECT r.application_no, r.applicant_code, r.password_salt, r.password_hash, r.expires_at,"
        " p.customer_period_id FROM usage_request_points p JOIN usage_requests r"
        " ON r.area = p.area AND r.application_no = p.application_no"
        " WHERE p.area = :area AND p.spid = :spid AND r.stage = '06' AND r.expires_at > :now"),
        {"area": area, "spid": spid, "now": now})
    return [dict(r._mapping) for r in rows]


async def point_for_inquiry(conn: AsyncConnection, area: str, spid: str, on: date) -> dict[str, Any] | None:
    row = (await conn.execute(text(
        "SELECT p.spid, p.meters, c.id AS period_id, c.valid_from AS period_start FROM supply_points p"
        " LEFT JOIN LATERAL (SELECT id, valid_from FROM customer_periods c WHERE c.area = p.area AND c.spid = p.spid"
        "   AND c.valid_from <= :on AND (c.valid_to IS NULL OR c.valid_to >= :on)"
        "   ORDER BY c.valid_from DESC, c.id DESC LIMIT 1) c ON true"
        " WHERE p.area = :area AND p.spid = :spid"), {"area": area, "spid": spid, "on": on})).first()
    return dict(row._mapping) if row else None


# Decimal columns leave as text: the answer's decimal strings exactly as stored, and no Decimal
# objects built for 48 × 400 values per point.
_MONTHS = text(
    "SELECT to_char(billing_month, 'YYYY-MM') AS billing_month, kwh::text AS kwh, max_demand_kw::text AS max_demand_kw,"
    " power_factor, next_reading_date FROM readings_monthly WHERE area = :area AND spid = :spid"
    " AND billing_month >= :since AND billing_month <= :until ORDER BY billing_month")
# The days leave as one JSON text built by PostgreSQL (the answer's `days` as it is sent): no row objects
# and no Python strings for ~19,000 half-hour values per point (bench/usage_inquiry.py).
_DAYS = text(
    "SELECT coalesce(json_agg(json_build_object('date', reading_date, 'kwh', kwh::text[], 'status', status)"
    " ORDER BY reading_date), '[]')::text FROM readings_30min WHERE area = :area AND spid = :spid"
    " AND reading_date >= :since AND reading_date <= :until")


async def months(conn: AsyncConnection, area: str, spid: str, since: date, until: date) -> list[dict[str, Any]]:
    return [dict(r._mapping) for r in await conn.execute(_MONTHS, {"area": area, "spid": spid, "since": since,
                                                                   "until": until})]


async def days_json(conn: AsyncConnection, area: str, spid: str, since: date, until: date) -> str:
    """The days as a JSON array text: [{"date", "kwh": [48 decimal strings or null], "status": [48]}]."""
    return (await conn.execute(_DAYS, {"area": area, "spid": spid, "since": since, "until": until})).scalar_one()
