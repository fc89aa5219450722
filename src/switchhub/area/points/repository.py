"""All SQL of the supply point master. Functions take a `FieldGrant`, never raw field lists."""

from __future__ import annotations

import functools
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from switchhub.db import driver
from switchhub.db.driver import Reader
from switchhub.kernel.codes import ApplicationStage
from switchhub.kernel.visibility import FIELD_CLASSES, FieldGrant

#: Field → SQL expression over `p` (supply_points), `cur` (current customer), `sup` (supplier).
_DIRECT = (
    "spid area channel postcode prefecture city town block building room island_flag contract_form "
    "capacity_method contract_current contract_capacity current_upper_limit current_limit_value "
    "ampere_breaker breaker_remote minimum_charge power_factor flat_rate_lamp meters pole_no supply_method "
    "disconnection_method reading_day_code past_new_extension_dates contract_status service_menu "
    "contract_power load_equipment tso_notes"
).split()
_EXPR: dict[str, str] = {f: f"p.{f}" for f in _DIRECT}
_TERMINAL_STAGES = ", ".join(f"'{s.value}'" for s in ApplicationStage if s.terminal)  # from the code list
_EXPR.update({
    "customer_name_kana": "cur.name_kana",
    "customer_name_kanji": "cur.name_kanji",
    "customer_phone": "cur.phone",
    "contact_phone": "cur.contact_phone",
    "current_retailer_code": "sup.retailer_code",
    "pending_applications": (
        "(SELECT coalesce(jsonb_agg(jsonb_build_object('type', a.type, 'received_date',"
        " to_char(a.received_at AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM-DD')) ORDER BY a.received_at), '[]'::jsonb)"
        " FROM applications a WHERE a.area = p.area AND a.spid = p.spid"
        f" AND a.stage NOT IN ({_TERMINAL_STAGES}))"
    ),
})
#: Fields computed in Python from selected columns (reading dates from the area calendar).
COMPUTED = frozenset({"next_reading_date", "next_but_one_reading_date", "current_retailer_name"})


def _customer_join(area: str) -> str:
    """The point's customer on :on (`cur`), the customer period's area being `area` (SQL)."""
    return (
        " LEFT JOIN LATERAL (SELECT c.name_kana, c.name_kanji, c.phone, c.contact_phone FROM customer_periods c"
        f" WHERE c.area = {area} AND c.spid = p.spid AND c.valid_from <= :on"
        " AND (c.valid_to IS NULL OR c.valid_to >= :on) ORDER BY c.valid_from DESC LIMIT 1) cur ON true"
    )


_CUSTOMER_JOIN = _customer_join("p.area")
#: the export's: the point's customer on :on by a plain join, which PostgreSQL runs as one (parallel)
#: hash join over the area's customers instead of a LIMIT 1 probe per row (≈ 40 % of the export's
#: database time, docs/benchmarks.md P4). Exact because at most one customer period of a point covers
#: any day (area 0014, `applications.repository.end_customer`). The area is a parameter, so one
#: partition is planned (not a run-time pruned scan over every area's partition).
_EXPORT_CUSTOMER_JOIN = (" LEFT JOIN customer_periods cur ON cur.area = :area AND cur.spid = p.spid"
                         " AND cur.valid_from <= :on AND (cur.valid_to IS NULL OR cur.valid_to >= :on)")


def _supplier_join(area: str) -> str:
    """The point's supplier on :on (`sup`), the supply period's area being `area` (SQL)."""
    return (
        " LEFT JOIN LATERAL (SELECT s.retailer_code FROM supply_periods s"
        f" WHERE s.area = {area} AND s.spid = p.spid AND s.valid_from <= :on"
        " AND (s.valid_to IS NULL OR s.valid_to >= :on) ORDER BY s.valid_from DESC LIMIT 1) sup ON true"
    )


_SUPPLIER_JOIN = _supplier_join("p.area")


def select_list(grant: FieldGrant) -> tuple[list[str], str]:
    """(fields selected, SQL select list + joins) for a grant; reading_day_code always rides along."""
    fields = [f for f in grant.ordered_fields() if f in _EXPR]
    if "reading_day_code" not in fields:
        fields.append("reading_day_code")
    cols = ", ".join(f"{_EXPR[f]} AS {f}" for f in fields)
    joins = ""
    if any(_EXPR[f].startswith("cur.") for f in fields):
        joins += _CUSTOMER_JOIN
    if any(_EXPR[f].startswith("sup.") for f in fields):
        joins += _SUPPLIER_JOIN
    return fields, f"{cols} FROM supply_points p{joins}"


#: a fact case of the caller's relationship to a point on the date: (the caller supplies it, the caller
#: ever supplied it). The policy (kernel.visibility) decides a grant per case; the SQL only tells which
#: case holds for each row.
FactCase = tuple[bool, bool]

#: The lookup's joins name the area as the parameter, not `p.area`: the statement runs with a generic
#: plan (db.engine.lookup_reader), and with `p.area` each period lateral was an Append over all ten
#: area partitions, pruned per row at run time after starting every partition's scan: 0.54 ms of
#: execution against 0.10 ms when the partition is pruned once at executor start (docs/benchmarks.md P1).
_LOOKUP_JOINS = {"cur": _customer_join(":area"), "sup": _supplier_join(":area")}
#: the facts of case `f`: computed from the supplier on :on (`sup`) and the caller's supply periods
_FACTS_JOIN = (
    " LEFT JOIN LATERAL (SELECT coalesce(sup.retailer_code = :op, false) AS supplies,"
    " EXISTS (SELECT 1 FROM supply_periods s WHERE s.area = :area AND s.spid = p.spid"
    " AND s.retailer_code = :op) AS ever) f ON true"
)


@functools.lru_cache(maxsize=256)
def _visible_statement(cases: tuple[tuple[FactCase, FieldGrant], ...]) -> str:
    """One statement for the points of one area under a grant per fact case (a handful of distinct
    grant sets exist: the relationship tables, widened by break-glass grants).

    A column that some case does not grant is `CASE WHEN <the cases that grant it> THEN … END`: NULL
    leaves the database for a point whose facts do not grant it, so only granted values are ever
    selected, without a round trip to learn the facts first. With one grant for every case (OCCTO, a
    T&D) the facts are not read at all.
    """
    grants = dict(cases)
    fields = [f for f in FIELD_CLASSES if f in _EXPR and any(f in g.fields for g in grants.values())]
    if "reading_day_code" not in fields:
        fields.append("reading_day_code")
    uniform = len(set(grants.values())) == 1
    cols = []
    for f in fields:
        granted = [c for c, g in cases if f in g.fields or f == "reading_day_code"]
        expr = _EXPR[f]
        if len(granted) < len(cases):
            holds = " OR ".join(f"(f.supplies = {str(s).lower()} AND f.ever = {str(e).lower()})" for s, e in granted)
            expr = f"CASE WHEN {holds} THEN {expr} END"
        cols.append(f"{expr} AS {f}")
    facts = "" if uniform else ", sup.retailer_code AS fact_supplier, f.ever AS fact_ever"
    joins = ""
    if any(_EXPR[f].startswith("cur.") for f in fields):
        joins += _LOOKUP_JOINS["cur"]
    if not uniform or any(_EXPR[f].startswith("sup.") for f in fields):
        joins += _LOOKUP_JOINS["sup"]
    if not uniform:
        joins += _FACTS_JOIN
    return (f"SELECT {', '.join(cols)}{facts} FROM supply_points p{joins}"
            " WHERE p.area = :area AND p.spid = ANY(CAST(:spids AS text[]))")


async def fetch_visible(conn: Reader, area: str, spids: list[str], on: date, operator_code: str,
                        grants: dict[FactCase, FieldGrant]) -> list[dict[str, Any]]:
    """The given points of one area that exist (order as given), each with the columns its fact case is
    granted and, unless every case has the same grant, the facts themselves: `fact_supplier` (the
    supplier on `on`) and `fact_ever` (whether `operator_code` ever supplied it). One statement: the
    lookup's hot path (targets.md P1), run by the driver (db/driver.py)."""
    sql = _visible_statement(tuple(sorted(grants.items(), key=lambda kv: kv[0])))
    rows = await driver.fetch(conn, sql, {"area": area, "spids": spids, "on": on, "op": operator_code})
    by_spid = {r["spid"]: r for r in rows}
    return [by_spid[s] for s in spids if s in by_spid]


async def search(
    conn: AsyncConnection, grant: FieldGrant, where: str, params: dict[str, Any], *, offset: int, limit: int,
    cap: int,
) -> tuple[int, list[dict[str, Any]]]:
    """Matches of `where` in address order: (count capped at cap + 1, rows offset..offset+limit)."""
    count = (
        await conn.execute(text(f"SELECT count(*) FROM (SELECT 1 FROM supply_points p WHERE {where} LIMIT :cap1) q"),
                           {**params, "cap1": cap + 1})
    ).scalar_one()
    _, sql = select_list(grant)
    rows = await conn.execute(
        text(
            f"SELECT {sql} WHERE {where} ORDER BY p.area, p.prefecture, p.city, p.town_norm, p.block_norm,"
            " p.building_norm, p.room_norm, p.spid OFFSET :offset LIMIT :limit"
        ),
        {**params, "offset": offset, "limit": limit, "on": params.get("on")},
    )
    return int(count), [dict(r._mapping) for r in rows]


def export_sql(grant: FieldGrant, fmt: str) -> tuple[list[str], str]:
    """COPY query text for the own-point export of a retailer (literal-free: :op/:on bound by caller).

    Returns (columns, SELECT) where the SELECT yields either CSV columns or one JSON text per row.
    """
    fields = [f for f in grant.ordered_fields() if f in _EXPR and f != "pending_applications"]
    cols = ", ".join(f"{_EXPR[f]} AS {f}" for f in fields)
    customer = _EXPORT_CUSTOMER_JOIN if any(_EXPR[f].startswith("cur.") for f in fields) else ""
    body = (
        f"FROM supply_periods s JOIN supply_points p ON p.area = s.area AND p.spid = s.spid{customer}"
        ", LATERAL (SELECT s.retailer_code) sup"
        " WHERE s.area = :area AND s.retailer_code = :op AND s.valid_from <= :on"
        " AND (s.valid_to IS NULL OR s.valid_to >= :on)"
    )
    if fmt == "ndjson":
        pairs = ", ".join(f"'{f}', {_EXPR[f]}" for f in fields)
        return fields, f"SELECT json_build_object({pairs})::text {body}"
    return fields, f"SELECT {cols} {body}"


async def count_own_points(conn: AsyncConnection, area: str, operator_code: str, on: date) -> int:
    return int(
        (
            await conn.execute(
                text("SELECT count(*) FROM supply_periods s WHERE s.area = :area AND s.retailer_code = :op"
                     " AND s.valid_from <= :on AND (s.valid_to IS NULL OR s.valid_to >= :on)"),
                {"area": area, "op": operator_code, "on": on},
            )
        ).scalar_one()
    )


async def count_all_points(conn: AsyncConnection) -> int:
    """How many supply points the area database holds, in every area (0: not generated yet)."""
    return int((await conn.execute(text("SELECT count(*) FROM supply_points"))).scalar_one())


async def first_supplied_spid(conn: AsyncConnection, retailer_code: str, area: str) -> str | None:
    """The lowest spid in the area that the retailer supplies now (an open supply period), if any."""
    return (await conn.execute(text(
        "SELECT spid FROM supply_periods WHERE retailer_code = :r AND valid_to IS NULL"
        " AND area = :area ORDER BY spid LIMIT 1"), {"r": retailer_code, "area": area})).scalar()
