"""All SQL of usage password requests, their review, the password pickup and the usage inquiry."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
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


async def issued_for_points(conn: AsyncConnection, area: str, spids: list[str], now: datetime
                            ) -> dict[str, list[dict[str, Any]]]:
    """Issued, unexpired requests that cover each point, with their salted hashes (the inquiry path:
    usage_request_points_spid, then the request by its key), for all points of an inquiry at once."""
    rows = await conn.execute(text(
        "SELECT p.spid, r.application_no, r.applicant_code, r.password_salt, r.password_hash, r.expires_at,"
        " p.customer_period_id FROM usage_request_points p JOIN usage_requests r"
        " ON r.area = p.area AND r.application_no = p.application_no"
        " WHERE p.area = :area AND p.spid = ANY(CAST(:spids AS varchar[])) AND r.stage = '06' AND r.expires_at > :now"),
        {"area": area, "spids": spids, "now": now})
    found: dict[str, list[dict[str, Any]]] = {s: [] for s in spids}
    for r in rows:
        found[r.spid].append(dict(r._mapping))
    return found


async def points_for_inquiry(conn: AsyncConnection, area: str, spids: list[str], on: date) -> dict[str, dict[str, Any]]:
    """Each known point's meters and its customer period on `on` (period_id None: no customer)."""
    rows = await conn.execute(text(
        "SELECT p.spid, p.meters, c.id AS period_id, c.valid_from AS period_start FROM supply_points p"
        " LEFT JOIN LATERAL (SELECT id, valid_from FROM customer_periods c WHERE c.area = p.area AND c.spid = p.spid"
        "   AND c.valid_from <= :on AND (c.valid_to IS NULL OR c.valid_to >= :on)"
        "   ORDER BY c.valid_from DESC, c.id DESC LIMIT 1) c ON true"
        " WHERE p.area = :area AND p.spid = ANY(CAST(:spids AS varchar[]))"), {"area": area, "spids": spids, "on": on})
    return {r.spid: dict(r._mapping) for r in rows}


# Decimal columns leave as text: the answer's decimal strings exactly as stored, and no Decimal
# objects built. Each point has its own first month / day (its grant), given as parallel arrays.
_MONTHS = text(
    "SELECT m.spid, to_char(m.billing_month, 'YYYY-MM') AS billing_month, m.kwh::text AS kwh,"
    " m.max_demand_kw::text AS max_demand_kw, m.power_factor, m.next_reading_date"
    " FROM unnest(CAST(:spids AS varchar[]), CAST(:since AS date[])) AS q(spid, since)"
    " JOIN readings_monthly m ON m.area = :area AND m.spid = q.spid AND m.billing_month >= q.since"
    " AND m.billing_month <= :until ORDER BY m.spid, m.billing_month")
# The days leave as one JSON array text per point, built by PostgreSQL (the answer's `days` as it is
# sent), each day in the contract's compact form (`UsageDay`: the 48 kWh values as one comma-separated
# text, which is how they are stored (area 0013: printing 350,000 numerics per batch was two thirds
# of this query), the 48 statuses as one string of digits): no row objects and no Python
# strings per half-hour value; string_agg of concatenated texts takes about half json_agg's time
# (docs/benchmarks.md P10). A day whose 48 slots are all valid (status 0, the usual day) gets its
# status text without 48 integer-to-text conversions (≈ a third of the query's time). One subquery
# per point: its ~400 days sorted in memory (one sort of all points' wide rows spilled to disk).
# `:first` (the earliest `since`) lets the planner skip old partitions.
_DAYS = text(
    "SELECT q.spid, (SELECT '[' || string_agg('{\"date\":\"' || to_char(d.reading_date, 'YYYY-MM-DD')"
    "   || '\",\"kwh\":\"' || d.kwh || '\",\"status\":\"'"
    "   || CASE WHEN d.status = array_fill(0::smallint, ARRAY[48]) THEN repeat('0', 48)"
    "      ELSE array_to_string(d.status, '') END || '\"}', ',' ORDER BY d.reading_date) || ']'"
    "   FROM readings_30min d WHERE d.area = :area AND d.spid = q.spid AND d.reading_date >= q.since"
    "   AND d.reading_date >= :first AND d.reading_date <= :until) AS days"
    " FROM unnest(CAST(:spids AS varchar[]), CAST(:since AS date[])) AS q(spid, since)")


async def months_of(conn: AsyncConnection, area: str, since: dict[str, date], until: date
                    ) -> dict[str, list[dict[str, Any]]]:
    """Each point's billing months from its own first month up to `until`, oldest first."""
    found: dict[str, list[dict[str, Any]]] = {s: [] for s in since}
    if since:
        for r in await conn.execute(_MONTHS, {"area": area, "spids": list(since), "since": list(since.values()),
                                              "until": until}):
            found[r.spid].append(dict(r._mapping))
    return found


async def days_json_of(conns: Sequence[AsyncConnection], area: str, since: dict[str, date], until: date
                       ) -> dict[str, str]:
    """Each point's days as a JSON array text: [{"date", "kwh": "48 decimal fields, comma-separated",
    "status": "48 digits"}] ("[]" for a point without days). Given several (autocommit) connections,
    the points are shared out and read at once: a 20-point batch's days were ≈ 30 ms of one
    PostgreSQL backend while the 350,000 decimals were printed from numerics, which two backends did
    in about half the time on two cores; with the text stored (area 0013) they are ≈ 10 ms of one,
    and the split is kept, not measured again on its own (docs/benchmarks.md P10)."""
    found = {s: "[]" for s in since}
    spids = list(since)
    shares = [spids[i::len(conns)] for i in range(len(conns))] if len(spids) > 1 else [spids]

    async def read(conn: AsyncConnection, share: list[str]) -> None:
        rows = await conn.execute(_DAYS, {"area": area, "spids": share, "since": [since[s] for s in share],
                                          "first": min(since[s] for s in share), "until": until})
        found.update((r.spid, r.days) for r in rows if r.days is not None)

    # every read ends before this returns (a failed one does not leave the other running on a
    # connection about to go back to the pool)
    outcomes = await asyncio.gather(*(read(conn, share) for conn, share in zip(conns, shares) if share),
                                    return_exceptions=True)
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome
    return found
