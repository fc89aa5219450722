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


async def insert_file(conn: AsyncConnection, row: dict[str, Any]) -> dict[str, Any]:
    got = (await conn.execute(text(
        "INSERT INTO metering_files (area, retailer_code, type, target, slot, sequence, revision, name, operation_mode,"
        " zip, json, sha256, content_sha256, points, created_at, supersedes) VALUES (:area, :retailer_code, :type,"
        " :target, :slot, :sequence, :revision, :name, :operation_mode, :zip, :json, :sha256, :content_sha256,"
        " :points, :created_at, :supersedes) RETURNING id"), row)).scalar_one()
    return {**row, "id": got, "size_bytes": len(row["zip"])}
