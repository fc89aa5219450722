"""The sandbox's scenario points: copies of one real point under spids ending in a scenario's digits.

Generated spids end in arbitrary digits (generate/points.py), so the scenarios that need an existing
point (9902 refused filings, 9903 slow, 9905 every stage) get one when the sandbox is created: the
first point the incumbent retailer M0300 supplies in area 03 that takes every application type
(low voltage, in contract, a smart meter, an ampere breaker), copied with its supply and customer
periods and its readings under `scenario_spid(source, suffix)`. The copy is the reference system's
own data, so lookups, filings and stages behave exactly as for any other point.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from switchhub.sandbox.scenarios import SCENARIOS, scenario_spid

SOURCE_RETAILER, SOURCE_AREA = "M0300", "03"
#: the tables holding a point's own data (root tables; partitions follow)
POINT_TABLES = ("supply_points", "supply_periods", "customer_periods", "readings_monthly", "readings_30min")


async def source_point(conn: AsyncConnection) -> str | None:
    """The point the scenario points are copied from (the same on every run of the same data)."""
    return (await conn.execute(text(
        "SELECT p.spid FROM supply_points p JOIN supply_periods s ON s.area = p.area AND s.spid = p.spid"
        " AND s.valid_to IS NULL WHERE p.area = :a AND s.retailer_code = :r AND p.contract_status = '1'"
        " AND p.channel = 'low' AND p.capacity_method = '1' AND p.meters @> '[{\"smart\": true}]'"
        " ORDER BY p.spid LIMIT 1"), {"a": SOURCE_AREA, "r": SOURCE_RETAILER})).scalar()


async def _copyable_columns(conn: AsyncConnection, table: str) -> list[str]:
    """The table's columns except generated identities (a copied period gets its own id)."""
    rows = await conn.execute(text(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema()"
        " AND table_name = :t AND is_identity = 'NO' AND coalesce(column_default, '') NOT LIKE 'nextval%'"
        " AND is_generated = 'NEVER' ORDER BY ordinal_position"), {"t": table})
    return [r[0] for r in rows]


async def create_scenario_points(conn: AsyncConnection) -> dict[str, str]:
    """Create the points of the scenarios that need one (idempotent); returns suffix → spid."""
    source = await source_point(conn)
    if source is None:
        return {}
    made: dict[str, str] = {}
    for scenario in (s for s in SCENARIOS if s.needs_point):
        spid = scenario_spid(source, scenario.suffix)
        made[scenario.suffix] = spid
        exists = (await conn.execute(text("SELECT 1 FROM supply_points WHERE area = :a AND spid = :s"),
                                     {"a": SOURCE_AREA, "s": spid})).first()
        if exists:
            continue
        for table in POINT_TABLES:
            columns = await _copyable_columns(conn, table)
            listed = ", ".join(columns)
            chosen = ", ".join(":new" if c == "spid" else c for c in columns)
            await conn.execute(text(f"INSERT INTO {table} ({listed}) SELECT {chosen} FROM {table}"
                                    " WHERE area = :a AND spid = :src"), {"new": spid, "a": SOURCE_AREA, "src": source})
    return made


async def scenario_points(conn: AsyncConnection) -> dict[str, str]:
    """The scenario points that exist (suffix → spid), for the banner."""
    source = await source_point(conn)
    if source is None:
        return {}
    out = {}
    for scenario in SCENARIOS:
        spid = scenario_spid(source, scenario.suffix)
        if not scenario.needs_point:
            out[scenario.suffix] = spid
        elif (await conn.execute(text("SELECT 1 FROM supply_points WHERE area = :a AND spid = :s"),
                                 {"a": SOURCE_AREA, "s": spid})).first():
            out[scenario.suffix] = spid
    return out
