"""Metering files: listing and download under the caller's scope; building file sets (revisions)."""

from __future__ import annotations

import gzip
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from switchhub.area.metering import repository as repo
from switchhub.contract.metering import MONTHLY_TYPES, TODAY_TYPES, FileType
from switchhub.kernel.caller import Caller
from switchhub.kernel.clock import JST
from switchhub.kernel.errors import NotFound
from switchhub.kernel.visibility import MeteringFileScope, metering_file_scope

_NOT_FOUND = ("指定された計量データファイルはありません", "No such metering file")


def file_id(area: str, position: int) -> str:
    return f"{area}-{position:06d}"


def parse_file_id(raw: str) -> tuple[str, int] | None:
    area, _, num = raw.partition("-")
    if len(area) != 2 or not num.isdigit() or len(num) > 19 or int(num) > 2**63 - 1:
        return None
    return area, int(num)


def slot_time(slot: int) -> str:
    """HHMM at which slot 1–48 begins (slot 1 = 0000, slot 48 = 2330)."""
    minutes = (slot - 1) * 30
    return f"{minutes // 60:02d}{minutes % 60:02d}"


def listed(row: dict[str, Any]) -> dict[str, Any]:
    """A files-table row as the contract's MeteringFile."""
    t = FileType(row["type"])
    by_month = t in MONTHLY_TYPES or t.value.startswith("C")
    return {
        "file_id": file_id(row["area"], row["id"]), "area": row["area"], "retailer_code": row["retailer_code"],
        "type": t.value,
        "target_date": None if by_month else row["target"].isoformat(),
        "target_month": row["target"].strftime("%Y-%m") if by_month else None,
        "slot_time": slot_time(row["slot"]) if t in TODAY_TYPES else None,
        "sequence": row["sequence"], "revision": row["revision"], "name": row["name"], "points": row["points"],
        "size_bytes": row["size_bytes"], "sha256": row["sha256"], "operation_mode": row["operation_mode"],
        "created_at": row["created_at"].astimezone(JST).isoformat(),
        "supersedes": file_id(row["area"], row["supersedes"]) if row["supersedes"] else None,
        "position": row["id"],
    }


def _scope(caller: Caller) -> MeteringFileScope:
    scope = metering_file_scope(caller)
    if scope is None:
        raise NotFound(*_NOT_FOUND)
    return scope


async def list_files(conn: AsyncConnection, caller: Caller, served: tuple[str, ...], *, retailer: str | None,
                     area: str | None, after: int, limit: int, types: list[str] | None, date_from: date | None,
                     date_to: date | None) -> dict[str, Any]:
    """One page of the files the caller may see, from position `after`."""
    scope = metering_file_scope(caller)
    areas = [a for a in served if scope is not None and (scope.areas is None or a in scope.areas)
             and (area is None or a == area)]
    if scope is not None and scope.retailer is not None:
        if retailer is not None and retailer != scope.retailer:
            areas = []  # another retailer's files do not exist for this caller
        retailer = scope.retailer
    if not areas:
        return {"items": [], "next_after": None}
    rows = await repo.list_files(conn, areas=areas, retailer=retailer, after=after, limit=limit + 1, types=types,
                                 date_from=date_from, date_to=date_to)
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": [listed(r) for r in rows], "next_after": rows[-1]["id"] if more else None}


async def visible_file(conn: AsyncConnection, caller: Caller, served: tuple[str, ...], raw_id: str) -> dict[str, Any]:
    parsed = parse_file_id(raw_id)
    if parsed is None or parsed[0] not in served:
        raise NotFound(*_NOT_FOUND)
    row = await repo.get_file(conn, parsed[1])
    if row is None or row["area"] != parsed[0] or not _scope(caller).sees(row["area"], row["retailer_code"]):
        raise NotFound(*_NOT_FOUND)
    return row


async def download(conn: AsyncConnection, caller: Caller, served: tuple[str, ...], raw_id: str,
                   fmt: str) -> tuple[dict[str, Any], bytes]:
    """The file's ZIP, or its JSON rendering (stored gzip'd, answered plain)."""
    row = await visible_file(conn, caller, served, raw_id)
    if fmt == "json":
        return row, gzip.decompress(await repo.file_bytes(conn, row["id"], "json"))
    return row, await repo.file_bytes(conn, row["id"], "zip")
