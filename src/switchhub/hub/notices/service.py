"""Notices (インフォメーション, P9): OCCTO admins write, change and withdraw them; each user sees the
ones of its audience during their publication period, with per-user read marks.

`notice.published` is fanned out (e-mail subscriptions and webhooks of the audience's operators)
when a notice first becomes visible: at once when it is saved with a start in the past, else by
the keyed job `notices.publish` at its start time (tasks.py); `published_at` makes it once only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from switchhub.db import jobs
from switchhub.hub.accounts import permissions
from switchhub.hub.audit.context import Actor
from switchhub.hub.audit.repository import write
from switchhub.hub.notices import repository
from switchhub.hub.notices.markdown import render_markdown
from switchhub.hub.notify.publish import publish
from switchhub.kernel.caller import Caller
from switchhub.kernel.errors import IssueCollector, NotFound

MANAGE, READ = "hub:notices:manage", "hub:notices:read"
PUBLISH_JOB = "notices.publish"
EVENT_KIND = "notice.published"
PER_PAGE = 20


@dataclass(frozen=True)
class NoticeData:
    title: str
    body: str
    audience: str
    operator_code: str | None
    starts_at: datetime
    ends_at: datetime | None

    def values(self) -> dict[str, Any]:
        return {"title": self.title, "body": self.body, "audience": self.audience,
                "operator_code": self.operator_code if self.audience == "operator" else None,
                "starts_at": self.starts_at, "ends_at": self.ends_at}


async def _check(conn: AsyncConnection, data: NoticeData) -> None:
    issues = IssueCollector()
    if not data.title.strip():
        issues.add("title", "required", "件名を入力してください", "Enter a title")
    if not data.body.strip():
        issues.add("body", "required", "本文を入力してください", "Enter the body")
    if data.audience not in ("all", "retailer", "tso", "operator"):
        issues.add("audience", "invalid_code", "対象を選択してください", "Choose the audience")
    if data.audience == "operator" and not (data.operator_code and await repository.operator_exists(
            conn, data.operator_code.upper())):
        issues.add("operator_code", "unknown_operator", "対象の事業者コードが登録されていません",
                   "Unknown operator code")
    if data.ends_at is not None and data.ends_at <= data.starts_at:
        issues.add("ends_at", "period_order", "掲載終了は掲載開始より後の日時にしてください",
                   "The end must be after the start")
    issues.raise_if_any()


def _iso(v: datetime | None) -> str | None:
    return v.isoformat() if v is not None else None


def answer(row: dict[str, Any], *, with_read: bool) -> dict[str, Any]:
    return {"id": row["id"], "title": row["title"], "body": row["body"], "body_html": str(render_markdown(row["body"])),
            "audience": row["audience"], "operator_code": (row["operator_code"] or "").strip() or None,
            "starts_at": _iso(row["starts_at"]), "ends_at": _iso(row["ends_at"]), "status": row["status"],
            "published_at": _iso(row["published_at"]),
            "read": (row.get("read_at") is not None) if with_read else None}


async def publish_if_visible(conn: AsyncConnection, notice_id: int, now: datetime) -> bool:
    """Fan out `notice.published` once, if the notice is visible now; True when it was sent now."""
    row = await repository.get(conn, notice_id, for_update=True)
    if row is None or row["status"] != "active" or row["published_at"] is not None or row["starts_at"] > now \
            or (row["ends_at"] is not None and row["ends_at"] <= now):
        return False
    operators = await repository.audience_operators(conn, row["audience"], row["operator_code"])
    await publish(conn, EVENT_KIND, operators, {"notice_id": row["id"], "title": row["title"],
                                                "starts_at": row["starts_at"].isoformat()},
                  f"notice:{row['id']}", now)
    await repository.mark_published(conn, notice_id, now)
    return True


async def _publish_now_or_later(conn: AsyncConnection, notice_id: int, data: NoticeData, now: datetime) -> None:
    if data.starts_at <= now:
        await publish_if_visible(conn, notice_id, now)
    else:
        await jobs.enqueue(conn, PUBLISH_JOB, str(notice_id), data.starts_at, reschedule=True)


async def create(conn: AsyncConnection, actor: Actor, data: NoticeData, now: datetime) -> dict[str, Any]:
    permissions.check(actor.caller, MANAGE)
    data = NoticeData(data.title.strip(), data.body, data.audience,
                      data.operator_code.upper() if data.operator_code else None, data.starts_at, data.ends_at)
    await _check(conn, data)
    notice_id = await repository.insert(conn, data.values(), actor.caller.user_login, now)
    await write(conn, actor.entry("notice.create", resource_type="notice", resource_ids=[str(notice_id)],
                                  detail={"title": data.title, "audience": data.audience,
                                          "operator_code": data.values()["operator_code"],
                                          "starts_at": data.starts_at.isoformat(), "ends_at": _iso(data.ends_at)}))
    await _publish_now_or_later(conn, notice_id, data, now)
    return answer(await repository.get(conn, notice_id), with_read=False)  # type: ignore[arg-type]


async def change(conn: AsyncConnection, actor: Actor, notice_id: int, data: NoticeData, now: datetime
                 ) -> dict[str, Any]:
    permissions.check(actor.caller, MANAGE)
    data = NoticeData(data.title.strip(), data.body, data.audience,
                      data.operator_code.upper() if data.operator_code else None, data.starts_at, data.ends_at)
    await _check(conn, data)
    if not await repository.update(conn, notice_id, data.values(), now):
        raise NotFound()
    await write(conn, actor.entry("notice.change", resource_type="notice", resource_ids=[str(notice_id)],
                                  detail={"title": data.title, "audience": data.audience,
                                          "operator_code": data.values()["operator_code"],
                                          "starts_at": data.starts_at.isoformat(), "ends_at": _iso(data.ends_at)}))
    await _publish_now_or_later(conn, notice_id, data, now)
    return answer(await repository.get(conn, notice_id), with_read=False)  # type: ignore[arg-type]


async def withdraw(conn: AsyncConnection, actor: Actor, notice_id: int, now: datetime, reason: str = "") -> None:
    """Take a notice down at once (it stays in the admin's list as withdrawn)."""
    permissions.check(actor.caller, MANAGE)
    if not await repository.withdraw(conn, notice_id, now):
        raise NotFound()
    await jobs.cancel(conn, PUBLISH_JOB, str(notice_id), now)
    await write(conn, actor.entry("notice.withdraw", resource_type="notice", resource_ids=[str(notice_id)],
                                  detail={"reason": reason[:200]}))


async def list_all(conn: AsyncConnection, caller: Caller, page: int, per_page: int = PER_PAGE) -> dict[str, Any]:
    permissions.check(caller, MANAGE)
    total = await repository.count_all(conn)
    rows = await repository.page_all(conn, (page - 1) * per_page, per_page)
    return {"total": total, "unread": None, "page": page, "per_page": per_page,
            "items": [answer(r, with_read=False) for r in rows]}


async def get_any(conn: AsyncConnection, caller: Caller, notice_id: int) -> dict[str, Any]:
    permissions.check(caller, MANAGE)
    row = await repository.get(conn, notice_id)
    if row is None:
        raise NotFound()
    return answer(row, with_read=False)


async def list_mine(conn: AsyncConnection, caller: Caller, page: int, now: datetime,
                    per_page: int = PER_PAGE) -> dict[str, Any]:
    """The notices shown to the caller now (its audience, in their period), with its read marks."""
    permissions.check(caller, READ)
    total = await repository.count_visible(conn, caller.kind, caller.operator_code, now)
    unread = await repository.count_unread(conn, caller.kind, caller.operator_code, caller.user_login, now)
    rows = await repository.page_visible(conn, caller.kind, caller.operator_code, caller.user_login, now,
                                         (page - 1) * per_page, per_page)
    return {"total": total, "unread": unread, "page": page, "per_page": per_page,
            "items": [answer(r, with_read=True) for r in rows]}


async def unread_count(conn: AsyncConnection, caller: Caller, now: datetime) -> int:
    """For the nav badge: one COUNT, nothing named, not audited."""
    permissions.check(caller, READ)
    return await repository.count_unread(conn, caller.kind, caller.operator_code, caller.user_login, now)


async def mark_read(conn: AsyncConnection, actor: Actor, notice_id: int, now: datetime) -> dict[str, Any]:
    """Mark a notice the caller can see as read by the caller (another's or an invisible one: 404)."""
    caller = actor.caller
    permissions.check(caller, READ)
    row = await repository.visible_one(conn, notice_id, caller.kind, caller.operator_code, caller.user_login, now)
    if row is None:
        raise NotFound()
    if row["read_at"] is None:
        await repository.mark_read(conn, notice_id, caller.user_login, now)
        await write(conn, actor.entry("notice.read", resource_type="notice", resource_ids=[str(notice_id)]))
        row = {**row, "read_at": now}
    return answer(row, with_read=True)


async def operator_choices(conn: AsyncConnection, caller: Caller) -> list[dict[str, Any]]:
    permissions.check(caller, MANAGE)
    return await repository.operator_choices(conn)
