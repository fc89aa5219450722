"""The API repository page's operating information (P9): maintenance windows, interface versions and
the change log, kept by OCCTO admins (`hub:api-info:manage`) and read by everyone (`hub:api-info:read`).
The current OpenAPI document itself is never stored: it is the app's own, served as it is."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from switchhub.hub.accounts import permissions
from switchhub.hub.apiinfo import repository
from switchhub.hub.audit.context import Actor
from switchhub.hub.audit.repository import write
from switchhub.kernel.caller import Caller
from switchhub.kernel.clock import JST
from switchhub.kernel.errors import IssueCollector, NotFound

READ, MANAGE = "hub:api-info:read", "hub:api-info:manage"
SHOWN = 50  # entries of each kind on the page and in the answer (latest first)
OPENAPI_URL = "/api-repository/openapi.json"


def _jst(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=JST) if value is not None and value.tzinfo is None else value


def _answer(row: dict[str, Any]) -> dict[str, Any]:
    """Times in JST (the page and the answer speak Japan time)."""
    return {k: (row[k].astimezone(JST) if isinstance(row[k], datetime) else row[k]) for k in ("id", "kind", "title", "body", "version", "starts_at", "ends_at", "entry_date",
                                "updated_at")}


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    """The fields the entry's kind uses, checked field by field (others are emptied)."""
    kind, issues = values["kind"], IssueCollector()
    out = {"title": (values.get("title") or "").strip(), "body": (values.get("body") or "").strip(),
           "version": (values.get("version") or "").strip(), "starts_at": None, "ends_at": None, "entry_date": None}
    if kind == "maintenance":
        out["version"] = ""
        out["starts_at"], out["ends_at"] = _jst(values.get("starts_at")), _jst(values.get("ends_at"))
        if not out["title"]:
            issues.add("title", "required", "件名を入力してください", "Enter a title")
        if out["starts_at"] is None:
            issues.add("starts_at", "required", "開始日時を入力してください", "Enter the start")
        if out["ends_at"] is None:
            issues.add("ends_at", "required", "終了日時を入力してください", "Enter the end")
        elif out["starts_at"] is not None and out["ends_at"] <= out["starts_at"]:
            issues.add("ends_at", "before_start", "終了日時は開始日時より後にしてください", "The end must be after the start")
    elif kind == "version":
        if not out["title"]:
            issues.add("title", "required", "インタフェース名を入力してください", "Enter the interface")
        if not out["version"]:
            issues.add("version", "required", "バージョンを入力してください", "Enter the version")
    else:
        out["title"], out["entry_date"] = "", values.get("entry_date")
        if out["entry_date"] is None:
            issues.add("entry_date", "required", "日付を入力してください", "Enter the date")
        if not out["version"]:
            issues.add("version", "required", "バージョンを入力してください", "Enter the version")
        if not out["body"]:
            issues.add("body", "required", "変更内容を入力してください", "Enter what changed")
    issues.raise_if_any()
    return out


async def read(conn: AsyncConnection, caller: Caller) -> dict[str, Any]:
    permissions.check(caller, READ)
    out: dict[str, Any] = {"openapi_url": OPENAPI_URL}
    for kind, key in (("maintenance", "maintenance"), ("version", "versions"), ("change", "changes")):
        out[key] = [_answer(r) for r in (await repository.of_kind(conn, kind, SHOWN))[1]]
    return out


def _not_found() -> NotFound:
    return NotFound("指定された項目はありません", "No such entry")


async def create(conn: AsyncConnection, actor: Actor, values: dict[str, Any]) -> dict[str, Any]:
    permissions.check(actor.caller, MANAGE)
    clean = _clean(values)
    entry_id = await repository.insert(conn, values["kind"], clean)
    await write(conn, actor.entry("api_info.create", resource_type="api_info_entry", resource_ids=[str(entry_id)],
                                  detail={"kind": values["kind"], "version": clean["version"]}))
    return _answer(await repository.one(conn, entry_id))  # type: ignore[arg-type]


async def update(conn: AsyncConnection, actor: Actor, entry_id: int, values: dict[str, Any]) -> dict[str, Any]:
    """Change the given fields of an entry (its kind stays: a different kind is a different entry)."""
    permissions.check(actor.caller, MANAGE)
    row = await repository.one(conn, entry_id, for_update=True)
    if row is None:
        raise _not_found()
    given = {k: v for k, v in values.items() if v is not None and k != "kind"}
    clean = _clean({**row, **given, "kind": row["kind"]})
    await repository.update(conn, entry_id, clean)
    await write(conn, actor.entry("api_info.change", resource_type="api_info_entry", resource_ids=[str(entry_id)],
                                  detail={"kind": row["kind"]}))
    return _answer(await repository.one(conn, entry_id))  # type: ignore[arg-type]


async def delete(conn: AsyncConnection, actor: Actor, entry_id: int) -> None:
    permissions.check(actor.caller, MANAGE)
    row = await repository.one(conn, entry_id, for_update=True)
    if row is None:
        raise _not_found()
    await repository.delete(conn, entry_id)
    await write(conn, actor.entry("api_info.delete", resource_type="api_info_entry", resource_ids=[str(entry_id)],
                                  detail={"kind": row["kind"], "title": row["title"], "version": row["version"]}))
