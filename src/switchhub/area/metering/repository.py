"""All SQL of the metering files: supplied points per retailer and period, readings, the files table."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

_FILE_COLUMNS = ("id, area, retailer_code, type, target, slot, sequence, revision, name, operation_mode, sha256,"
                 " content_sha256, points, octet_length(zip) AS size_bytes, created_at, supersedes")


async def list_files(conn: AsyncConnection, *, areas: list[str], retailer: str | None, after: int, limit: int,
                     types: list[str] | None, date_from: date | None, date_to: date | None) -> list[dict[str, Any]]:
    """Files of `areas` (and of `retailer` when given) after position `after`, in position order."""
    where = ["area = ANY(CAST(:areas AS varchar[]))", "id > :after"]
    params: dict[str, Any] = {"areas": areas, "after": after, "n": limit}
    if retailer is not None:
        where.append("retailer_code = :r")
        params["r"] = retailer
    if types:
        where.append("type = ANY(CAST(:types AS varchar[]))")
        params["types"] = types
    if date_from is not None:
        where.append("target >= :df")
        params["df"] = date_from
    if date_to is not None:
        where.append("target <= :dt")
        params["dt"] = date_to
    rows = await conn.execute(text(f"SELECT {_FILE_COLUMNS} FROM metering_files WHERE {' AND '.join(where)}"
                                   " ORDER BY id LIMIT :n"), params)
    return [dict(r._mapping) for r in rows]


async def get_file(conn: AsyncConnection, file_id: int) -> dict[str, Any] | None:
    row = (await conn.execute(text(f"SELECT {_FILE_COLUMNS} FROM metering_files WHERE id = :id"),
                              {"id": file_id})).first()
    return dict(row._mapping) if row else None


async def file_bytes(conn: AsyncConnection, file_id: int, column: str) -> bytes:
    assert column in ("zip", "json")
    return (await conn.execute(text(f"SELECT {column} FROM metering_files WHERE id = :id"), {"id": file_id})).scalar_one()


async def latest_revisions(conn: AsyncConnection, area: str, retailer: str, type_: str, target: date,
                           slot: int) -> dict[int, dict[str, Any]]:
    """The latest revision of every sequence of one file (area, retailer, type, period, slot)."""
    rows = await conn.execute(text(
        f"SELECT DISTINCT ON (sequence) {_FILE_COLUMNS} FROM metering_files WHERE area = :a AND retailer_code = :r"
        " AND type = :t AND target = :d AND slot = :s ORDER BY sequence, revision DESC"),
        {"a": area, "r": retailer, "t": type_, "d": target, "s": slot})
    return {r.sequence: dict(r._mapping) for r in rows}


async def latest_of_period(conn: AsyncConnection, area: str, types: list[str], target: date, slot: int,
                           retailer: str | None) -> list[dict[str, Any]]:
    """The latest revision of every (retailer, type, sequence) stored for one period."""
    rows = await conn.execute(text(
        f"SELECT DISTINCT ON (retailer_code, type, sequence) {_FILE_COLUMNS} FROM metering_files WHERE area = :a"
        " AND type = ANY(CAST(:t AS varchar[])) AND target = :d AND slot = :s"
        " AND (CAST(:r AS varchar) IS NULL OR retailer_code = :r)"
        " ORDER BY retailer_code, type, sequence, revision DESC"),
        {"a": area, "t": types, "d": target, "s": slot, "r": retailer})
    return [dict(r._mapping) for r in rows]


async def insert_file(conn: AsyncConnection, row: dict[str, Any]) -> dict[str, Any]:
    got = (await conn.execute(text(
        "INSERT INTO metering_files (area, retailer_code, type, target, slot, sequence, revision, name, operation_mode,"
        " zip, json, sha256, content_sha256, points, created_at, supersedes) VALUES (:area, :retailer_code, :type,"
        " :target, :slot, :sequence, :revision, :name, :operation_mode, :zip, :json, :sha256, :content_sha256,"
        " :points, :created_at, :supersedes) RETURNING id"), row)).scalar_one()
    return {**row, "id": got, "size_bytes": len(row["zip"])}


# --- the points a retailer supplied and their readings ---------------------------------------------

# Supply periods are inclusive at both ends (area/applications/execution.py: a switch ends the old
# supply the day before the switch date, valid_to = switch date − 1, and starts the new one on it),
# so a point is the retailer's on day d when valid_from <= d <= valid_to (or valid_to is NULL).
_CUSTOMER_ON = ("LEFT JOIN LATERAL (SELECT c.id, c.name_kanji FROM customer_periods c WHERE c.area = s.area"
                " AND c.spid = s.spid AND c.valid_from <= {on} AND (c.valid_to IS NULL OR c.valid_to >= {on})"
                " ORDER BY c.valid_from DESC LIMIT 1) c ON true")

_DAY_POINTS = """
SELECT s.retailer_code, p.channel = 'high' AS high, trim(s.spid) AS spid, s.id AS management_no,
       c.id AS customer_id, c.name_kanji AS customer_name, {values}
FROM supply_periods s
JOIN supply_points p ON p.area = s.area AND p.spid = s.spid
{customer}
LEFT JOIN readings_30min r ON r.area = s.area AND r.spid = s.spid AND r.reading_date = :d
WHERE s.area = :a AND s.valid_from <= :d AND (s.valid_to IS NULL OR s.valid_to >= :d) {only}
ORDER BY s.retailer_code, high, s.spid
"""


async def day_points(conn: AsyncConnection, area: str, day: date, *, slot: int | None = None,
                     retailer: str | None = None, chunk: int = 5000):
    """Every point supplied on `day` in `area` (one retailer's, or all), in (retailer, high, spid)
    order, with that day's kWh and status (one `slot`: its values as text; all 48 slots: the kWh text
    as stored and the statuses' array text, None without a reading row, for fastwriter); streamed."""
    if slot is None:
        values = "r.kwh, r.status::text AS status"  # kWh as stored (area 0013)
    else:
        values = f"NULLIF(split_part(r.kwh, ',', {int(slot)}), '') AS kwh, r.status[{int(slot)}]::text AS status"
    sql = _DAY_POINTS.format(values=values, customer=_CUSTOMER_ON.format(on=":d"),
                             only="AND s.retailer_code = :r" if retailer else "")
    result = await conn.stream(text(sql).execution_options(yield_per=chunk),
                               {"a": area, "d": day, "r": retailer})
    async for r in result:
        if slot is None:
            kwh, status = r.kwh, r.status
        else:
            kwh, status = [r.kwh], [r.status]
        yield (r.retailer_code, r.high, r.spid, str(r.management_no),
               "" if r.customer_id is None else str(r.customer_id), r.customer_name or "", kwh, status)


# A point's billing period runs between its reading days (kernel/calendar: the reading-day code's day
# in the previous month up to the day before its day this month); `per` holds that period for each
# code whose reading day is the file's day, and a supply period overlapping it gives the covered days.
_MONTH_POINTS = """
WITH per AS (SELECT * FROM unnest(CAST(:codes AS varchar[]), CAST(:p0s AS date[]), CAST(:p1s AS date[]))
             AS u(code, p0, p1))
SELECT s.retailer_code, p.channel = 'high' AS high, trim(s.spid) AS spid, s.valid_from, s.valid_to, per.p0, per.p1,
       GREATEST(s.valid_from, per.p0) AS d0, LEAST(COALESCE(s.valid_to, per.p1), per.p1) AS d1,
       c.id AS customer_id, c.name_kanji AS customer_name,
       concat_ws(' ', p.prefecture, p.city, NULLIF(p.town, ''), NULLIF(p.block, ''), NULLIF(p.building, ''),
                 NULLIF(p.room, '')) AS point_name,
       p.channel, COALESCE(m.power_factor, p.power_factor) AS power_factor,
       COALESCE(p.meters -> 0 ->> 'meter_type', '') AS meter_class,
       m.kwh::numeric(14,4)::text AS confirmed, m.next_reading_date,
       d.dates, d.kwhs, d.statuses, d.total, d.max_demand
FROM per
JOIN supply_points p ON p.area = :a AND p.reading_day_code = per.code
JOIN supply_periods s ON s.area = p.area AND s.spid = p.spid AND s.valid_from <= per.p1
                     AND (s.valid_to IS NULL OR s.valid_to >= per.p0)
{customer}
LEFT JOIN readings_monthly m ON m.area = s.area AND m.spid = s.spid AND m.billing_month = :bm
LEFT JOIN LATERAL (  -- one scan of the covered days: their kWh and status texts, the total and the largest slot
    SELECT array_agg(r.reading_date ORDER BY r.reading_date) AS dates,
           array_agg(r.kwh ORDER BY r.reading_date) AS kwhs,
           array_agg(r.status::text ORDER BY r.reading_date) AS statuses,
           COALESCE(sum(v.total), 0)::numeric(14,4)::text AS total, (max(v.top) * 2)::numeric(10,4)::text AS max_demand
    FROM readings_30min r, LATERAL (SELECT sum(x) AS total, max(x) AS top FROM unnest(readings_kwh(r.kwh)) x) v
    WHERE r.area = s.area AND r.spid = s.spid
      AND r.reading_date BETWEEN GREATEST(s.valid_from, per.p0) AND LEAST(COALESCE(s.valid_to, per.p1), per.p1)) d ON true
WHERE true {only}
ORDER BY s.retailer_code, high, s.spid, s.valid_from
"""


async def month_points(conn: AsyncConnection, area: str, billing_month: date,
                       periods: list[tuple[str, date, date]], *, retailer: str | None = None, chunk: int = 1000):
    """Every supply period overlapping the billing period of its point's reading-day code
    (`periods`: code, first day, last day) in `area`, with its covered days' readings
    (`days`: date → (kWh text as stored, status array text), for fastwriter) and the confirmed
    readings_monthly of `billing_month`."""
    sql = _MONTH_POINTS.format(customer=_CUSTOMER_ON.format(on="LEAST(COALESCE(s.valid_to, per.p1), per.p1)"),
                               only="AND s.retailer_code = :r" if retailer else "")
    result = await conn.stream(text(sql).execution_options(yield_per=chunk), {
        "a": area, "bm": billing_month, "codes": [p[0] for p in periods], "p0s": [p[1] for p in periods],
        "p1s": [p[2] for p in periods], "r": retailer})
    async for r in result:
        row = dict(r._mapping)
        row["days"] = {d: (k, s) for d, k, s in zip(row.pop("dates") or [], row.pop("kwhs") or [],
                                                    row.pop("statuses") or [])}
        yield row


_FORM_POINTS = """
SELECT s.retailer_code, trim(s.spid) AS spid, p.channel, p.capacity_method, p.contract_power::text AS contract_power,
       GREATEST(s.valid_from, :m0) AS d0, LEAST(COALESCE(s.valid_to, :m1), :m1) AS d1,
       (SELECT (max(x) * 2)::numeric(10,4)::text FROM readings_30min r, unnest(readings_kwh(r.kwh)) x
        WHERE r.area = s.area AND r.spid = s.spid
          AND r.reading_date BETWEEN GREATEST(s.valid_from, :m0) AND LEAST(COALESCE(s.valid_to, :m1), :m1))
           AS max_demand,
       (SELECT max(m.max_demand_kw)::numeric(10,4)::text FROM readings_monthly m
        WHERE m.area = s.area AND m.spid = s.spid AND m.billing_month >= (:m0 - interval '11 months')::date
          AND m.billing_month < :m0) AS past_max_demand,
       (SELECT array_agg(r.reading_date::text || '=' || (SELECT COALESCE(sum(x), 0)::numeric(12,4)::text
                                                          FROM unnest(readings_kwh(r.kwh)) x) ORDER BY r.reading_date)
        FROM readings_30min r WHERE r.area = s.area AND r.spid = s.spid
          AND r.reading_date BETWEEN GREATEST(s.valid_from, :m0) AND LEAST(COALESCE(s.valid_to, :m1), :m1))
           AS daily
FROM supply_periods s
JOIN supply_points p ON p.area = s.area AND p.spid = s.spid
WHERE s.area = :a AND s.valid_from <= :m1 AND (s.valid_to IS NULL OR s.valid_to >= :m0)
  AND (p.capacity_method = '3' OR p.channel = 'low_fit')
ORDER BY s.retailer_code, s.spid, s.valid_from
"""


async def form_points(conn: AsyncConnection, area: str, m0: date, m1: date) -> list[dict[str, Any]]:
    """The points the CSV forms need: measured-demand (実量制) points and FIT generators, per period."""
    rows = await conn.execute(text(_FORM_POINTS), {"a": area, "m0": m0, "m1": m1})
    return [dict(r._mapping) for r in rows]


async def generated_days(conn: AsyncConnection, area: str, days: list[date]) -> list[date]:
    """The days of `days` whose past-day files have been built (their keyed job is done)."""
    rows = await conn.execute(text(
        "SELECT key FROM jobs WHERE kind = 'metering.past_day' AND done_at IS NOT NULL"
        " AND key = ANY(CAST(:keys AS text[]))"), {"keys": [f"{area}:{d.isoformat()}" for d in days]})
    done = {r.key for r in rows}
    return [d for d in days if f"{area}:{d.isoformat()}" in done]


async def generated_today_slots(conn: AsyncConnection, area: str,
                                day_slots: list[tuple[date, int]]) -> dict[date, list[int]]:
    """Of the (day, slot) pairs, those whose today files have been built (their keyed job is done)."""
    keys = [f"{area}:{d.isoformat()}:{s:02d}" for d, s in day_slots]
    rows = await conn.execute(text(
        "SELECT key FROM jobs WHERE kind = 'metering.today' AND done_at IS NOT NULL"
        " AND key = ANY(CAST(:keys AS text[])) ORDER BY key"), {"keys": keys})
    out: dict[date, list[int]] = {}
    for r in rows:
        _, day, slot = r.key.split(":")
        out.setdefault(date.fromisoformat(day), []).append(int(slot))
    return out


async def months_with_files(conn: AsyncConnection, area: str, months: list[date], types: list[str]) -> list[date]:
    rows = await conn.execute(text(
        "SELECT DISTINCT target FROM metering_files WHERE area = :a AND target = ANY(CAST(:m AS date[]))"
        " AND type = ANY(CAST(:t AS varchar[]))"), {"a": area, "m": months, "t": types})
    return sorted(r.target for r in rows)


async def suppliers_on(conn: AsyncConnection, area: str, point_days: list[tuple[str, date]]) -> dict[date, list[str]]:
    """The retailers that supplied these (spid, day) pairs, per day."""
    rows = await conn.execute(text(
        "SELECT DISTINCT u.d, s.retailer_code FROM unnest(CAST(:spids AS varchar[]), CAST(:days AS date[])) AS u(spid, d)"
        " JOIN supply_periods s ON s.area = :a AND s.spid = u.spid AND s.valid_from <= u.d"
        " AND (s.valid_to IS NULL OR s.valid_to >= u.d) ORDER BY 1, 2"),
        {"a": area, "spids": [p[0] for p in point_days], "days": [p[1] for p in point_days]})
    out: dict[date, list[str]] = {}
    for d, retailer in rows:
        out.setdefault(d, []).append(retailer)
    return out
