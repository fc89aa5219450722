"""Metering files as retailers fetch them (metering.md, "delivery by pull"): the list from a cursor,
the download, and the indexing of the areas' `metering.file_published` events.

The list is the hub's own index (no fan-out to ten areas); which rows a caller may list or
download is decided by `kernel.visibility.metering_file_scope` (the addressed retailer, the T&D
of the area, OCCTO staff). A download is streamed from the area through the gateway, after the
audit row naming the file is written: every download is on record with its purpose.
"""

from __future__ import annotations

import base64
import json
import re
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from switchhub.contract.events import MeteringFilePublished
from switchhub.contract.metering import FILE_ID, FileFormat, FileType
from switchhub.hub.accounts import permissions
from switchhub.hub.audit.context import Actor
from switchhub.hub.audit.repository import write
from switchhub.hub.files import repository as repo
from switchhub.hub.gateway.client import AreaClient
from switchhub.hub.notify.publish import publish
from switchhub.kernel.caller import Caller
from switchhub.kernel.clock import JST
from switchhub.kernel.errors import InputError, IssueCollector, NotFound
from switchhub.kernel.visibility import metering_file_scope

READ = "hub:metering:read"
PER_PAGE, MAX_PER_PAGE = 50, 100
PUBLISHED_KIND = "metering.file_published"
REVISIONS = ("latest", "all")

#: The file types by their Japanese names (metering.md; C01–C03 are switchhub's own codes).
TYPE_NAMES: dict[str, tuple[str, str]] = {
    "W40110": ("30分電力量（高圧・当日）", "30-minute energy, high voltage, today"),
    "W41110": ("30分電力量（低圧・当日）", "30-minute energy, low voltage, today"),
    "W40120": ("30分電力量（高圧・過去日）", "30-minute energy, high voltage, past day"),
    "W41120": ("30分電力量（低圧・過去日）", "30-minute energy, low voltage, past day"),
    "W51210": ("確定使用量（高圧）", "Monthly billing usage, high voltage"),
    "W51220": ("確定使用量（低圧）", "Monthly billing usage, low voltage"),
    "C01": ("契約電力算定結果内訳", "Contract power calculation"),
    "C02": ("制限中止割引", "Curtailment discounts"),
    "C03": ("発電者の仕訳後の電力量", "Generators' allocated energy"),
}
NOT_FOUND = ("指定された計量データファイルはありません", "No such metering file")
MEDIA = {FileFormat.ZIP: "application/zip", FileFormat.JSON: "application/json"}


def type_name(code: str, lang: str = "ja") -> str:
    names = TYPE_NAMES.get(code)
    return (names[1] if lang == "en" else names[0]) if names else code


# --- the list ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class FileQuery:
    """The filters as given (strings from a query or a form); checked by `list_files`."""

    type: str = ""
    date_from: date | None = None
    date_to: date | None = None
    revision: str = "latest"


def _filters(q: FileQuery) -> repo.ListFilters:
    issues = IssueCollector()
    code = q.type.strip()
    if code and code not in {t.value for t in FileType}:
        issues.add("type", "unknown_code", f"ファイル種別が正しくありません: {code[:10]}", f"Unknown file type: {code[:10]}")
    if q.revision not in REVISIONS:
        issues.add("revision", "unknown_code", "版は latest（最新のみ）か all（全版）を指定してください",
                   "revision is latest or all")
    if q.date_from and q.date_to and q.date_from > q.date_to:
        issues.add("date_to", "range_reversed", f"対象日の終了日 {q.date_to} が開始日 {q.date_from} より前です",
                   f"date_to ({q.date_to}) is before date_from ({q.date_from})")
    issues.raise_if_any()
    return repo.ListFilters(type=code, date_from=q.date_from, date_to=q.date_to, latest_only=q.revision != "all")


def decode_cursor(cursor: str) -> tuple[str, int | None]:
    """("after", n): oldest first after position n (the API); ("before", n): newest first (the Web)."""
    if not cursor:
        return "after", 0
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor.encode() + b"=" * (-len(cursor) % 4)))
        [(direction, position)] = raw.items()
        if direction not in ("after", "before") or type(position) is not int or not 0 <= position < 2**63:
            raise ValueError("not a cursor")
        return direction, position
    except (ValueError, TypeError, AttributeError):
        raise InputError.single("cursor", "invalid_cursor", "カーソルの形式が正しくありません",
                                "The cursor is not valid") from None


def encode_cursor(direction: str, position: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({direction: position}).encode()).decode().rstrip("=")


def _item(r: dict[str, Any]) -> dict[str, Any]:
    stem = r["name"][:-4] if r["name"].endswith(".zip") else r["name"]
    return {
        "file_id": r["file_id"], "area": r["area"], "retailer_code": r["retailer_code"], "type": r["type"],
        "type_name": type_name(r["type"]),
        "target_date": r["target_date"].isoformat() if r["target_date"] else None,
        "target_month": r["target_month"], "slot_time": r["slot_time"], "sequence": r["sequence"],
        "revision": r["revision"], "latest": r["superseded_by"] is None, "supersedes": r["supersedes"],
        "superseded_by": r["superseded_by"], "name": r["name"], "json_name": f"{stem}.json",
        "points": r["points"], "size_bytes": r["size_bytes"], "sha256": r["sha256"],
        "operation_mode": r["operation_mode"], "published_at": r["published_at"].astimezone(JST).isoformat(),
    }


async def list_files(conn: AsyncConnection, actor: Actor, q: FileQuery, cursor: str = "", per_page: int = PER_PAGE,
                     *, newest_first: bool = False) -> dict[str, Any]:
    """The caller's files matching the filters from the cursor. Oldest first (the API): the next
    cursor continues after the last file listed, so a later call returns exactly the files indexed
    since, with no gap and no repeat. `newest_first` (the Web page) pages backwards instead."""
    permissions.check(actor.caller, READ)
    filters = _filters(q)
    direction, position = decode_cursor(cursor)
    if newest_first and not cursor:
        direction, position = "before", None
    per_page = max(1, min(MAX_PER_PAGE, per_page))
    scope = metering_file_scope(actor.caller)
    rows = [] if scope is None else await repo.page(
        conn, scope, filters, after=position if direction == "after" else None,
        before=position if direction == "before" else None, limit=per_page + 1)
    more, rows = len(rows) > per_page, rows[:per_page]
    if direction == "after":  # an empty page keeps the caller's place
        next_cursor = encode_cursor("after", rows[-1]["position"] if rows else position or 0)
    else:
        next_cursor = encode_cursor("before", rows[-1]["position"]) if more else ""
    items = [_item(r) for r in rows]
    return {"items": items, "next_cursor": next_cursor, "has_more": more}


# --- the download -----------------------------------------------------------------------------

async def open_download(engine: AsyncEngine, areas: AreaClient, actor: Actor, file_id: str, fmt: FileFormat,
                        stack: AsyncExitStack) -> tuple[httpx.Response, dict[str, Any]]:
    """One file's bytes from its area, for a caller who may see it (anyone else: not found, like a
    file that does not exist). The audit row is committed before the first byte leaves; the stream
    closes with `stack`."""
    permissions.check(actor.caller, READ)
    if not re.fullmatch(FILE_ID, file_id):
        raise NotFound(*NOT_FOUND)
    async with engine.connect() as conn:
        row = await repo.by_id(conn, file_id)
    scope = metering_file_scope(actor.caller)
    if row is None or scope is None or not scope.sees(row["area"], row["retailer_code"]):
        raise NotFound(*NOT_FOUND)
    resp = await stack.enter_async_context(areas.metering_file(row["area"], actor.caller, file_id, fmt))
    async with engine.begin() as conn:
        await write(conn, actor.entry("metering_file.download", resource_type="metering_file",
                                      resource_ids=[file_id], item_count=row["points"] or 0,
                                      detail={"format": fmt.value, "name": row["name"], "revision": row["revision"],
                                              "area": row["area"], "retailer_code": row["retailer_code"]}))
    return resp, _item(row)


# --- the index (area events) ------------------------------------------------------------------

def _target_day(payload: MeteringFilePublished) -> date:
    """The day a file is filed under (a monthly file: the first of its month). The operation mode is
    checked here too (the event's type is the contract's enum already): the list answers it as an
    enum, so an unknown one is the area's error, refused with its batch."""
    if payload.operation_mode not in (None, "0", "1"):
        raise InputError.single("operation_mode", "unknown_code",
                                f"運用モードが契約にありません: {payload.operation_mode[:4]}",
                                f"Unknown operation mode: {payload.operation_mode[:4]}")
    if payload.target_date:
        return date.fromisoformat(payload.target_date)
    if payload.target_month:
        return date.fromisoformat(f"{payload.target_month}-01")
    raise InputError.single("target_date", "required", "対象日または対象月がありません", "No target date or month")


async def index_published(conn: AsyncConnection, payload: MeteringFilePublished, event_id: str,
                          now: datetime) -> bool:
    """An area's `metering.file_published` event: one index row, and the retailer told (e-mail and
    webhooks) — once, however often the event is delivered or the file found again by `catch_up`.
    False when the file was indexed already."""
    row = {
        "file_id": payload.file_id, "area": payload.area, "retailer_code": payload.retailer_code,
        "type": FileType(payload.type).value,
        "target_date": date.fromisoformat(payload.target_date) if payload.target_date else None,
        "target_month": payload.target_month, "target_day": _target_day(payload), "slot_time": payload.slot_time,
        "sequence": payload.sequence, "revision": payload.revision, "name": payload.name,
        "supersedes": payload.supersedes, "area_position": payload.position, "published_at": now,
        # details the event may carry (contract/events.py); absent ones stay empty in the list
        **{k: getattr(payload, k, None) for k in ("points", "size_bytes", "sha256", "operation_mode")},
        "created_at": _created_at(getattr(payload, "created_at", None)),
    }
    if not await repo.insert_published(conn, row):
        return False
    data = {k: row[k] for k in ("file_id", "area", "retailer_code", "type", "target_month", "slot_time", "revision",
                                "name", "supersedes")}
    data.update(type_name=type_name(payload.type), target_date=payload.target_date)
    await publish(conn, PUBLISHED_KIND, [payload.retailer_code], data, event_id, now)
    return True


#: what the catch-up copies from an area's list entry into the index (the event's fields)
_EVENT_FIELDS = tuple(MeteringFilePublished.model_fields)


async def catch_up(conn: AsyncConnection, areas: AreaClient, caller: Caller, area: str, now: datetime, *,
                   limit: int = 500, pages: int = 20) -> int:
    """Files the hub missed (events lost or a restored hub database): page the area's own list from
    the highest area position indexed and index what is new, as its event would have. The area's
    outbox delivers in order, so what is missing is after that position. Returns how many were new."""
    after, added = await repo.last_area_position(conn, area), 0
    for _ in range(pages):
        page = await areas.metering_files(area, caller, "", after, limit)
        for f in page.items:
            listed = f.model_dump(mode="json")
            payload = MeteringFilePublished(**{k: listed[k] for k in _EVENT_FIELDS if k in listed})
            added += await index_published(conn, payload, f"metering-file-{f.file_id}", now)
        if page.next_after is None:
            break
        after = page.next_after
    return added


def _created_at(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
