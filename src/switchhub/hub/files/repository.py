"""SQL of the hub's metering file index (`metering_files_index`): the download list's one table.

Rows come from the area's `metering.file_published` events (at least once, so the insert is
keyed on file_id). A list is one range scan of (retailer_code, position) — or (area, position)
for a T&D — from the cursor, in either direction; "latest only" tests `superseded_by`, which
the next revision sets whichever of the two arrives first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from switchhub.kernel.visibility import MeteringFileScope

COLUMNS = ("position, file_id, area, retailer_code, type, target_date, target_month, slot_time, sequence, revision,"
           " name, supersedes, superseded_by, points, size_bytes, sha256, operation_mode, created_at, published_at")


async def insert_published(conn: AsyncConnection, row: dict[str, Any]) -> bool:
    """One published file; False when it was already indexed (a redelivered or replayed event).
    A later revision marks the one it supersedes; an earlier one arriving late is marked at once.

    Positions are taken under a transaction lock, so they commit in the order they are given: a
    reader continuing after position n can never miss an n - 1 that was still uncommitted."""
    await conn.execute(text("SELECT pg_advisory_xact_lock(hashtext('metering_files_index'))"))
    new = (await conn.execute(text(
        "INSERT INTO metering_files_index (file_id, area, retailer_code, type, target_date, target_month, target_day,"
        " slot_time, sequence, revision, name, supersedes, superseded_by, points, size_bytes, sha256, operation_mode,"
        " area_position, created_at, published_at)"
        " VALUES (:file_id, :area, :retailer_code, :type, :target_date, :target_month, :target_day, :slot_time,"
        " :sequence, :revision, :name, :supersedes,"
        " (SELECT n.file_id FROM metering_files_index n WHERE n.supersedes = CAST(:file_id AS varchar) LIMIT 1), :points, :size_bytes, :sha256, :operation_mode, :area_position, :created_at, :published_at)"
        " ON CONFLICT (file_id) DO NOTHING RETURNING position"), row)).first()
    if new is None:
        return False
    if row.get("supersedes"):
        await conn.execute(text("UPDATE metering_files_index SET superseded_by = :file_id WHERE file_id = :supersedes"),
                           {"file_id": row["file_id"], "supersedes": row["supersedes"]})
    return True


@dataclass(frozen=True)
class ListFilters:
    """The list's filters (all optional); target days are JST calendar days, both ends included
    (a monthly file's target day is the first of its month)."""

    type: str = ""
    date_from: date | None = None
    date_to: date | None = None
    latest_only: bool = True


def _scope(scope: MeteringFileScope, where: list[str], params: dict[str, Any]) -> None:
    if scope.retailer is not None:
        where.append("retailer_code = :scope_retailer")
        params["scope_retailer"] = scope.retailer
    if scope.areas is not None:
        where.append("area = ANY(:scope_areas)")
        params["scope_areas"] = sorted(scope.areas)


async def page(conn: AsyncConnection, scope: MeteringFileScope, f: ListFilters, *, after: int | None = None,
               before: int | None = None, limit: int) -> list[dict[str, Any]]:
    """Rows within the visibility scope (the only way to list them) after a position (oldest first)
    or before one (newest first; before=None: from the newest)."""
    where: list[str] = []
    params: dict[str, Any] = {"limit": limit}
    _scope(scope, where, params)
    for key, cond in (("type", "type = :type"), ("date_from", "target_day >= :date_from"),
                      ("date_to", "target_day <= :date_to")):
        value = getattr(f, key)
        if value:
            where.append(cond)
            params[key] = value
    if f.latest_only:
        where.append("superseded_by IS NULL")
    if after is not None:
        where.append("position > :after")
        params["after"] = after
        order = "position"
    else:
        if before is not None:
            where.append("position < :before")
            params["before"] = before
        order = "position DESC"
    cond = " AND ".join(where) or "true"
    rows = await conn.execute(text(f"SELECT {COLUMNS} FROM metering_files_index WHERE {cond}"
                                   f" ORDER BY {order} LIMIT :limit"), params)
    return [dict(r._mapping) for r in rows]


async def by_id(conn: AsyncConnection, file_id: str) -> dict[str, Any] | None:
    row = (await conn.execute(text(f"SELECT {COLUMNS} FROM metering_files_index WHERE file_id = :id"),
                              {"id": file_id})).first()
    return dict(row._mapping) if row else None


async def last_area_position(conn: AsyncConnection, area: str) -> int:
    """The highest area list position indexed for an area (where a catch-up continues)."""
    return int((await conn.execute(text(
        "SELECT coalesce(max(area_position), 0) FROM metering_files_index WHERE area = :a"), {"a": area})).scalar_one())

