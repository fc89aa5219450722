"""All SQL of the sandbox: the `sandbox_clock` row (hub and area databases alike), the copies of the
scenario points (area), and the database-level statements of snapshots and reset."""

from __future__ import annotations

from datetime import datetime

import psycopg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from switchhub.db.urls import plain_url, with_database

MAINTENANCE_DB = "postgres"

# -- the clock -------------------------------------------------------------------------------------


async def read_offset(conn: AsyncConnection) -> int:
    return int(
        (await conn.execute(text("SELECT offset_seconds FROM sandbox_clock WHERE id = 1"))).scalar() or 0
    )


async def write_offset(conn: AsyncConnection, offset_seconds: int, moved_by: str, moved_at: datetime) -> None:
    await conn.execute(
        text("UPDATE sandbox_clock SET offset_seconds = :o, moved_at = :at, moved_by = :by WHERE id = 1"),
        {"o": offset_seconds, "at": moved_at, "by": moved_by[:100]},
    )


# -- scenario points (area) --------------------------------------------------------------------------


async def source_point(conn: AsyncConnection, area: str, retailer: str) -> str | None:
    """The first point the retailer supplies in the area that takes every application type: low
    voltage, in contract, a smart meter, an ampere breaker."""
    return (
        await conn.execute(
            text(
                "SELECT p.spid FROM supply_points p JOIN supply_periods s"
                " ON s.area = p.area AND s.spid = p.spid AND s.valid_to IS NULL"
                " WHERE p.area = :a AND s.retailer_code = :r AND p.contract_status = '1'"
                " AND p.channel = 'low' AND p.capacity_method = '1' AND p.meters @> '[{\"smart\": true}]'"
                " AND right(p.spid, 4) NOT LIKE '99__' ORDER BY p.spid LIMIT 1"
            ),
            {"a": area, "r": retailer},
        )
    ).scalar()


async def point_exists(conn: AsyncConnection, area: str, spid: str) -> bool:
    return (
        await conn.execute(
            text("SELECT 1 FROM supply_points WHERE area = :a AND spid = :s"), {"a": area, "s": spid}
        )
    ).first() is not None


async def _copyable_columns(conn: AsyncConnection, table: str) -> list[str]:
    """The table's columns except generated identities (a copied period gets its own id)."""
    rows = await conn.execute(
        text(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema()"
            " AND table_name = :t AND is_identity = 'NO' AND coalesce(column_default, '') NOT LIKE 'nextval%'"
            " AND is_generated = 'NEVER' ORDER BY ordinal_position"
        ),
        {"t": table},
    )
    return [r[0] for r in rows]


async def copy_point_rows(conn: AsyncConnection, table: str, area: str, source: str, spid: str) -> None:
    """The source point's rows of `table` again under `spid` (table names are the module's own)."""
    columns = await _copyable_columns(conn, table)
    listed = ", ".join(columns)
    chosen = ", ".join(":new" if c == "spid" else c for c in columns)
    await conn.execute(
        text(f"INSERT INTO {table} ({listed}) SELECT {chosen} FROM {table} WHERE area = :a AND spid = :src"),
        {"new": spid, "a": area, "src": source},
    )


# -- snapshots (database-level statements on the server's maintenance database) ----------------------


def run_on_server(url: str, *statements: str) -> list[tuple]:
    """Statements outside any database of the tenant (CREATE/DROP DATABASE cannot run inside one);
    returns the last statement's rows. The database names are the snapshot module's own, quoted."""
    with psycopg.connect(plain_url(with_database(url, MAINTENANCE_DB)), autocommit=True) as conn:
        rows: list[tuple] = []
        for sql in statements:
            cur = conn.execute(sql)  # type: ignore[arg-type]
            rows = cur.fetchall() if cur.description else []
        return rows
